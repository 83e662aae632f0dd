"""Tenant isolation for ids posted in the form BODY (tests/test_access.py crawls the URL variables only).

CFA Sud posts CFA Nord's dossier, installment and SIRET where a form expects its own: refused, and
nothing changes in the database.
"""
import models
from tests.billing.test_mass_invoicing import first_open, start_draft
pass
from tests.test_access import db_digest


def test_mass_invoicing_step_one_refuses_another_organisations_dossier(factory, make_client):
    sud, nord = factory.organisation(), factory.organisation()
    client = make_client(factory.billing_user(sud).email)
    theirs = factory.engaged_dossier(nord)
    before = db_digest()
    response = client.post_form("/portail/facturation", {"fees": ["teaching"], "dossiers": [theirs.id],
                                                          "action": "next"})
    assert response.status_code == 400
    assert "n&#39;existe pas ou n&#39;a rien de facturable" in response.get_data(as_text=True)
    assert db_digest() == before


def test_mass_invoicing_step_two_refuses_another_organisations_installment(factory, make_client):
    sud, nord = factory.organisation(), factory.organisation()
    client = make_client(factory.billing_user(sud).email)
    mine, theirs = factory.engaged_dossier(sud), factory.engaged_dossier(nord)
    invoice = start_draft(client, [mine])
    foreign = first_open(theirs)
    before = db_digest()
    response = client.post_form(f"/portail/facturation/{invoice.id}/echeances",
                                {f"inst-{mine.id}": str(foreign.id), "action": "next"})
    assert response.status_code == 400
    assert db_digest() == before
    # Nord's dossier is not in Sud's draft: its field is ignored (Sud's own draft may keep its empty step 2)
    response = client.post_form(f"/portail/facturation/{invoice.id}/echeances",
                                {f"inst-{theirs.id}": str(foreign.id), "action": "next"})
    assert response.status_code == 400
    draft = models.Invoice.get_by_id(invoice.id).draft
    assert str(theirs.id) not in draft["selection"] and all(foreign.id not in s.get("installments", []) for s in draft["selection"].values())
    assert models.Installment.get_by_id(foreign.id).status == "to_invoice"
    assert not models.InvoiceLine.select().where(models.InvoiceLine.dossier == theirs.id).exists()


def test_a_cfa_cannot_declare_itself_delegate_of_an_organisation_that_has_its_own_users(factory, make_client):
    sud, nord = factory.organisation(), factory.organisation()
    client = make_client(factory.cfa_user(sud).email)
    factory.cfa_user(nord)
    theirs = factory.dossier(organisation=nord)
    response = client.post_form("/portail/delegations", {"siret": nord.siret, "name": nord.name})
    assert response.status_code == 302  # a request only: Nord's admin decides
    assert models.Delegation.get().state == "demandee"
    assert theirs.number not in client.get("/portail/dossiers").get_data(as_text=True)
    assert client.get(f"/portail/dossiers/{theirs.number}").status_code == 404


def test_bulk_notification_actions_only_touch_the_current_organisation(factory, make_client):
    sud, nord = factory.organisation(), factory.organisation()
    client = make_client(factory.cfa_user(sud).email)
    theirs = models.Notification.create(organisation=nord, message="Message de Nord")
    client.post_form("/portail/notifications/toutes-lues")
    client.post_form("/portail/notifications/supprimer-tout")
    theirs = models.Notification.get_by_id(theirs.id)
    assert theirs.read_at is None
