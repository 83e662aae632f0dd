"""Dashboard counters and actions, notifications (filters, open, read, delete), delegations, employer home."""
import re

import pytest

import models


@pytest.fixture
def client(sud_client):
    return sud_client


def counter(html, attribute, code):
    """The grid's total of a state row or a scheme column."""
    state, scheme = (code, "") if attribute == "state" else ("", code)
    match = re.search(r'data-state="' + state + '" data-scheme="' + scheme + r'"[^>]*>(\d+)</a>', html)
    return int(match.group(1))


def test_dashboard_counts_by_state_and_scheme_and_links_to_the_filtered_list(client, factory, org):
    for state in ("recu", "recu", "engage", "en_attente"):
        factory.dossier(organisation=org, state=state)
    factory.dossier(organisation=org, scheme="pro_a")
    factory.dossier(state="engage")  # another organisation's
    html = client.get("/portail/").get_data(as_text=True)
    assert counter(html, "state", "recu") == 3 and counter(html, "state", "engage") == 1
    assert counter(html, "scheme", "pro_a") == 1 and counter(html, "scheme", "apprentissage") == 4
    assert 'href="/portail/dossiers?state=recu"' in html and 'href="/portail/dossiers?scheme=pro_a"' in html
    assert "<svg" in html and "Graphique des contrats par état" in html
    assert "cdn" not in html.lower()


def test_actions_a_mener_count_what_waits_on_the_cfa(client, factory, org):
    factory.dossier(organisation=org, state="en_attente")
    factory.engaged_dossier(org)  # its first installments are billable today
    dossier = factory.engaged_dossier(org)
    models.Invoice.create(number=9, organisation=org, dossier=dossier, state="en_attente", hold_reason="RIB illisible")
    html = client.get("/portail/").get_data(as_text=True)
    actions = dict((label, int(n)) for label, n in re.findall(r'<a href="[^"]+">([^<]+)</a>\s*<span class="badge[^"]*">(\d+)</span>', html))
    assert actions == {"Dossiers en attente de pièces": 1, "Factures en attente de mise en conformité": 1,
                       "Dossiers avec une échéance à facturer": 2,
                       "Remboursements d&#39;avoirs à effectuer": 0, "Dossiers échus à traiter": 0}
    listed = client.get("/portail/dossiers?a_facturer=1").get_data(as_text=True)
    assert len(set(re.findall(r'/portail/dossiers/(\d+)"', listed))) == 2


def test_unread_badge_list_filters_open_read_and_delete(client, factory, org):
    dossier = factory.dossier(organisation=org)
    me = models.User.get(models.User.email == "admin@cfa-sud.test")
    first = models.Notification.create(organisation=org, user=me, dossier=dossier, message="Pièce manquante",
                                       category="dossier")
    models.Notification.create(organisation=org, user=me, message="Facture validée", category="facture")
    models.Notification.create(organisation=factory.organisation(), message="Pas pour vous")
    html = client.get("/portail/").get_data(as_text=True)
    assert re.search(r'id="unread-badge"[^>]*>2<', html)
    listing = client.get("/portail/notifications?category=facture").get_data(as_text=True)
    assert "Facture validée" in listing and "Pièce manquante" not in listing and "Pas pour vous" not in listing
    opened = client.post_form(f"/portail/notifications/{first.id}/ouvrir")
    assert opened.headers["Location"].endswith(f"/portail/dossiers/{dossier.number}")
    assert models.Notification.get_by_id(first.id).read_at is not None
    assert "Facture validée" in client.get("/portail/notifications?status=unread").get_data(as_text=True)
    assert "Pièce manquante" not in client.get("/portail/notifications?status=unread").get_data(as_text=True)
    client.post_form("/portail/notifications/toutes-lues")
    assert 'id="unread-badge"' not in client.get("/portail/").get_data(as_text=True)
    client.post_form(f"/portail/notifications/{first.id}/supprimer")
    assert models.Notification.get_or_none(id=first.id) is None
    client.post_form("/portail/notifications/supprimer-tout")
    assert [n.message for n in models.Notification.select()] == ["Pas pour vous"]


def test_a_notification_for_another_user_stays_private(client, factory, org):
    colleague = factory.cfa_user(org)
    models.Notification.create(organisation=org, user=colleague, message="Pour un collègue")
    assert "Pour un collègue" not in client.get("/portail/notifications").get_data(as_text=True)


def test_a_delegation_request_is_checked_recorded_pending_and_notified_but_opens_nothing(client, factory, org):
    small = factory.organisation(name="Petit CFA du Lubéron")
    small_admin = factory.cfa_user(small, role="admin_of")
    factory.cfa_user(small, role="gestionnaire_of")  # not an administrator: not told
    theirs = factory.dossier(organisation=small)
    refused = client.post_form("/portail/delegations", {"siret": small.siret, "name": "Un autre nom"})
    assert refused.status_code == 400 and "Aucun organisme actif" in refused.get_data(as_text=True)
    assert 'value="Un autre nom"' in refused.get_data(as_text=True)
    bad = client.post_form("/portail/delegations", {"siret": "12345678901234", "name": "X"})
    assert bad.status_code == 400
    response = client.post_form("/portail/delegations", {"siret": small.siret, "name": "petit cfa du luberon"})
    assert response.status_code == 302
    delegation = models.Delegation.get()
    assert (delegation.state, delegation.delegate_id, delegation.delegator_id) == ("demandee", org.id, small.id)
    assert theirs.number not in client.get("/portail/dossiers").get_data(as_text=True)
    assert client.get(f"/portail/dossiers/{theirs.number}").status_code == 404
    page = client.get("/portail/delegations").get_data(as_text=True)
    assert "Petit CFA du Lubéron" in page and "Demandée" in page and "Annuler la demande" in page
    audit = models.AuditEntry.get(models.AuditEntry.entity == "delegation")
    assert audit.action == "request"
    [told] = models.Notification.select().where(models.Notification.organisation == small.id)
    assert told.user_id == small_admin.id
    assert "CFA Sud" in told.message and "demande à gérer vos contrats" in told.message and "Acceptez-la" in told.message
    again = client.post_form("/portail/delegations", {"siret": small.siret, "name": small.name})
    assert again.status_code == 400 and "déjà demandé" in again.get_data(as_text=True)
    assert models.Delegation.select().count() == 1


def test_the_delegate_cancels_its_pending_request_and_may_ask_again(client, factory, org):
    small = factory.organisation(name="Petit CFA")
    client.post_form("/portail/delegations", {"siret": small.siret, "name": small.name})
    first = models.Delegation.get()
    assert client.post_form(f"/portail/delegations/{first.id}/terminer").status_code == 302
    assert models.Delegation.get_by_id(first.id).state == "terminee"
    assert "Terminée" in client.get("/portail/delegations").get_data(as_text=True)
    assert client.post_form("/portail/delegations", {"siret": small.siret, "name": small.name}).status_code == 302
    assert [d.state for d in models.Delegation.select().order_by(models.Delegation.id)] == ["terminee", "demandee"]


def test_only_an_admin_of_manages_delegations(make_client, factory, org):
    manager = factory.cfa_user(org, role="gestionnaire_of")
    client = make_client(manager.email)
    assert client.get("/portail/delegations").status_code == 403
    assert "Gestion des accès" not in client.get("/portail/").get_data(as_text=True)


def test_an_employer_sees_a_simple_home_without_cfa_data(make_client, factory, org):
    factory.dossier(organisation=org, apprentice_name="SECRET Apprenti")
    user = factory.employer_user()
    client = make_client(user.email)
    html = client.get("/portail/").get_data(as_text=True)
    assert "Espace employeur" in html and "SECRET" not in html and "Dossiers" not in html
    assert client.get("/portail/dossiers").status_code == 403
