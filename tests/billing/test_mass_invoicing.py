"""Mass invoicing (seed 002): three steps saved as a draft, checked per dossier by the rules, sent as one invoice."""
import datetime as dt
import io
from decimal import Decimal

import models
from rules.mass_invoicing import split_uplift

from .workflow_helpers import installments

from tests.factories import pdf_file
from infrastructure import clock

TODAY = clock.today()


def setup(factory, make_client, rights=None):
    org = factory.organisation()
    return org, make_client(factory.billing_user(org, rights=rights).email)


def first_open(dossier):
    return installments(dossier, "to_invoice")[0]


def start_draft(client, dossiers, fees=("teaching",), action="next"):
    response = client.post_form("/portail/facturation", {"fees": list(fees), "dossiers": [d.id for d in dossiers],
                                                          "action": action})
    assert response.status_code == 302, response.get_data(as_text=True)
    return models.Invoice.select().order_by(models.Invoice.id.desc()).first()


def send_data(**over):
    data = {"cfa_reference": "FAC-2026-001", "cfa_invoice_date": TODAY.strftime("%d/%m/%Y"), "terms": "y",
            "action": "send", "document": pdf_file("facture.pdf")}
    data.update(over)
    return data


def test_step_one_lists_only_dossiers_with_something_billable(factory, make_client):
    org, client = setup(factory, make_client)
    billable = factory.engaged_dossier(organisation=org)
    future = factory.engaged_dossier(organisation=org, conclusion_date=TODAY,
                                     contract_start=TODAY + dt.timedelta(days=30),
                                     contract_end=TODAY + dt.timedelta(days=800), cap_nights=0, cap_meals=0,
                                     cap_first_equipment=Decimal("0"))
    pending = factory.dossier(organisation=org, state="en_instruction")
    foreign = factory.engaged_dossier()
    html = client.get("/portail/facturation").get_data(as_text=True)
    assert f'value="{billable.id}"' in html
    for other in (future, pending, foreign):
        assert f"<td>{other.number}</td>" not in html


def test_a_draft_is_saved_at_step_one_without_a_number_and_resumed(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = factory.engaged_dossier(organisation=org)
    invoice = start_draft(client, [dossier], fees=("teaching", "annex"), action="save")
    assert (invoice.state, invoice.kind, invoice.number) == ("brouillon", "mass", None)
    assert invoice.draft["dossiers"] == [dossier.id] and invoice.draft["fees"] == ["teaching", "annex"]
    response = client.get(f"/portail/facturation/{invoice.id}")
    assert response.headers["Location"].endswith(f"/portail/facturation/{invoice.id}/dossiers")
    html = client.get(f"/portail/facturation/{invoice.id}/dossiers").get_data(as_text=True)
    assert f'value="{dossier.id}" id="d-{dossier.id}" checked' in html and 'id="fee-annex" checked' in html
    assert "Brouillon #" in client.get("/portail/facturation").get_data(as_text=True)


def test_a_draft_is_saved_at_step_two_and_resumed_with_what_was_typed(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = factory.engaged_dossier(organisation=org)
    invoice = start_draft(client, [dossier], fees=("teaching", "annex"))
    item = first_open(dossier)
    response = client.post_form(f"/portail/facturation/{invoice.id}/echeances",
                                {f"inst-{dossier.id}": [item.id], f"nights-{dossier.id}": "4",
                                 f"lodging-{dossier.id}": "24,00", "action": "save"})
    assert response.status_code == 302
    invoice = models.Invoice.get_by_id(invoice.id)
    assert invoice.draft["step"] == 2 and invoice.draft["selection"][str(dossier.id)]["installments"] == [item.id]
    assert client.get(f"/portail/facturation/{invoice.id}").headers["Location"].endswith("/echeances")
    html = client.get(f"/portail/facturation/{invoice.id}/echeances").get_data(as_text=True)
    assert f'value="{item.id}" id="inst-{item.id}" checked' in html and 'value="24,00"' in html
    assert models.Invoice.get_by_id(invoice.id).number is None


def test_an_accepted_invoice_is_numbered_with_its_lines_installments_event_and_audit(factory, make_client):
    org, client = setup(factory, make_client)
    first, second = factory.engaged_dossier(organisation=org), factory.engaged_dossier(organisation=org)
    invoice = start_draft(client, [first, second], fees=("teaching", "annex"))
    a, b = first_open(first), first_open(second)
    response = client.post_form(f"/portail/facturation/{invoice.id}/echeances", {
        f"inst-{first.id}": [a.id], f"inst-{second.id}": [b.id],
        f"meals-{second.id}": "10", f"meals_amount-{second.id}": "30,00", "action": "next"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/envoi")
    page = client.get(f"/portail/facturation/{invoice.id}/envoi").get_data(as_text=True)
    assert "Transmettre la facture" in page
    response = client.post_form(f"/portail/facturation/{invoice.id}/envoi", send_data(),
                                content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    invoice = models.Invoice.get_by_id(invoice.id)
    assert (invoice.number, invoice.state, invoice.kind) == (1, "en_traitement", "mass")
    assert invoice.total_ht == a.amount + b.amount + Decimal("30.00")
    assert invoice.cfa_reference == "FAC-2026-001" and invoice.terms_accepted_at is not None
    lines = {(line.dossier_id, line.nature, line.installment_id, line.amount, line.quantity)
             for line in models.InvoiceLine.select()}
    assert lines == {(first.id, "teaching", a.id, a.amount, 1), (second.id, "teaching", b.id, b.amount, 1),
                     (second.id, "meals", None, Decimal("30.00"), 10)}
    assert models.Installment.get_by_id(a.id).status == "invoiced" and models.Installment.get_by_id(b.id).status == "invoiced"
    assert models.InvoiceEvent.get().state == "en_traitement"
    assert models.Document.get().doc_type == "facture"
    assert models.AuditEntry.select().where((models.AuditEntry.entity == "invoice")
                                            & (models.AuditEntry.action == "submit")).count() == 1
    assert client.get(f"/portail/facturation/{invoice.id}/envoi").status_code == 302  # no longer editable


def test_installments_of_a_dossier_with_disability_uplift_give_two_lines(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = factory.engaged_dossier(organisation=org, disability_uplift=Decimal("1000.00"))
    invoice = start_draft(client, [dossier])
    item = first_open(dossier)
    client.post_form(f"/portail/facturation/{invoice.id}/echeances", {f"inst-{dossier.id}": [item.id], "action": "next"})
    assert client.post_form(f"/portail/facturation/{invoice.id}/envoi", send_data(),
                            content_type="multipart/form-data").status_code == 302
    teaching, uplift = split_uplift(item.amount, dossier.npec, dossier.disability_uplift)
    got = {line.nature: line.amount for line in models.InvoiceLine.select()}
    assert got == {"teaching": teaching, "uplift": uplift} and teaching + uplift == item.amount and uplift > 0


def test_over_cap_amounts_are_refused_with_reasons_per_dossier(factory, make_client):
    org, client = setup(factory, make_client)
    good = factory.engaged_dossier(organisation=org)
    bad = factory.engaged_dossier(organisation=org, cap_first_equipment=Decimal("200"))
    invoice = start_draft(client, [good, bad], fees=("teaching", "annex"))
    response = client.post_form(f"/portail/facturation/{invoice.id}/echeances", {
        f"inst-{good.id}": [first_open(good).id],
        f"nights-{bad.id}": "2", f"lodging-{bad.id}": "20,00", f"first_equipment-{bad.id}": "300", "action": "next"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    bad_card = html.split(f'id="line-{bad.number}"')[1]
    assert "au-delà de 6,00" in bad_card and "engagement de 200,00" in bad_card
    assert "refusals" not in html.split(f'id="line-{good.number}"')[1].split('id="line-')[0]
    assert models.Invoice.get_by_id(invoice.id).draft["step"] == 2
    assert models.InvoiceLine.select().count() == 0 and models.Counter.select().count() == 0


def test_a_dossier_with_nothing_chosen_is_refused(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = factory.engaged_dossier(organisation=org)
    invoice = start_draft(client, [dossier])
    response = client.post_form(f"/portail/facturation/{invoice.id}/echeances", {"action": "next"})
    assert response.status_code == 400 and "aucun montant" in response.get_data(as_text=True)


def test_step_one_refusals(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = factory.engaged_dossier(organisation=org)
    foreign = factory.engaged_dossier()
    cases = [({"fees": ["teaching"], "action": "next"}, "au moins un dossier"),
             ({"dossiers": [dossier.id], "action": "next"}, "au moins un type de frais"),
             ({"fees": ["teaching"], "dossiers": [foreign.id], "action": "next"}, "rien de facturable pour vous"),
             ({"fees": ["teaching"], "dossiers": ["abc"], "action": "next"}, "Choix de dossier invalide")]
    for data, message in cases:
        response = client.post_form("/portail/facturation", data)
        assert response.status_code == 400 and message in response.get_data(as_text=True), data
    assert models.Invoice.select().count() == 0


def test_bad_quantities_are_redisplayed(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = factory.engaged_dossier(organisation=org)
    invoice = start_draft(client, [dossier], fees=("annex",))
    response = client.post_form(f"/portail/facturation/{invoice.id}/echeances",
                                {f"nights-{dossier.id}": "deux", f"meals_amount-{dossier.id}": "-3", "action": "next"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "pas un nombre valide" in html and "négative" in html
    assert 'value="deux"' in html


def test_a_refused_send_creates_nothing_and_uses_no_number(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = factory.engaged_dossier(organisation=org)
    invoice = start_draft(client, [dossier])
    later = installments(dossier, "to_invoice")[1]  # beyond the first advance: needs the completion certificate
    first = first_open(dossier)
    client.post_form(f"/portail/facturation/{invoice.id}/echeances",
                     {f"inst-{dossier.id}": [first.id], "action": "next"})
    # The draft is then changed behind the form: the second installment is added (as a tampered draft would be).
    invoice = models.Invoice.get_by_id(invoice.id)
    draft = dict(invoice.draft)
    draft["selection"] = {str(dossier.id): {"installments": [first.id, later.id]}}
    invoice.draft = draft
    invoice.save()
    response = client.post_form(f"/portail/facturation/{invoice.id}/envoi", send_data(),
                                content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "certificat de réalisation est obligatoire" in html
    assert f"Dossier {dossier.number}" in html.split('id="mass-refusals"')[1]
    invoice = models.Invoice.get_by_id(invoice.id)
    assert invoice.state == "brouillon" and invoice.number is None
    assert models.InvoiceLine.select().count() == 0 and models.Document.select().count() == 0
    assert all(i.status == "to_invoice" for i in installments(dossier))
    assert models.Counter.select().where(models.Counter.name == "invoice").count() == 0


def test_send_form_refusals(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = factory.engaged_dossier(organisation=org)
    invoice = start_draft(client, [dossier])
    client.post_form(f"/portail/facturation/{invoice.id}/echeances",
                     {f"inst-{dossier.id}": [first_open(dossier).id], "action": "next"})
    tomorrow = (TODAY + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    cases = [(send_data(document=None), "est manquant"),
             (send_data(document=(io.BytesIO(b"plain text"), "f.pdf")), "pas un PDF"),
             (send_data(terms=""), "accepter les conditions"),
             (send_data(cfa_invoice_date=tomorrow), "dans le futur"),
             (send_data(cfa_invoice_date="32/01/2026"), "Date invalide"),
             (send_data(cfa_reference=""), "référence de votre facture")]
    for data, message in cases:
        data = {k: v for k, v in data.items() if v is not None}
        response = client.post_form(f"/portail/facturation/{invoice.id}/envoi", data, content_type="multipart/form-data")
        assert response.status_code == 400 and message in response.get_data(as_text=True), message
    assert models.Invoice.get_by_id(invoice.id).number is None


def test_the_send_step_can_be_saved_as_a_draft(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = factory.engaged_dossier(organisation=org)
    invoice = start_draft(client, [dossier])
    client.post_form(f"/portail/facturation/{invoice.id}/echeances",
                     {f"inst-{dossier.id}": [first_open(dossier).id], "action": "next"})
    response = client.post_form(f"/portail/facturation/{invoice.id}/envoi",
                                {"cfa_reference": "REF-9", "cfa_invoice_date": "01/11/2026", "action": "save"})
    assert response.status_code == 302
    assert client.get(f"/portail/facturation/{invoice.id}").headers["Location"].endswith("/envoi")
    assert 'value="REF-9"' in client.get(f"/portail/facturation/{invoice.id}/envoi").get_data(as_text=True)


def test_billing_right_and_scope_are_required(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = factory.engaged_dossier(organisation=org)
    invoice = start_draft(client, [dossier], action="save")
    _, no_billing = setup(factory, make_client, rights=["right_contracts"])
    assert no_billing.get("/portail/facturation").status_code == 403
    assert no_billing.post_form("/portail/facturation", {"fees": ["teaching"], "action": "save"}).status_code == 403
    _, stranger = setup(factory, make_client)
    for suffix in ("", "/dossiers", "/echeances", "/envoi"):
        assert stranger.get(f"/portail/facturation/{invoice.id}{suffix}").status_code == 404
    assert stranger.post_form(f"/portail/facturation/{invoice.id}/echeances", {"action": "save"}).status_code == 404
    colleague = make_client(factory.billing_user(org, rights=["right_contracts"]).email)
    assert colleague.get(f"/portail/facturation/{invoice.id}").status_code == 403


def test_an_installment_invoiced_elsewhere_since_the_draft_refuses_the_send(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = factory.engaged_dossier(organisation=org)
    invoice = start_draft(client, [dossier])
    item = first_open(dossier)
    client.post_form(f"/portail/facturation/{invoice.id}/echeances", {f"inst-{dossier.id}": [item.id], "action": "next"})
    models.Installment.update(status="invoiced").where(models.Installment.id == item.id).execute()
    response = client.post_form(f"/portail/facturation/{invoice.id}/envoi", send_data(),
                                content_type="multipart/form-data")
    assert response.status_code == 400 and "plus facturable" in response.get_data(as_text=True)
    assert models.Invoice.get_by_id(invoice.id).number is None and models.InvoiceLine.select().count() == 0


def test_step_one_search_finds_a_dossier_by_apprentice_name_or_number(factory, make_client):
    org, client = setup(factory, make_client)
    first = factory.engaged_dossier(organisation=org, apprentice_name="MARTIN Zoé")
    second = factory.engaged_dossier(organisation=org, apprentice_name="BERNARD Hugo")
    html = client.get("/portail/facturation?q=martin").get_data(as_text=True)
    assert f'value="{first.id}"' in html and f'value="{second.id}"' not in html
    html = client.get(f"/portail/facturation?q={second.number}").get_data(as_text=True)
    assert f'value="{second.id}"' in html and f'value="{first.id}"' not in html
