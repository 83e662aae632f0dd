"""Page helpers for the billing tests: a signed-in comptable, a payment recorded through the back office.

The record builders are in tests/factories.py.
"""
import re


def admin_client(make_client, factory, role="comptable"):
    user = factory.staff(role)
    return make_client(user.email), user


PAYMENT_RECORD = "/admin/payment/enregistrer/"


def pay_in_back_office(client, org, invoices, date="15/03/2026", key=None):
    """Choose the invoices, then confirm the remittance shown (the two posts of the real pages).

    Returns the answer to the confirmation, or to the choice when it shows no remittance to confirm.
    """
    if key is None:
        page = client.get(f"{PAYMENT_RECORD}?organisation={org.id}").get_data(as_text=True)
        key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page).group(1)
    choice = {"organisation": str(org.id), "submission_key": key, "invoices": [str(i.id) for i in invoices],
              "date": date}
    shown = client.post_form(PAYMENT_RECORD, choice)
    expected = re.search(r'name="expected_net"[^>]*value="([^"]*)"', shown.get_data(as_text=True))
    if expected is None:
        return shown
    return client.post_form(PAYMENT_RECORD, {**choice, "confirm": "1", "expected_net": expected.group(1)})
