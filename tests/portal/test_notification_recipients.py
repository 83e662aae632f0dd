"""Notifications reach exactly the users entitled to their subject (issue 10): through the real services
and the portal's notifications page."""
import models
from workflows import bank_details as bank_service
from workflows import invoice_workflow
from tests.factories import comptable, make_invoice


def page(client):
    return client.get("/portail/notifications").get_data(as_text=True)


def test_cfa_sud_is_not_told_about_the_bank_details_of_cfa_ouest_it_manages(factory, make_client):
    ouest, sud = factory.organisation(name="CFA Ouest"), factory.organisation(name="CFA Sud")
    models.Delegation.create(delegate=sud, delegator=ouest, state="approuvee")
    factory.cfa_user(ouest, email="admin@cfa-ouest.test")
    factory.cfa_user(ouest, email="gestion@cfa-ouest.test", role="gestionnaire_of")
    factory.cfa_user(sud, email="admin@cfa-sud.test")
    rib = models.BankDetails.create(organisation=ouest, iban="FR7630006000011234567890189", bic="BNPAFRPPXXX",
                                    holder="CFA Ouest")
    bank_service.approve(rib, factory.staff("comptable"))
    assert "Vos coordonnées bancaires" in page(make_client("admin@cfa-ouest.test"))
    assert "Vos coordonnées bancaires" not in page(make_client("gestion@cfa-ouest.test"))
    assert "Vos coordonnées bancaires" not in page(make_client("admin@cfa-sud.test"))


def test_a_gestionnaire_without_billing_right_gets_no_billing_notification(factory, make_client):
    org = factory.organisation(name="CFA Ouest")
    factory.cfa_user(org, email="compta@cfa-ouest.test", role="gestionnaire_of",
                     rights=["right_contracts", "right_contracts_billing"])
    factory.cfa_user(org, email="suivi@cfa-ouest.test", role="gestionnaire_of", rights=["right_contracts"])
    dossier = factory.dossier(organisation=org, state="engage")
    inv = invoice_workflow.validate(make_invoice(org, dossier), comptable())
    billing, plain = make_client("compta@cfa-ouest.test"), make_client("suivi@cfa-ouest.test")
    assert f"Facture {inv.display_number}" in page(billing)
    assert billing.get(f"/portail/factures/{inv.id}").status_code == 200
    assert f"Facture {inv.display_number}" not in page(plain)
    assert plain.get(f"/portail/factures/{inv.id}").status_code == 403
