"""Invoice compliance in the back office (valider, mettre en attente, rejeter) and the CFA's answer."""
import models
from tests.billing.billing_helpers import admin_client
from tests.factories import comptable, make_invoice, pdf_file


def _setup(factory):
    org = factory.organisation()
    dossier = factory.dossier(organisation=org, state="engage")
    return org, dossier


def _action(client, name, ids):
    return client.post_form("/admin/invoice/action/", {"action": name, "rowid": [str(i) for i in ids],
                                                       "url": "/admin/invoice/"})


def _state(inv):
    return models.Invoice.get_by_id(inv.id).state


def test_a_comptable_validates_an_invoice_in_process(factory, make_client):
    org, dossier = _setup(factory)
    billing = factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts_billing"])
    factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts"])  # no billing right: not told
    inv = make_invoice(org, dossier)
    client, user = admin_client(make_client, factory)
    response = _action(client, "valider", [inv.id])
    assert response.status_code == 302
    fresh = models.Invoice.get_by_id(inv.id)
    assert fresh.state == "validee" and fresh.validated_at is not None
    event = models.InvoiceEvent.select().where(models.InvoiceEvent.invoice == inv.id).order_by(-models.InvoiceEvent.id).first()
    assert event.state == "validee" and event.by_id == user.id
    assert models.AuditEntry.select().where((models.AuditEntry.entity == "invoice") & (models.AuditEntry.action == "validate")).count() == 1
    [told] = models.Notification.select().where(models.Notification.message.contains("validée"))
    assert told.user_id == billing.id


def test_validating_an_invoice_not_in_process_is_refused_and_changes_nothing(factory, make_client):
    org, dossier = _setup(factory)
    inv = make_invoice(org, dossier, state="rejetee")
    client, _ = admin_client(make_client, factory)
    response = _action(client, "valider", [inv.id])
    assert response.status_code == 302
    assert _state(inv) == "rejetee"
    page = client.get("/admin/invoice/").get_data(as_text=True)
    assert "cette action n&#39;est possible que pour une facture en cours de traitement" in page


def test_a_conseiller_may_not_decide_on_invoices(factory, make_client):
    org, dossier = _setup(factory)
    inv = make_invoice(org, dossier)
    client, _ = admin_client(make_client, factory, role="conseiller")
    assert _action(client, "valider", [inv.id]).status_code == 403
    assert client.get(f"/admin/invoice/motif/rejeter/?ids={inv.id}").status_code == 403
    assert _state(inv) == "en_traitement"
    assert client.get("/admin/invoice/").status_code == 200  # reading stays open to every staff role


def test_putting_on_hold_asks_for_a_reason_shown_to_the_cfa(factory, make_client):
    org, dossier = _setup(factory)
    factory.cfa_user(org)
    inv = make_invoice(org, dossier)
    client, _ = admin_client(make_client, factory)
    response = _action(client, "mettre_en_attente", [inv.id])
    assert response.status_code == 302 and "/admin/invoice/motif/mettre_en_attente/" in response.headers["Location"]
    form_url = response.headers["Location"]
    assert client.get(form_url).status_code == 200
    empty = client.post_form(form_url, {"ids": str(inv.id), "reason": "  "})
    assert empty.status_code == 400 and "Le motif est obligatoire" in empty.get_data(as_text=True)
    assert _state(inv) == "en_traitement"
    done = client.post_form(form_url, {"ids": str(inv.id), "reason": "Il manque le certificat de réalisation."})
    assert done.status_code == 302
    fresh = models.Invoice.get_by_id(inv.id)
    assert fresh.state == "en_attente" and fresh.hold_reason == "Il manque le certificat de réalisation."
    note = models.Notification.select().where(models.Notification.organisation == org).order_by(-models.Notification.id).first()
    assert "Il manque le certificat de réalisation." in note.message


def test_rejecting_needs_a_reason_and_frees_the_installments(factory, make_client):
    org, dossier = _setup(factory)
    inst = models.Installment.create(dossier=dossier, number=1, year=1, kind="advance", billable_from="2025-09-01",
                                     period_start="2025-09-01", period_end="2026-02-28", amount="2800.00")
    inv = make_invoice(org, dossier, lines=[dict(dossier=dossier, installment=inst, nature="teaching", quantity=1,
                                                 amount=inst.amount)])
    assert models.Installment.get_by_id(inst.id).status == "invoiced"
    client, _ = admin_client(make_client, factory, role="admin")
    response = client.post_form(f"/admin/invoice/motif/rejeter/?ids={inv.id}",
                                {"ids": str(inv.id), "reason": "Période hors contrat."})
    assert response.status_code == 302
    fresh = models.Invoice.get_by_id(inv.id)
    assert fresh.state == "rejetee" and fresh.rejection_reason == "Période hors contrat."
    assert models.Installment.get_by_id(inst.id).status == "to_invoice"


def test_the_details_page_offers_the_buttons_of_the_state(factory, make_client):
    org, dossier = _setup(factory)
    inv = make_invoice(org, dossier)
    client, _ = admin_client(make_client, factory)
    page = client.get(f"/admin/invoice/details/?id={inv.id}").get_data(as_text=True)
    assert 'name="action" value="valider"' in page and "Mettre en attente de mise en conformité" in page
    assert "Coût pédagogique" in page and "Historique" in page
    _action(client, "valider", [inv.id])
    page = client.get(f"/admin/invoice/details/?id={inv.id}").get_data(as_text=True)
    assert 'name="action" value="valider"' not in page and "Mettre en attente de mise en conformité" not in page


def test_the_cfa_answers_an_invoice_on_hold_with_a_document(factory, make_client):
    org, dossier = _setup(factory)
    inv = make_invoice(org, dossier, state="en_attente")
    cfa = factory.cfa_user(org)
    client = make_client(cfa.email)
    page = client.get(f"/portail/factures/{inv.id}/document")
    assert page.status_code == 200 and "Certificat de réalisation manquant." in page.get_data(as_text=True)
    response = client.post_form(f"/portail/factures/{inv.id}/document",
                                {"doc_type": "certificat", "document": pdf_file("certificat.pdf")},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    assert _state(inv) == "en_traitement"
    doc = models.Document.get(models.Document.invoice == inv.id)
    assert doc.doc_type == "certificat" and doc.original_name == "certificat.pdf"
    events = [e.state for e in models.InvoiceEvent.select().where(models.InvoiceEvent.invoice == inv.id).order_by(models.InvoiceEvent.id)]
    assert events == ["en_traitement", "en_attente", "en_traitement"]


def test_the_cfa_answer_refuses_a_non_pdf_and_a_closed_invoice(factory, make_client):
    org, dossier = _setup(factory)
    held = make_invoice(org, dossier, state="en_attente")
    client = make_client(factory.cfa_user(org).email)
    import io
    bad = client.post_form(f"/portail/factures/{held.id}/document",
                           {"doc_type": "facture", "document": (io.BytesIO(b"hello"), "note.txt")},
                           content_type="multipart/form-data")
    assert bad.status_code == 400 and "n&#39;est pas un PDF" in bad.get_data(as_text=True)
    assert _state(held) == "en_attente" and models.Document.select().count() == 0
    paid = make_invoice(org, dossier, state="payee")
    wrong = client.post_form(f"/portail/factures/{paid.id}/document",
                             {"doc_type": "facture", "document": pdf_file()}, content_type="multipart/form-data")
    assert wrong.status_code == 409 and models.Document.select().count() == 0
    assert "on ne peut plus y ajouter de pièce" in wrong.get_data(as_text=True).replace("&#39;", "'")


def test_another_organisation_and_a_user_without_billing_right_cannot_answer(factory, make_client):
    org, dossier = _setup(factory)
    inv = make_invoice(org, dossier, state="en_attente")
    stranger = make_client(factory.cfa_user(factory.organisation()).email)
    assert stranger.post_form(f"/portail/factures/{inv.id}/document", {"document": pdf_file()},
                              content_type="multipart/form-data").status_code == 404
    no_billing = make_client(factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts"]).email)
    assert no_billing.post_form(f"/portail/factures/{inv.id}/document", {"document": pdf_file()},
                                content_type="multipart/form-data").status_code == 403
    assert _state(inv) == "en_attente"


def test_the_portal_invoice_page_shows_lines_history_and_the_hold_reason(factory, make_client):
    org, dossier = _setup(factory)
    inv = make_invoice(org, dossier, state="en_attente")
    client = make_client(factory.cfa_user(org).email)
    page = client.get(f"/portail/factures/{inv.id}").get_data(as_text=True)
    assert "Certificat de réalisation manquant." in page and "Coût pédagogique" in page
    assert "1\u00a0000,00\u00a0€" in page


def test_the_portal_invoice_page_offers_a_supplementary_document_in_the_open_states_only(factory, make_client):
    org, dossier = _setup(factory)
    client = make_client(factory.cfa_user(org).email)
    for state, offered in (("en_attente", True), ("en_traitement", True), ("validee", True), ("payee", False),
                           ("rejetee", False)):
        inv = make_invoice(org, dossier, state=state)
        page = client.get(f"/portail/factures/{inv.id}").get_data(as_text=True)
        assert ('id="compliance-form"' in page) is offered, state
        assert ("Déposer une pièce complémentaire à la facture" in page) is offered, state


def test_a_decision_never_redirects_outside_the_site(factory, make_client):
    org, dossier = _setup(factory)
    inv = make_invoice(org, dossier)
    client, _ = admin_client(make_client, factory)
    response = client.post_form("/admin/invoice/action/", {"action": "valider", "rowid": [str(inv.id)],
                                                           "url": "https://evil.example/"})
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]
    assert _state(inv) == "validee"


def test_two_clerks_deciding_on_the_same_invoice_cannot_both_win(factory):
    from workflows import invoice_workflow as workflow
    import pytest

    org, dossier = _setup(factory)
    inv = make_invoice(org, dossier)
    seen_by_first, seen_by_second = models.Invoice.get_by_id(inv.id), models.Invoice.get_by_id(inv.id)
    workflow.validate(seen_by_first, comptable())
    with pytest.raises(workflow.InvoiceWorkflowError, match="Validée"):
        workflow.put_on_hold(seen_by_second, "Pièce manquante.", comptable())  # its copy still says en_traitement
    assert _state(inv) == "validee"
    assert [e.state for e in models.InvoiceEvent.select().where(models.InvoiceEvent.invoice == inv.id)
            .order_by(models.InvoiceEvent.id)] == ["en_traitement", "validee"]


def test_a_forged_row_id_is_a_bad_request_not_a_crash(factory, make_client):
    client, _ = admin_client(make_client, factory)
    assert _action(client, "valider", ["abc"]).status_code == 400
    assert client.get("/admin/invoice/motif/rejeter/?ids=1,x").status_code == 400
