"""Amendment (avenant): a portal request the OPCO instructs (deposit → agreement or refusal), and staff's direct path.

Nothing about money changes when a CFA deposits a request: the dossier, its installments, its invoices and
credit notes stay byte-identical until a conseiller agrees to it in the back office.
"""
import datetime as dt
import html
import io
from decimal import Decimal

from pypdf import PdfReader

import models
import rules
from infrastructure.formatting import montant

from .workflow_helpers import installments, invoice_and_pay

from tests.factories import contract, pdf_file

LATER = {"new_end": "28/02/2027", "new_npec": "", "reason": "Fin anticipée"}


def setup(factory, make_client, rights=None, **kw):
    org = factory.organisation()
    dossier = factory.engaged_dossier(organisation=org, **kw)
    return dossier, make_client(factory.billing_user(org, rights=rights).email)


def deposit(client, dossier, data=LATER, document="avenant.pdf"):
    body = dict(data)
    if document:
        body["document"] = pdf_file(document)
    return client.post_form(f"/portail/dossiers/{dossier.number}/avenant/confirmer", body,
                            content_type="multipart/form-data")


def conseiller(factory, make_client, role="conseiller"):
    return make_client(factory.staff(role, first_name="Nadia", last_name="Benali").email)


def agree(staff, dossier, amendment=None):
    amendment = amendment or models.Amendment.get(models.Amendment.dossier == dossier.id)
    return staff.post_form(f"/admin/avenant/{dossier.id}/accorder", {"amendment_id": str(amendment.id)})


def pdf_text(data):
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def text(response):
    return html.unescape(response.get_data(as_text=True))


def money_rows(dossier):
    """Every stored money fact of the dossier, as the database holds it."""
    def rows(model, *where):
        return list(model.select().where(*where).order_by(model.id).tuples())
    return (rows(models.Dossier, models.Dossier.id == dossier.id),
            rows(models.Installment, models.Installment.dossier == dossier.id),
            rows(models.Invoice, models.Invoice.dossier == dossier.id),
            rows(models.InvoiceLine, models.InvoiceLine.dossier == dossier.id),
            rows(models.CreditNote, models.CreditNote.dossier == dossier.id),
            rows(models.PaymentLine, models.PaymentLine.dossier == dossier.id),
            rows(models.Letter, models.Letter.dossier == dossier.id))


# --- the CFA deposits a request -------------------------------------------------------------------------

def test_the_preview_shows_the_new_financing_and_writes_nothing(factory, make_client):
    dossier, client = setup(factory, make_client)
    expected = rules.amend(contract(), new_end=dt.date(2027, 2, 28))
    response = client.post_form(f"/portail/dossiers/{dossier.number}/avenant", LATER)
    page = text(response)
    assert response.status_code == 200 and "Déposer la demande d'avenant" in page
    assert montant(expected.financing.net) in page and montant(expected.difference) in page
    assert models.Amendment.select().count() == 0
    assert models.Dossier.get_by_id(dossier.id).contract_end == dt.date(2027, 8, 31)


def test_a_deposit_without_the_billing_right_changes_no_money(factory, make_client):
    """Issue 9: `gestion@cfa-sud.test` (contracts right only) doubled an engaged dossier's NPEC at once."""
    dossier, client = setup(factory, make_client, rights=["right_contracts"])
    invoice_and_pay(dossier, 1)
    before = money_rows(dossier)
    response = deposit(client, dossier, {"new_npec": f"{dossier.npec * 2}".replace(".", ","),
                                         "reason": "Changement de coût"})
    assert response.status_code == 302
    assert money_rows(dossier) == before
    amendment = models.Amendment.get()
    assert amendment.state == "deposee" and amendment.new_npec == dossier.npec * 2
    assert amendment.old_npec == dossier.npec and amendment.declared_by_id is not None
    document = models.Document.get_by_id(amendment.document_id)
    assert document.doc_type == "avenant" and document.dossier_id == dossier.id
    assert ("amendment", "create") in {(a.entity, a.action) for a in models.AuditEntry.select()}
    page = client.get(f"/portail/dossiers/{dossier.number}").get_data(as_text=True)
    assert "Déposé par le CFA" in page


def test_a_second_request_while_one_waits_is_refused(factory, make_client):
    dossier, client = setup(factory, make_client)
    assert deposit(client, dossier).status_code == 302
    response = deposit(client, dossier, dict(LATER, new_end="31/03/2027"))
    assert response.status_code == 400 and "attend la décision de l'OPCO" in text(response)
    assert models.Amendment.select().count() == 1


def test_a_deposit_without_the_pdf_is_refused_and_writes_nothing(factory, make_client):
    dossier, client = setup(factory, make_client)
    response = deposit(client, dossier, document=None)
    assert response.status_code == 400 and "est manquant" in response.get_data(as_text=True)
    response = client.post_form(f"/portail/dossiers/{dossier.number}/avenant/confirmer",
                                dict(LATER, document=(io.BytesIO(b"not a pdf"), "a.pdf")),
                                content_type="multipart/form-data")
    assert response.status_code == 400 and "pas un PDF" in response.get_data(as_text=True)
    assert models.Amendment.select().count() == 0 and models.Document.select().count() == 0


def test_bad_inputs_are_refused_with_a_message(factory, make_client):
    dossier, client = setup(factory, make_client)
    cases = [({"reason": "rien"}, "nouvelle date de fin et/ou un nouveau NPEC"),
             ({"new_end": "01/08/2025", "reason": "x"}, "doit suivre le début du contrat"),
             ({"new_end": "31/08/2027", "reason": "x"}, "ne change ni la date de fin, ni le NPEC"),
             ({"new_npec": "-5", "reason": "x"}, "montant positif"),
             ({"new_npec": "abc", "reason": "x"}, "Montant invalide"),
             ({"new_rncp_code": "abc", "reason": "x"}, "RNCP"),
             ({"new_end": "2027-13-01", "reason": "x"}, "Date invalide")]
    for data, message in cases:
        response = client.post_form(f"/portail/dossiers/{dossier.number}/avenant", data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), data
    assert models.Amendment.select().count() == 0


def test_a_ruptured_or_unengaged_dossier_cannot_be_amended(factory, make_client):
    dossier, client = setup(factory, make_client)
    dossier.rupture_date = dt.date(2026, 1, 31)
    dossier.save()
    response = client.post_form(f"/portail/dossiers/{dossier.number}/avenant", {"new_end": "28/02/2027", "reason": "x"})
    assert response.status_code == 400 and "déjà enregistrée" in response.get_data(as_text=True)
    other = factory.dossier(organisation=dossier.organisation, state="solde")
    response = client.post_form(f"/portail/dossiers/{other.number}/avenant", {"new_end": "28/02/2027", "reason": "x"})
    assert response.status_code == 400 and "Seul un dossier engagé" in response.get_data(as_text=True)


def test_rights_and_scope_are_enforced(factory, make_client):
    dossier, client = setup(factory, make_client, rights=["right_no_contract_billing"])
    assert client.get(f"/portail/dossiers/{dossier.number}/avenant").status_code == 403
    stranger = make_client(factory.billing_user(factory.organisation()).email)
    assert stranger.get(f"/portail/dossiers/{dossier.number}/avenant").status_code == 404
    assert stranger.post_form(f"/portail/dossiers/{dossier.number}/avenant/confirmer",
                              {"new_end": "28/02/2027", "reason": "x"}).status_code == 404


def test_the_form_page_renders(factory, make_client):
    dossier, client = setup(factory, make_client)
    response = client.get(f"/portail/dossiers/{dossier.number}/avenant")
    assert response.status_code == 200 and "Demander un avenant" in response.get_data(as_text=True)


# --- a conseiller instructs it -------------------------------------------------------------------------

def test_the_conseiller_sees_the_request_and_the_same_preview(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 1)
    deposit(client, dossier)
    staff = conseiller(factory, make_client)
    listing = staff.get("/admin/avenant/").get_data(as_text=True)
    assert "Avenants à instruire" in listing and dossier.number in listing
    assert f"/admin/avenant/{dossier.id}/demande" in listing
    page = staff.get(f"/admin/avenant/{dossier.id}/demande")
    expected = rules.amend(contract(), new_end=dt.date(2027, 2, 28), paid=paid)
    body = text(page)
    assert page.status_code == 200 and "Accorder l'avenant" in body and "Refuser l'avenant" in body
    assert montant(expected.financing.net) in body and montant(expected.difference) in body
    details = staff.get(f"/admin/dossier/details/?id={dossier.id}").get_data(as_text=True)
    assert f"/admin/avenant/{dossier.id}/demande" in details
    signed = staff.get(f"/admin/avenant/{dossier.id}/demande/avenant.pdf")
    assert signed.status_code == 200 and signed.data.startswith(b"%PDF")
    assert signed.headers["Content-Disposition"].startswith("attachment;")


def test_agreeing_recomputes_the_schedule_with_a_letter_and_an_audit(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 1)
    deposit(client, dossier)
    expected = rules.amend(contract(), new_end=dt.date(2027, 2, 28), paid=paid)
    staff = conseiller(factory, make_client)
    response = agree(staff, dossier)
    assert response.status_code == 302 and f"/admin/dossier/details/?id={dossier.id}" in response.headers["Location"]
    dossier = models.Dossier.get_by_id(dossier.id)
    assert dossier.contract_end == dt.date(2027, 2, 28)
    assert dossier.total_financed == expected.financing.total
    live = [i for i in installments(dossier) if i.status != "cancelled"]
    assert sum(i.amount for i in live) == expected.financing.net
    amendment = models.Amendment.get()
    assert amendment.state == "accordee" and amendment.decided_by_id is not None
    assert (amendment.old_end, amendment.new_end, amendment.difference) == (
        dt.date(2027, 8, 31), dt.date(2027, 2, 28), expected.difference)
    assert models.Letter.select().where(models.Letter.kind == "avenant").count() == 1
    actions = {(a.entity, a.action) for a in models.AuditEntry.select()}
    assert {("dossier", "record_amendment"), ("amendment", "create"), ("amendment", "grant"),
            ("installment", "reschedule")} <= actions
    notes = [n.message for n in models.Notification.select().where(models.Notification.dossier == dossier.id)]
    assert any("accordé" in n for n in notes)
    # Agreeing twice does nothing more.
    again = agree(staff, dossier, amendment)
    assert again.status_code == 302
    assert models.Letter.select().where(models.Letter.kind == "avenant").count() == 1


def test_a_lower_npec_below_what_was_paid_creates_a_credit_note_at_the_agreement(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 3)
    expected = rules.amend(contract(), new_npec=Decimal("1000.00"), paid=paid)
    assert expected.credit_note > 0
    assert deposit(client, dossier, {"new_npec": "1 000,00", "reason": "NPEC révisé"}).status_code == 302
    assert models.CreditNote.select().count() == 0
    assert agree(conseiller(factory, make_client), dossier).status_code == 302
    note = models.CreditNote.get()
    assert (note.amount, note.reason) == (expected.credit_note, "amendment")
    assert models.Dossier.get_by_id(dossier.id).npec == Decimal("1000.00")


def test_a_training_change_is_applied_at_the_agreement(factory, make_client):
    dossier, client = setup(factory, make_client)
    before = money_rows(dossier)
    data = {"new_training": "Bac professionnel Métiers du commerce et de la vente", "new_rncp_code": "rncp 38362",
            "reason": "Changement de formation"}
    assert deposit(client, dossier, data).status_code == 302
    assert models.Dossier.get_by_id(dossier.id).diploma_title != data["new_training"]
    staff = conseiller(factory, make_client)
    assert agree(staff, dossier).status_code == 302
    letter = models.Letter.get(models.Letter.kind == "avenant")
    pdf = staff.get(f"/admin/dossier/courrier/{letter.id}/").data
    assert "RNCP35320" in pdf_text(pdf) and "RNCP38362" in pdf_text(pdf)
    fresh = models.Dossier.get_by_id(dossier.id)
    assert (fresh.diploma_title, fresh.rncp_code) == ("Bac professionnel Métiers du commerce et de la vente", "RNCP38362")
    assert models.Amendment.get().difference == Decimal("0.00")
    assert money_rows(dossier)[1] == before[1]  # same NPEC and dates: the schedule is untouched


def test_refusing_needs_a_reason_and_tells_the_cfa(factory, make_client):
    dossier, client = setup(factory, make_client)
    deposit(client, dossier)
    before = money_rows(dossier)
    amendment = models.Amendment.get()
    staff = conseiller(factory, make_client)
    response = staff.post_form(f"/admin/avenant/{dossier.id}/refuser", {"amendment_id": str(amendment.id), "reason": ""})
    assert response.status_code == 400 and "motif est obligatoire" in response.get_data(as_text=True)
    assert models.Amendment.get().state == "deposee"
    response = staff.post_form(f"/admin/avenant/{dossier.id}/refuser",
                               {"amendment_id": str(amendment.id), "reason": "Avenant non signé par l'employeur"})
    assert response.status_code == 302
    amendment = models.Amendment.get()
    assert (amendment.state, amendment.refusal_reason) == ("refusee", "Avenant non signé par l'employeur")
    assert money_rows(dossier) == before
    notes = [n.message for n in models.Notification.select().where(models.Notification.dossier == dossier.id)]
    assert any("refusée" in n and "Avenant non signé par l'employeur" in n for n in notes)
    assert ("amendment", "refuse") in {(a.entity, a.action) for a in models.AuditEntry.select()}
    assert "Avenant non signé par l'employeur" in text(client.get(f"/portail/dossiers/{dossier.number}"))
    # Once refused, a new request may be deposited.
    assert deposit(client, dossier).status_code == 302


def test_a_decision_on_a_request_other_than_the_one_shown_is_refused(factory, make_client):
    dossier, client = setup(factory, make_client)
    deposit(client, dossier)
    amendment = models.Amendment.get()
    staff = conseiller(factory, make_client)
    response = staff.post_form(f"/admin/avenant/{dossier.id}/accorder", {"amendment_id": str(amendment.id + 1)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/avenant/{dossier.id}/demande")
    assert models.Amendment.get().state == "deposee"


def test_a_comptable_or_a_cfa_user_may_not_instruct(factory, make_client):
    dossier, client = setup(factory, make_client)
    deposit(client, dossier)
    before = money_rows(dossier)
    amendment = models.Amendment.get()
    comptable = conseiller(factory, make_client, "comptable")
    assert comptable.get("/admin/avenant/").status_code == 403
    assert comptable.get(f"/admin/avenant/{dossier.id}/demande").status_code == 403
    for who in (comptable, client):
        for action in ("accorder", "refuser"):
            response = who.post_form(f"/admin/avenant/{dossier.id}/{action}",
                                     {"amendment_id": str(amendment.id), "reason": "x"})
            assert response.status_code == 403
    assert models.Amendment.get().state == "deposee" and money_rows(dossier) == before


# --- staff record an amendment directly ------------------------------------------------------------------

def test_a_conseiller_records_an_amendment_from_the_back_office(factory, make_client):
    dossier = factory.engaged_dossier()
    client = make_client(factory.staff("conseiller").email)
    assert client.get(f"/admin/avenant/{dossier.id}/").status_code == 200
    expected = rules.amend(contract(), new_end=dt.date(2027, 2, 28))
    preview = client.post_form(f"/admin/avenant/{dossier.id}/", LATER)
    assert preview.status_code == 200 and montant(expected.financing.net) in preview.get_data(as_text=True)
    assert client.post_form(f"/admin/avenant/{dossier.id}/confirmer", LATER).status_code == 400
    response = client.post_form(f"/admin/avenant/{dossier.id}/confirmer", dict(LATER, document=pdf_file()),
                                content_type="multipart/form-data")
    assert response.status_code == 302
    amendment = models.Amendment.get()
    assert amendment.difference == expected.difference and amendment.state == "accordee"
    assert {("amendment", "create"), ("amendment", "grant")} <= {(a.entity, a.action)
                                                                  for a in models.AuditEntry.select()}
    assert models.Dossier.get_by_id(dossier.id).contract_end == dt.date(2027, 2, 28)
    comptable = make_client(factory.staff("comptable").email)
    assert comptable.get(f"/admin/avenant/{dossier.id}/").status_code == 403


def test_installments_left_unchanged_by_an_amendment_are_kept_as_they_are(factory, make_client):
    dossier, client = setup(factory, make_client)
    before = {i.id: (i.billable_from, i.amount) for i in installments(dossier)}
    assert deposit(client, dossier, {"new_end": "31/12/2027", "reason": "Prolongation"}).status_code == 302
    assert agree(conseiller(factory, make_client), dossier).status_code == 302
    after = installments(dossier)
    kept = [i for i in after if i.id in before and i.status == "to_invoice"]
    # The first year's installments do not change with a later end: same rows, same numbers.
    assert kept and all(before[i.id] == (i.billable_from, i.amount) for i in kept)
    assert all(i.status == "cancelled" for i in after if i.id in before and i not in kept)
    expected = rules.amend(contract(),
                           new_end=dt.date(2027, 12, 31))
    assert sum(i.amount for i in after if i.status != "cancelled") == expected.financing.net
