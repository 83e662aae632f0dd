"""Amendment (avenant) from the portal: preview from rules.amend, confirmation with the signed PDF, refusals."""
import datetime as dt
import io
from decimal import Decimal

import models
import rules
from services.dossier_rules import contract_from_dossier
from services.formatting import montant

from .workflow_helpers import billing_user, engaged, installments, invoice_and_pay, pdf_file


def setup(factory, make_client, rights=None, **kw):
    org = factory.organisation()
    dossier = engaged(factory, organisation=org, **kw)
    return dossier, make_client(billing_user(factory, org, rights=rights).email)


def test_the_preview_shows_the_new_financing_and_writes_nothing(factory, make_client):
    dossier, client = setup(factory, make_client)
    expected = rules.amend(contract_from_dossier(dossier), new_end=dt.date(2027, 2, 28))
    response = client.post_form(f"/portail/dossiers/{dossier.number}/avenant",
                                {"new_end": "28/02/2027", "new_npec": "", "reason": "Fin anticipée"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Confirmer l'avenant" in html
    assert montant(expected.financing.net) in html and montant(expected.difference) in html
    assert models.Amendment.select().count() == 0
    assert models.Dossier.get_by_id(dossier.id).contract_end == dt.date(2027, 8, 31)


def test_confirming_a_shorter_contract_recomputes_the_schedule(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 1)
    expected = rules.amend(contract_from_dossier(dossier), new_end=dt.date(2027, 2, 28), paid=paid)
    response = client.post_form(f"/portail/dossiers/{dossier.number}/avenant/confirmer",
                                {"new_end": "28/02/2027", "reason": "Fin anticipée", "document": pdf_file("avenant.pdf")},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    dossier = models.Dossier.get_by_id(dossier.id)
    assert dossier.contract_end == dt.date(2027, 2, 28)
    assert dossier.total_financed == expected.financing.total
    live = [i for i in installments(dossier) if i.status != "cancelled"]
    assert sum(i.amount for i in live) == expected.financing.net
    amendment = models.Amendment.get()
    assert (amendment.old_end, amendment.new_end, amendment.difference) == (
        dt.date(2027, 8, 31), dt.date(2027, 2, 28), expected.difference)
    assert models.Document.get().doc_type == "avenant"
    assert models.Letter.select().where(models.Letter.kind == "avenant").count() == 1
    assert {("Dossier", "avenant"), ("Amendment", "create")} <= {(a.entity, a.action) for a in models.AuditEntry.select()}


def test_a_lower_npec_below_what_was_paid_creates_a_credit_note(factory, make_client):
    dossier, client = setup(factory, make_client)
    _, paid = invoice_and_pay(dossier, 3)
    expected = rules.amend(contract_from_dossier(dossier), new_npec=Decimal("1000.00"), paid=paid)
    assert expected.credit_note > 0
    response = client.post_form(f"/portail/dossiers/{dossier.number}/avenant/confirmer",
                                {"new_npec": "1 000,00", "reason": "NPEC révisé", "document": pdf_file()},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    note = models.CreditNote.get()
    assert (note.amount, note.reason) == (expected.credit_note, "amendment")
    assert models.Dossier.get_by_id(dossier.id).npec == Decimal("1000.00")


def test_confirmation_without_the_pdf_is_refused_and_writes_nothing(factory, make_client):
    dossier, client = setup(factory, make_client)
    response = client.post_form(f"/portail/dossiers/{dossier.number}/avenant/confirmer",
                                {"new_end": "28/02/2027", "reason": "Fin anticipée"})
    assert response.status_code == 400 and "est manquant" in response.get_data(as_text=True)
    response = client.post_form(f"/portail/dossiers/{dossier.number}/avenant/confirmer",
                                {"new_end": "28/02/2027", "reason": "x", "document": (io.BytesIO(b"not a pdf"), "a.pdf")},
                                content_type="multipart/form-data")
    assert response.status_code == 400 and "pas un PDF" in response.get_data(as_text=True)
    assert models.Amendment.select().count() == 0 and models.Document.select().count() == 0


def test_bad_inputs_are_refused_with_a_message(factory, make_client):
    dossier, client = setup(factory, make_client)
    cases = [({"reason": "rien"}, "nouvelle date de fin et/ou un nouveau NPEC"),
             ({"new_end": "01/08/2025", "reason": "x"}, "doit suivre le début du contrat"),
             ({"new_end": "31/08/2027", "reason": "x"}, "ne change ni la date de fin ni le NPEC"),
             ({"new_npec": "-5", "reason": "x"}, "montant positif"),
             ({"new_npec": "abc", "reason": "x"}, "Montant invalide"),
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
    stranger = make_client(billing_user(factory, factory.organisation()).email)
    assert stranger.get(f"/portail/dossiers/{dossier.number}/avenant").status_code == 404
    assert stranger.post_form(f"/portail/dossiers/{dossier.number}/avenant/confirmer",
                              {"new_end": "28/02/2027", "reason": "x"}).status_code == 404


def test_the_form_page_renders(factory, make_client):
    dossier, client = setup(factory, make_client)
    response = client.get(f"/portail/dossiers/{dossier.number}/avenant")
    assert response.status_code == 200 and "Créer un avenant" in response.get_data(as_text=True)


def test_a_conseiller_records_an_amendment_from_the_back_office(factory, make_client):
    dossier = engaged(factory)
    client = make_client(factory.staff("conseiller").email)
    assert client.get(f"/admin/avenant/{dossier.id}/").status_code == 200
    expected = rules.amend(contract_from_dossier(dossier), new_end=dt.date(2027, 2, 28))
    preview = client.post_form(f"/admin/avenant/{dossier.id}/", {"new_end": "28/02/2027", "reason": "Fin anticipée"})
    assert preview.status_code == 200 and montant(expected.financing.net) in preview.get_data(as_text=True)
    assert client.post_form(f"/admin/avenant/{dossier.id}/confirmer",
                            {"new_end": "28/02/2027", "reason": "Fin anticipée"}).status_code == 400
    response = client.post_form(f"/admin/avenant/{dossier.id}/confirmer",
                                {"new_end": "28/02/2027", "reason": "Fin anticipée", "document": pdf_file()},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    assert models.Amendment.get().difference == expected.difference
    assert models.Dossier.get_by_id(dossier.id).contract_end == dt.date(2027, 2, 28)
    comptable = make_client(factory.staff("comptable").email)
    assert comptable.get(f"/admin/avenant/{dossier.id}/").status_code == 403


def test_installments_left_unchanged_by_an_amendment_are_kept_as_they_are(factory, make_client):
    dossier, client = setup(factory, make_client)
    before = {i.id: (i.billable_from, i.amount) for i in installments(dossier)}
    response = client.post_form(f"/portail/dossiers/{dossier.number}/avenant/confirmer",
                                {"new_end": "31/12/2027", "reason": "Prolongation", "document": pdf_file()},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    after = installments(dossier)
    kept = [i for i in after if i.id in before and i.status == "to_invoice"]
    # The first year's installments do not change with a later end: same rows, same numbers.
    assert kept and all(before[i.id] == (i.billable_from, i.amount) for i in kept)
    assert all(i.status == "cancelled" for i in after if i.id in before and i not in kept)
    expected = rules.amend(contract_from_dossier(models.Dossier.get_by_id(dossier.id), end=dt.date(2027, 8, 31)),
                           new_end=dt.date(2027, 12, 31))
    assert sum(i.amount for i in after if i.status != "cancelled") == expected.financing.net
