"""The same payment submitted 5 times (double click, retry, several processes) is recorded once."""
import multiprocessing as mp
import re
import traceback

import models
from tests.billing.billing_helpers import admin_client
from tests.factories import make_invoice

RECORD = "/admin/payment/enregistrer/"


def _ready(factory):
    org = factory.organisation()
    dossier = factory.dossier(organisation=org, state="engage")
    invoices = [make_invoice(org, dossier, amount="100.00", state="validee") for _ in range(3)]
    factory.approved_bank(org)
    return org, invoices


def test_the_same_form_posted_5_times_records_one_payment(factory, make_client):
    org, invoices = _ready(factory)
    client, _ = admin_client(make_client, factory)
    page = client.get(f"{RECORD}?organisation={org.id}").get_data(as_text=True)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page).group(1)
    data = {"organisation": str(org.id), "submission_key": key, "invoices": [str(i.id) for i in invoices],
            "date": "15/03/2026", "confirm": "1"}
    responses = [client.post_form(RECORD, data) for _ in range(5)]
    assert models.Payment.select().count() == 1
    payment = models.Payment.get()
    assert {r.status_code for r in responses} == {302}
    assert {r.headers["Location"].split("?")[-1] for r in responses} == {f"id={payment.id}"}
    assert models.PaymentLine.select().count() == 3
    assert models.AuditEntry.select().where(models.AuditEntry.entity == "payment").count() == 1
    assert "déjà été enregistré" in client.get(f"/admin/payment/details/?id={payment.id}").get_data(as_text=True)
    # a fresh page gives a fresh key: nothing left to pay, so the next submission is refused, not duplicated
    other_key = client.post_form(RECORD, dict(data, submission_key="another-key"))
    assert other_key.status_code == 400 and models.Payment.select().count() == 1


def _worker(database_url, folder, organisation_id, invoice_ids, user_id, key, attempts):
    from app import create_app
    from workflows.payments import record_payment

    app = create_app({"DATABASE_URL": database_url, "DATA_DIR": folder, "UPLOAD_DIR": folder, "SECRET_KEY": "t",
                      "TESTING": True})
    database = app.extensions["database"]
    out = []
    with app.app_context():
        database.connect(reuse_if_open=True)
        organisation = models.Organisation.get_by_id(organisation_id)
        user = models.User.get_by_id(user_id)
        for _ in range(attempts):
            try:
                payment, created = record_payment(organisation, invoice_ids, key, user=user)
                out.append((payment.id, created))
            except Exception:
                out.append(("error", traceback.format_exc()))
        database.close()
    return out


def test_the_same_payment_from_4_processes_at_once_is_recorded_once(app, factory, tmp_path):
    org, invoices = _ready(factory)
    comptable = factory.staff("comptable")
    url = app.config["DATABASE_URL"]
    app.extensions["database"].close()
    ctx = mp.get_context("spawn")
    with ctx.Pool(4) as pool:
        jobs = [pool.apply_async(_worker, (url, str(tmp_path), org.id, [i.id for i in invoices], comptable.id,
                                           "same-key", 5)) for _ in range(4)]
        results = [r for job in jobs for r in job.get(timeout=120)]
    app.extensions["database"].connect(reuse_if_open=True)
    assert [r for r in results if r[0] == "error"] == []
    assert models.Payment.select().count() == 1
    payment = models.Payment.get()
    assert {pid for pid, _ in results} == {payment.id}
    assert sum(1 for _, created in results if created) == 1
    assert models.PaymentLine.select().count() == 3
    assert {i.state for i in models.Invoice.select()} == {"payee"}
