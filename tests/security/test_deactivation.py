"""Organisations and employers are deactivated instead of deleted: an action, audited, reversible."""
import models


def _action(client, endpoint, name, ids, url=None):
    return client.post_form(f"/admin/{endpoint}/action/", {"action": name, "rowid": [str(i) for i in ids],
                                                           "url": url or f"/admin/{endpoint}/"})


def test_a_conseiller_deactivates_an_employer_with_dossiers_and_it_is_audited(make_client, factory, db):
    agent = factory.staff("conseiller")
    client = make_client(agent.email)
    dossier = factory.dossier()
    employer = dossier.employer
    assert 'value="desactiver"' in client.get(f"/admin/employer/details/?id={employer.id}").get_data(as_text=True)
    assert _action(client, "employer", "desactiver", [employer.id]).status_code == 302
    assert models.Employer.get_by_id(employer.id).status == "inactive"
    assert models.Dossier.get_by_id(dossier.id).employer_id == employer.id  # nothing else moves
    entry = models.AuditEntry.get((models.AuditEntry.entity == "employer")
                                  & (models.AuditEntry.action == "deactivate"))
    assert entry.entity_id == str(employer.id) and entry.user_id == agent.id
    assert entry.before == {"status": "active"} and entry.after == {"status": "inactive"}
    assert "Inactif" in client.get("/admin/employer/").get_data(as_text=True)
    _action(client, "employer", "reactiver", [employer.id])
    assert models.Employer.get_by_id(employer.id).status == "active"


def test_an_admin_deactivates_an_organisation_and_its_users_lose_the_portal_space(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    org = factory.organisation()
    factory.dossier(organisation=org)
    cfa = make_client(factory.cfa_user(org).email)
    assert cfa.get("/portail/dossiers").status_code == 200
    _action(client, "organisation", "desactiver", [org.id], url=f"/admin/organisation/details/?id={org.id}")
    assert models.Organisation.get_by_id(org.id).status == "inactive"
    assert cfa.get("/portail/dossiers").status_code != 200
    assert models.AuditEntry.select().where((models.AuditEntry.entity == "organisation")
                                            & (models.AuditEntry.action == "deactivate")).count() == 1


def test_a_pending_registration_is_validated_by_an_action(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    org = factory.organisation(status="pending")
    _action(client, "organisation", "valider_inscription", [org.id])
    assert models.Organisation.get_by_id(org.id).status == "active"
    assert models.AuditEntry.get(models.AuditEntry.entity == "organisation").action == "validate_registration"


def test_the_status_is_not_typed_in_the_edit_form(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    org = factory.organisation()
    response = client.post_form(f"/admin/organisation/edit/?id={org.id}", {
        "siret": org.siret, "name": org.name, "city": org.city, "uai": org.uai, "status": "inactive",
        "credit_note_mode": "deduction"})
    assert response.status_code == 302
    assert models.Organisation.get_by_id(org.id).status == "active"


def test_conseillers_and_comptables_cannot_deactivate_an_organisation(make_client, factory, db):
    org = factory.organisation()
    for role in ("conseiller", "comptable"):
        client = make_client(factory.staff(role).email)
        _action(client, "organisation", "desactiver", [org.id])
        assert models.Organisation.get_by_id(org.id).status == "active", role
    comptable = make_client(factory.staff("comptable").email)
    employer = factory.employer()
    _action(comptable, "employer", "desactiver", [employer.id])
    assert models.Employer.get_by_id(employer.id).status == "active"
