"""Bank details: entry in the portal (checked IBAN + RIB key, RIB PDF), approval by another staff member."""
import io

import models
from rules.identifiers import format_iban
from workflows import bank_details as bank_service
from tests.billing.billing_helpers import admin_client
from tests.factories import BIC, IBAN, OTHER_IBAN, make_invoice, pdf_file

URL = "/portail/organisation/banque"


def _form(iban=IBAN, bic=BIC, holder="CFA des Métiers", rib=True, third_party="0"):
    data = {"iban": iban, "bic": bic, "holder": holder, "third_party": third_party}
    if rib:
        data["rib"] = pdf_file("rib.pdf")
    return data


def _post(client, **kw):
    return client.post_form(URL, _form(**kw), content_type="multipart/form-data")


def test_the_admin_of_enters_bank_details_that_wait_for_approval(factory, make_client):
    org = factory.organisation()
    user = factory.cfa_user(org)
    client = make_client(user.email)
    assert client.get(URL).status_code == 200
    response = _post(client, iban="FR76 3000 6000 0112 3456 7890 189", third_party="1")
    assert response.status_code == 302
    details = models.BankDetails.get(models.BankDetails.organisation == org)
    assert (details.iban, details.status, details.third_party, details.entered_by_id) == (IBAN, "pending", True, user.id)
    doc = models.Document.get(models.Document.bank_details == details.id)
    assert doc.doc_type == "rib"
    assert models.AuditEntry.select().where(models.AuditEntry.entity == "bank_details").count() == 1
    page = client.get(URL).get_data(as_text=True)
    assert "En attente de validation" in page and IBAN not in page  # masked in the history


def test_a_wrong_iban_key_or_a_wrong_french_rib_key_is_refused(factory, make_client):
    org = factory.organisation()
    client = make_client(factory.cfa_user(org).email)
    bad_iban_key = _post(client, iban="FR7630006000011234567890188")
    assert bad_iban_key.status_code == 400
    assert "IBAN invalide (clé de contrôle)" in bad_iban_key.get_data(as_text=True)
    # the IBAN's own key is right here, but the RIB key inside it (88) is not
    bad_rib_key = _post(client, iban="FR0630006000011234567890188")
    assert bad_rib_key.status_code == 400
    assert "IBAN invalide (clé RIB)" in bad_rib_key.get_data(as_text=True)
    assert "FR0630006000011234567890188" in bad_rib_key.get_data(as_text=True)  # what was typed is shown again
    assert models.BankDetails.select().count() == 0


def test_a_bic_and_a_rib_pdf_are_required(factory, make_client):
    org = factory.organisation()
    client = make_client(factory.cfa_user(org).email)
    assert _post(client, bic="XX").status_code == 400
    no_rib = _post(client, rib=False)
    assert no_rib.status_code == 400 and "Joignez le RIB" in no_rib.get_data(as_text=True)
    not_pdf = client.post_form(URL, dict(_form(rib=False), rib=(io.BytesIO(b"GIF89a"), "rib.gif")),
                               content_type="multipart/form-data")
    assert not_pdf.status_code == 400 and models.BankDetails.select().count() == 0


def test_no_change_while_an_invoice_is_being_processed(factory, make_client):
    org = factory.organisation()
    inv = make_invoice(org, factory.dossier(organisation=org, state="engage"))
    client = make_client(factory.cfa_user(org).email)
    response = _post(client)
    assert response.status_code == 400
    assert f"facture {inv.display_number}" in response.get_data(as_text=True)
    assert models.BankDetails.select().count() == 0


def test_only_the_admin_of_or_a_billing_right_may_see_or_change_bank_details(factory, make_client):
    org = factory.organisation()
    manager = factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts"])
    client = make_client(manager.email)
    assert client.get(URL).status_code == 403
    assert _post(client).status_code == 403
    biller = make_client(factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts_billing"]).email)
    assert _post(biller).status_code == 302
    staff = make_client(factory.staff("admin").email)
    assert staff.get(URL).status_code == 403


def _pending(factory, org, make_client):
    user = factory.cfa_user(org)
    _post(make_client(user.email))
    return models.BankDetails.get(models.BankDetails.organisation == org)


def _action(client, name, ids):
    return client.post_form("/admin/bankdetails/action/", {"action": name, "rowid": [str(i) for i in ids],
                                                           "url": "/admin/bankdetails/"})


def test_a_comptable_approves_pending_bank_details_and_the_cfa_is_told(factory, make_client):
    org = factory.organisation()
    details = _pending(factory, org, make_client)
    client, user = admin_client(make_client, factory)
    assert _action(client, "approuver", [details.id]).status_code == 302
    fresh = models.BankDetails.get_by_id(details.id)
    assert fresh.status == "approved" and fresh.reviewed_by_id == user.id and fresh.reviewed_at
    note = models.Notification.select().where(models.Notification.organisation == org).order_by(-models.Notification.id).first()
    assert "validées" in note.message


def test_refusing_needs_a_reason_shown_to_the_cfa(factory, make_client):
    org = factory.organisation()
    details = _pending(factory, org, make_client)
    client, _ = admin_client(make_client, factory, role="admin")
    url = f"/admin/bankdetails/motif/refuser/?ids={details.id}"
    assert client.post_form(url, {"ids": str(details.id), "reason": ""}).status_code == 400
    assert models.BankDetails.get_by_id(details.id).status == "pending"
    assert client.post_form(url, {"ids": str(details.id), "reason": "Le RIB joint est illisible."}).status_code == 302
    fresh = models.BankDetails.get_by_id(details.id)
    assert fresh.status == "refused" and fresh.refusal_reason == "Le RIB joint est illisible."
    cfa = make_client(factory.cfa_user(org).email)
    assert "Le RIB joint est illisible." in cfa.get(URL).get_data(as_text=True)


def test_the_staff_member_who_entered_the_bank_details_cannot_approve_them(factory, make_client):
    org = factory.organisation()
    client, user = admin_client(make_client, factory)
    details = models.BankDetails.create(organisation=org, iban=IBAN, bic=BIC, holder="X", entered_by=user.id)
    _action(client, "approuver", [details.id])
    assert models.BankDetails.get_by_id(details.id).status == "pending"
    assert "un autre comptable doit le valider" in client.get("/admin/bankdetails/").get_data(as_text=True)


def test_a_conseiller_cannot_review_bank_details(factory, make_client):
    org = factory.organisation()
    details = _pending(factory, org, make_client)
    client, _ = admin_client(make_client, factory, role="conseiller")
    assert _action(client, "approuver", [details.id]).status_code == 403
    assert models.BankDetails.get_by_id(details.id).status == "pending"


def test_a_change_needs_a_new_approval_and_keeps_the_history(factory, make_client):
    org = factory.organisation()
    first = _pending(factory, org, make_client)
    client, _ = admin_client(make_client, factory)
    _action(client, "approuver", [first.id])
    cfa = make_client(factory.cfa_user(org).email)
    assert _post(cfa, iban=OTHER_IBAN).status_code == 302
    rows = list(models.BankDetails.select().where(models.BankDetails.organisation == org).order_by(models.BankDetails.id))
    assert [(r.iban, r.status) for r in rows] == [(IBAN, "approved"), (OTHER_IBAN, "pending")]
    from workflows.bank_details import approved_bank_details
    assert approved_bank_details(org).iban == IBAN  # payments keep going to the approved one
    _action(client, "approuver", [rows[1].id])
    assert approved_bank_details(org).iban == OTHER_IBAN
    assert _action(client, "approuver", [rows[1].id]).status_code == 302
    assert "déjà été examiné" in client.get("/admin/bankdetails/").get_data(as_text=True)


def test_the_reviewer_sees_the_full_iban_and_downloads_the_rib_before_deciding(factory, make_client):
    org = factory.organisation()
    details = _pending(factory, org, make_client)
    client, _ = admin_client(make_client, factory)
    page = client.get(f"/admin/bankdetails/details/?id={details.id}").get_data(as_text=True)
    assert IBAN in page and "Approuver le RIB" in page and "Refuser le RIB" in page
    rib = client.get(f"/admin/bankdetails/rib/{details.id}.pdf")
    assert rib.status_code == 200 and rib.data.startswith(b"%PDF")
    assert format_iban(IBAN) in client.get("/admin/bankdetails/").get_data(as_text=True)  # whole for who pays


def test_approving_a_new_rib_replaces_the_previous_one_with_the_date(factory, make_client):
    org = factory.organisation()
    cfa_user = factory.cfa_user(org)
    old = factory.approved_bank(org)
    new = models.BankDetails.create(organisation=org, iban=OTHER_IBAN, bic="BNPAFRPPXXX", holder=org.name,
                                    entered_by=cfa_user.id)
    client, user = admin_client(make_client, factory)
    assert _action(client, "approuver", [new.id]).status_code == 302
    old, new = models.BankDetails.get_by_id(old.id), models.BankDetails.get_by_id(new.id)
    assert (old.status, new.status) == ("replaced", "approved")
    assert old.replaced_at == new.reviewed_at
    assert bank_service.approved_bank_details(org).id == new.id
    entry = models.AuditEntry.get((models.AuditEntry.entity == "bank_details")
                                  & (models.AuditEntry.action == "replace"))
    assert entry.entity_id == str(old.id) and entry.user_id == user.id
    assert entry.before["status"] == "approved" and entry.after["status"] == "replaced"
    day = f"{new.reviewed_at:%d/%m/%Y}"
    portal = make_client(cfa_user.email).get(URL).get_data(as_text=True)
    history = portal.split('id="bank-history"')[1]
    assert f"Remplacé le {day}" in history and history.count(">Validé<") == 1
    listing = client.get("/admin/bankdetails/").get_data(as_text=True)
    assert f"Remplacé le {day}" in listing
    details = client.get(f"/admin/bankdetails/details/?id={new.id}").get_data(as_text=True)
    assert f"Remplacé le {day}" in details.split('id="bank-history"')[1]


def test_a_refused_rib_leaves_the_approved_one_in_place(factory, make_client):
    org = factory.organisation()
    old = factory.approved_bank(org)
    new = models.BankDetails.create(organisation=org, iban=OTHER_IBAN, bic="BNPAFRPPXXX", holder=org.name)
    client, _ = admin_client(make_client, factory)
    url = "/admin/bankdetails/motif/refuser/"
    assert client.post_form(url, {"ids": str(new.id), "reason": "RIB illisible."}).status_code == 302
    assert models.BankDetails.get_by_id(old.id).status == "approved"
    assert models.BankDetails.get_by_id(old.id).replaced_at is None
