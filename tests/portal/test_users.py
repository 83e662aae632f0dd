"""Users and rights (/portail/utilisateurs, seeds 003 and 004): the administrator OF lists, invites in two steps,
edits rights per establishment, deactivates and reactivates; a gestionnaire OF only reads; nobody reaches
another organisation's users; the invitation link sets the password once, within 24 hours; every change is
audited; an organisation always keeps an active administrator OF."""
import datetime as dt
import re
from urllib.parse import urlparse

import pytest

import models
from tests.conftest import PortalClient

LIST = "/portail/utilisateurs"
NEW = "/portail/utilisateurs/nouveau"
NEW_RIGHTS = "/portail/utilisateurs/nouveau/droits"
NEW_PASSWORD = "Jardin-Potager-2031"
AU_MINIMUM = "Vous devez renseigner un droit d&#39;accès au minimum"


@pytest.fixture
def world(factory):
    """CFA Sud (an admin, a gestionnaire), CFA Nord (an admin, a user), an employer user, an OPCO admin."""
    sud = factory.organisation(name="CFA Sud")
    nord = factory.organisation(name="CFA Nord")
    users = {
        "sud_admin": factory.cfa_user(sud, email="admin@cfa-sud.test", last_name="Bernard", first_name="Alice"),
        "sud_gestion": factory.cfa_user(sud, email="gestion@cfa-sud.test", role="gestionnaire_of",
                                        rights=["right_contracts"], last_name="Petit", first_name="Bruno"),
        "nord_admin": factory.cfa_user(nord, email="admin@cfa-nord.test", last_name="Nordin", first_name="Nadia"),
        "nord_user": factory.cfa_user(nord, email="marc.nord@cfa-nord.test", role="gestionnaire_of",
                                      rights=["right_stock"], last_name="Lenord", first_name="Marc"),
        "employer": factory.employer_user(email="rh@entreprise.test"),
        "staff": factory.staff("admin", email="admin@opco.test"),
    }
    return {"sud": sud, "nord": nord, **users}


def fresh(user):
    return models.User.get_by_id(user.id)


def membership(user, org):
    return models.Membership.get_or_none((models.Membership.user == user.id)
                                         & (models.Membership.organisation == org.id))


def audit(user, action=None):
    query = models.AuditEntry.select().where((models.AuditEntry.entity == "user")
                                             & (models.AuditEntry.entity_id == str(user.id)))
    if action:
        query = query.where(models.AuditEntry.action == action)
    return list(query.order_by(models.AuditEntry.id))


def rights_body(org, role="gestionnaire_of", rights=("right_contracts",)):
    body = {f"o{org.id}_role": role}
    body.update({f"o{org.id}_{right}": "y" for right in rights})
    return body


def invitation_link(email):
    mail = (models.OutboxEmail.select().where(models.OutboxEmail.recipient == email)
            .order_by(models.OutboxEmail.id.desc()).first())
    assert mail is not None, f"no email to {email}"
    [link] = set(re.findall(r"https?://\S+/invitation/[A-Za-z0-9_.\-]+", mail.body))
    assert link in mail.html_body
    return urlparse(link).path, mail


def create_user(client, org, email="nouveau@cfa-sud.test", role="gestionnaire_of", rights=("right_contracts",),
                last_name="Nouvel", first_name="Utilisateur"):
    assert client.post_form(NEW, {"last_name": last_name, "first_name": first_name, "email": email}).status_code == 302
    response = client.post_form(NEW_RIGHTS, rights_body(org, role, rights))
    assert response.status_code == 302, response.get_data(as_text=True)
    return models.User.get(models.User.email == email.lower())


# --- the list ------------------------------------------------------------------------------------------------

def test_the_admin_lists_the_users_of_their_organisation_only_with_filters(world, factory, make_client):
    factory.cfa_user(world["sud"], email="ancien@cfa-sud.test", last_name="Ancien", first_name="Paul", active=False)
    client = make_client("admin@cfa-sud.test")
    html = client.get(LIST).get_data(as_text=True)
    assert "admin@cfa-sud.test" in html and "gestion@cfa-sud.test" in html and "ancien@cfa-sud.test" in html
    assert "cfa-nord.test" not in html and "rh@entreprise.test" not in html and "admin@opco.test" not in html
    assert 'id="add-user"' in html and 'id="nav-users"' in html

    def emails(**filters):
        page = client.get(LIST, query_string=filters)
        assert page.status_code == 200
        return set(re.findall(r"[\w.]+@cfa-[a-z]+\.test", page.get_data(as_text=True)))

    assert emails(nom="PETIT") == {"gestion@cfa-sud.test"}
    assert emails(prenom="ali") == {"admin@cfa-sud.test"}
    assert emails(email="ANCIEN@") == {"ancien@cfa-sud.test"}
    assert emails(actif="non") == {"ancien@cfa-sud.test"}
    assert emails(actif="oui") == {"admin@cfa-sud.test", "gestion@cfa-sud.test"}
    assert emails(nom="%") == set()  # a wildcard is a character like any other
    refused = client.get(LIST, query_string={"actif": "peut-être"})
    assert refused.status_code == 400 and "Choix invalide." in refused.get_data(as_text=True)


def test_the_list_is_paginated(world, factory, make_client):
    for n in range(25):
        factory.cfa_user(world["sud"], email=f"u{n:02d}@cfa-sud.test", last_name=f"Zed{n:02d}")
    client = make_client("admin@cfa-sud.test")
    first = client.get(LIST).get_data(as_text=True)
    second = client.get(LIST, query_string={"page": 2}).get_data(as_text=True)
    assert "u00@cfa-sud.test" in first and "u24@cfa-sud.test" not in first and 'id="next-page" href="/' in first
    assert "u24@cfa-sud.test" in second and "u00@cfa-sud.test" not in second
    assert client.get(LIST, query_string={"page": "x"}).status_code == 200


# --- who may do what -------------------------------------------------------------------------------------------

def test_a_gestionnaire_reads_the_list_and_a_user_but_every_change_is_refused(world, make_client):
    client = make_client("gestion@cfa-sud.test")
    html = client.get(LIST).get_data(as_text=True)
    assert "admin@cfa-sud.test" in html and 'id="add-user"' not in html
    detail = client.get(f"{LIST}/{world['sud_admin'].id}")
    assert detail.status_code == 200 and 'id="user-actions"' not in detail.get_data(as_text=True)
    assert client.get(NEW).status_code == 403
    target = world["sud_admin"].id
    before = models.Membership.select().count(), models.User.select().count(), fresh(world["sud_admin"]).active
    for url, body in ((NEW, {"last_name": "X", "first_name": "Y", "email": "x@cfa-sud.test"}),
                      (NEW_RIGHTS, rights_body(world["sud"])),
                      (f"{LIST}/{target}/droits", rights_body(world["sud"], "gestionnaire_of")),
                      (f"{LIST}/{target}/desactiver", {}), (f"{LIST}/{target}/reactiver", {}),
                      (f"{LIST}/{target}/invitation", {})):
        assert client.post_form(url, body).status_code == 403, url
    assert (models.Membership.select().count(), models.User.select().count(),
            fresh(world["sud_admin"]).active) == before
    assert membership(world["sud_admin"], world["sud"]).role == "admin_of"


def test_cfa_nord_admin_neither_sees_nor_changes_cfa_sud_users(world, make_client):
    client = make_client("admin@cfa-nord.test")
    sud_user = world["sud_gestion"]
    assert "cfa-sud.test" not in client.get(LIST).get_data(as_text=True)
    assert "cfa-sud.test" not in client.get(LIST, query_string={"email": "sud"}).get_data(as_text=True)
    assert client.get(f"{LIST}/{sud_user.id}").status_code == 404
    assert client.get(f"{LIST}/{sud_user.id}/droits").status_code == 404
    before = list(models.Membership.select().order_by(models.Membership.id).tuples())
    for action in ("desactiver", "reactiver", "invitation"):
        assert client.post_form(f"{LIST}/{sud_user.id}/{action}").status_code == 404
    assert client.post_form(f"{LIST}/{sud_user.id}/droits", rights_body(world["nord"])).status_code == 404
    # its own user, with CFA Sud's organisation id in the body: refused, nothing granted
    response = client.post_form(f"{LIST}/{world['nord_user'].id}/droits",
                                rights_body(world["nord"]) | rights_body(world["sud"], "admin_of"))
    assert response.status_code == 403
    assert list(models.Membership.select().order_by(models.Membership.id).tuples()) == before
    assert fresh(sud_user).active and audit(sud_user) == []


def test_an_employer_staff_or_anonymous_gets_nothing(world, make_client):
    urls = [LIST, NEW, NEW_RIGHTS, f"{LIST}/{world['sud_gestion'].id}", f"{LIST}/{world['sud_gestion'].id}/droits"]
    for email, code in (("rh@entreprise.test", 403), ("admin@opco.test", 403)):
        client = make_client(email)
        for url in urls:
            assert client.get(url).status_code == code, (email, url)
        assert client.post_form(f"{LIST}/{world['sud_gestion'].id}/desactiver").status_code == code
    anonymous = make_client()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert fresh(world["sud_gestion"]).active


# --- creation in two steps and the invitation -----------------------------------------------------------------

def test_creation_in_two_steps_then_the_invitation_sets_the_password(world, app, make_client):
    client = make_client("admin@cfa-sud.test")
    step1 = client.post_form(NEW, {"last_name": "Durand", "first_name": "Inès", "email": " Ines.Durand@CFA-Sud.test "})
    assert step1.status_code == 302 and step1.headers["Location"].endswith(NEW_RIGHTS)
    page = client.get(NEW_RIGHTS).get_data(as_text=True)
    assert "ines.durand@cfa-sud.test" in page and "Gérer les contrats et leur facturation" in page
    # no right: the seed's message, nothing created
    refused = client.post_form(NEW_RIGHTS, {f"o{world['sud'].id}_role": "gestionnaire_of"})
    assert refused.status_code == 400 and AU_MINIMUM in refused.get_data(as_text=True)
    none_at_all = client.post_form(NEW_RIGHTS, {f"o{world['sud'].id}_role": ""})
    assert none_at_all.status_code == 400 and AU_MINIMUM in none_at_all.get_data(as_text=True)
    assert not models.User.select().where(models.User.email == "ines.durand@cfa-sud.test").exists()
    # "Précédent" keeps what was typed
    assert 'value="Durand"' in client.get(NEW).get_data(as_text=True)

    done = client.post_form(NEW_RIGHTS, rights_body(world["sud"], "gestionnaire_of", ["right_contracts"]))
    assert done.status_code == 302
    user = models.User.get(models.User.email == "ines.durand@cfa-sud.test")
    assert done.headers["Location"].endswith(f"{LIST}/{user.id}")
    assert (user.kind, user.active, user.password_hash, user.email_confirmed_at) == ("cfa", True, "", None)
    m = membership(user, world["sud"])
    assert m.role == "gestionnaire_of" and m.rights == {"right_contracts"}
    detail = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Invitation en attente" in detail and "Renvoyer l'invitation" in detail

    path, mail = invitation_link(user.email)
    assert mail.subject == "Invitation au Portail CFA" and "CFA Sud" in mail.body and "24 heures" in mail.body
    [token] = models.OneTimeToken.select().where(models.OneTimeToken.user == user.id)
    assert token.purpose == "invitation" and path.rsplit("/", 1)[1] not in token.token_hash  # stored hashed
    assert token.expires_at - token.created_at == dt.timedelta(hours=24)

    # the invited user, in another browser: the page, a weak password refused, then the password
    invited = PortalClient(app)
    page = invited.get(path)
    assert page.status_code == 200 and "ines.durand@cfa-sud.test" in page.get_data(as_text=True)
    weak = invited.post_form(path, {"password": "court", "confirm": "court"})
    assert weak.status_code == 400 and "au moins 8 caractères" in weak.get_data(as_text=True)
    assert "court" not in re.findall(r'value="([^"]*)"', weak.get_data(as_text=True))
    accepted = invited.post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert accepted.status_code == 200 and "Me connecter" in accepted.get_data(as_text=True)
    assert invited.get("/portail/").status_code == 302  # signed nothing in
    user = fresh(user)
    assert user.email_confirmed_at is not None and user.password_hash
    invited.login("ines.durand@cfa-sud.test", NEW_PASSWORD)
    assert invited.get("/portail/dossiers").status_code == 200
    assert invited.get("/portail/factures").status_code == 403  # the contracts right only: no billing
    invite, accept = audit(user)
    assert (invite.action, invite.actor, invite.before) == ("invite", "admin@cfa-sud.test", None)
    assert invite.after == {"email": "ines.durand@cfa-sud.test", "last_name": "Durand", "first_name": "Inès",
                            f"droits_{world['sud'].siret}": "Gestionnaire OF : Gérer les contrats"}
    assert (accept.action, accept.actor) == ("accept_invitation", "ines.durand@cfa-sud.test")


def test_the_invitation_link_works_once_and_for_24_hours(world, app, make_client):
    admin = make_client("admin@cfa-sud.test")
    user = create_user(admin, world["sud"])
    path, _ = invitation_link(user.email)
    invited = PortalClient(app)
    assert invited.post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 200
    again = invited.get(path)
    assert again.status_code == 410 and "déjà été utilisé" in again.get_data(as_text=True)
    twice = invited.post_form(path, {"password": "Autre-Mot-De-Passe-9", "confirm": "Autre-Mot-De-Passe-9"})
    assert twice.status_code == 410
    unknown = invited.get("/invitation/pas-un-vrai-lien")
    assert unknown.status_code == 404 and "pas valide" in unknown.get_data(as_text=True)

    late = create_user(admin, world["sud"], email="tardif@cfa-sud.test")
    late_path, _ = invitation_link(late.email)
    for token in models.OneTimeToken.select().where(models.OneTimeToken.user == late.id):  # 24 h and 1 min ago
        models.OneTimeToken.update(created_at=token.created_at - dt.timedelta(hours=24, minutes=1),
                                   expires_at=token.expires_at - dt.timedelta(hours=24, minutes=1)).where(
            models.OneTimeToken.id == token.id).execute()
    expired = invited.get(late_path)
    assert expired.status_code == 410 and "expiré" in expired.get_data(as_text=True)
    assert invited.post_form(late_path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 410
    assert fresh(late).password_hash == ""

    # the administrator sends a new invitation from the user's page: the new link works, not the old one
    assert admin.post_form(f"{LIST}/{late.id}/invitation").status_code == 302
    new_path, _ = invitation_link(late.email)
    assert new_path != late_path and invited.get(late_path).status_code == 410
    assert invited.post_form(new_path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 200
    assert [e.action for e in audit(late)] == ["invite", "resend_invitation", "accept_invitation"]
    # once the password is chosen there is no invitation to send again
    assert admin.post_form(f"{LIST}/{late.id}/invitation").status_code == 302
    assert "n&#39;attend pas d&#39;invitation" in admin.get(f"{LIST}/{late.id}").get_data(as_text=True)


def test_a_deactivated_invitee_cannot_use_the_link(world, app, make_client):
    admin = make_client("admin@cfa-sud.test")
    user = create_user(admin, world["sud"])
    path, _ = invitation_link(user.email)
    assert admin.post_form(f"{LIST}/{user.id}/desactiver").status_code == 302
    assert PortalClient(app).get(path).status_code in (404, 410)


@pytest.mark.parametrize("email", ["MARC.NORD@cfa-nord.test", "admin@opco.test", "rh@entreprise.test"])
def test_an_address_of_another_organisation_or_kind_is_refused_with_the_same_words(world, make_client, email):
    client = make_client("admin@cfa-sud.test")
    response = client.post_form(NEW, {"last_name": "Autre", "first_name": "Compte", "email": email})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "ne peut pas être utilisée pour un nouvel utilisateur" in html
    assert "Nord" not in html.replace(email, "") and "employeur" not in html.lower() and "OPCO –" not in html
    assert f'value="{email}"' in html
    count = models.User.select().count()
    # a forged step 2 with that address in the session changes nothing either
    with client.session_transaction() as sess:
        sess["user_invitation"] = {"last_name": "Autre", "first_name": "Compte", "email": email.lower()}
    client.post_form(NEW_RIGHTS, rights_body(world["sud"]))
    assert models.User.select().count() == count and membership(world["nord_user"], world["sud"]) is None


def test_an_address_of_one_of_ones_own_users_points_to_their_page(world, make_client):
    client = make_client("admin@cfa-sud.test")
    response = client.post_form(NEW, {"last_name": "Petit", "first_name": "Bruno", "email": "GESTION@cfa-sud.test"})
    assert response.status_code == 400
    assert "déjà celle d&#39;un de vos utilisateurs" in response.get_data(as_text=True)


def test_step_two_without_step_one_goes_back_to_step_one(world, make_client):
    client = make_client("admin@cfa-sud.test")
    response = client.get(NEW_RIGHTS)
    assert response.status_code == 302 and response.headers["Location"].endswith(NEW)


# --- rights, scope, last administrator ------------------------------------------------------------------------

def test_the_admin_edits_rights_and_the_change_is_audited_before_and_after(world, make_client):
    client = make_client("admin@cfa-sud.test")
    gestion = world["sud_gestion"]
    url = f"{LIST}/{gestion.id}/droits"
    page = client.get(url).get_data(as_text=True)
    assert re.search(rf'<input checked[^>]*name="o{world["sud"].id}_right_contracts"', page)
    assert client.post_form(url, rights_body(world["sud"], "gestionnaire_of", [])).status_code == 400
    response = client.post_form(url, rights_body(world["sud"], "gestionnaire_of",
                                                 ["right_contracts", "right_contracts_billing"]))
    assert response.status_code == 302
    assert membership(gestion, world["sud"]).rights == {"right_contracts", "right_contracts_billing"}
    [entry] = audit(gestion, "change_rights")
    key = f"droits_{world['sud'].siret}"
    assert entry.actor == "admin@cfa-sud.test"
    assert entry.before == {key: "Gestionnaire OF : Gérer les contrats"}
    assert entry.after == {key: "Gestionnaire OF : Gérer les contrats, Gérer les contrats et leur facturation"}
    # the same rights again: nothing written
    client.post_form(url, rights_body(world["sud"], "gestionnaire_of", ["right_contracts", "right_contracts_billing"]))
    assert len(audit(gestion, "change_rights")) == 1


def test_a_right_or_an_establishment_outside_the_admins_scope_is_refused(world, make_client):
    client = make_client("admin@cfa-sud.test")
    gestion = world["sud_gestion"]
    before = list(models.Membership.select().order_by(models.Membership.id).tuples())
    forged = rights_body(world["sud"]) | rights_body(world["nord"], "admin_of", ["right_contracts_billing"])
    assert client.post_form(f"{LIST}/{gestion.id}/droits", forged).status_code == 403
    assert client.post_form(f"{LIST}/{gestion.id}/droits",
                            rights_body(world["sud"], "gestionnaire_of", ["right_pirate"])).status_code in (302, 400)
    client.post_form(NEW, {"last_name": "Faux", "first_name": "Compte", "email": "faux@cfa-sud.test"})
    assert client.post_form(NEW_RIGHTS, forged).status_code == 403
    assert client.post_form(NEW_RIGHTS, rights_body(world["sud"], "superadmin")).status_code == 400
    assert list(models.Membership.select().order_by(models.Membership.id).tuples()) == before
    assert not models.User.select().where(models.User.email == "faux@cfa-sud.test").exists()
    assert audit(gestion) == []


def test_the_workflow_refuses_a_grant_outside_the_administrators_establishments(world):
    from access.scope import scope_for_user
    from workflows import users

    scope = scope_for_user(world["sud_admin"])
    with pytest.raises(users.OutOfScope):
        users.change_rights(scope, world["sud_gestion"],
                            {world["nord"].id: users.Grant("admin_of", frozenset({"right_contracts"}))})
    with pytest.raises(users.OutOfScope):
        users.change_rights(scope, world["nord_user"],
                            {world["sud"].id: users.Grant("gestionnaire_of", frozenset({"right_contracts"}))})
    with pytest.raises(users.OutOfScope):
        users.deactivate(scope, world["nord_user"])
    gestion_scope = scope_for_user(world["sud_gestion"])
    with pytest.raises(users.OutOfScope):
        users.deactivate(gestion_scope, world["sud_admin"])
    assert membership(world["nord_user"], world["sud"]) is None and fresh(world["nord_user"]).active


def test_the_last_active_administrator_can_be_neither_demoted_nor_deactivated(world, make_client):
    client = make_client("admin@cfa-sud.test")
    admin, sud = world["sud_admin"], world["sud"]
    demote = client.post_form(f"{LIST}/{admin.id}/droits", rights_body(sud, "gestionnaire_of"))
    assert demote.status_code == 400
    assert "doit garder au moins un administrateur OF actif" in demote.get_data(as_text=True)
    assert membership(admin, sud).role == "admin_of"
    client.post_form(f"{LIST}/{admin.id}/desactiver")  # no button for oneself; a forged post is refused
    assert fresh(admin).active
    assert "votre propre compte" in client.get(f"{LIST}/{admin.id}").get_data(as_text=True)
    # an invited administrator who has not chosen a password yet does not count
    create_user(client, sud, email="futur.admin@cfa-sud.test", role="admin_of")
    assert client.post_form(f"{LIST}/{admin.id}/droits", rights_body(sud, "gestionnaire_of")).status_code == 400
    assert membership(admin, sud).role == "admin_of" and audit(admin) == []
    # with a second active administrator, the first may step down
    models.User.update(password_hash=admin.password_hash).where(
        models.User.email == "futur.admin@cfa-sud.test").execute()
    assert client.post_form(f"{LIST}/{admin.id}/droits", rights_body(sud, "gestionnaire_of")).status_code == 302
    assert membership(admin, sud).role == "gestionnaire_of"
    assert client.get(NEW).status_code == 403  # and manages no one any more


def test_deactivation_ends_the_open_session_at_once_and_reactivation_lets_in_again(world, make_client):
    admin = make_client("admin@cfa-sud.test")
    gestion_browser = make_client("gestion@cfa-sud.test")
    assert gestion_browser.get("/portail/dossiers").status_code == 200
    response = admin.post_form(f"{LIST}/{world['sud_gestion'].id}/desactiver")
    assert response.status_code == 302
    assert "ses sessions ouvertes sont fermées" in admin.get(response.headers["Location"]).get_data(as_text=True)
    next_request = gestion_browser.get("/portail/dossiers")
    assert next_request.status_code == 302 and "/connexion" in next_request.headers["Location"]
    refused = gestion_browser.post_form("/connexion", {"email": "gestion@cfa-sud.test",
                                                       "password": "Portail-Demo-2026"})
    assert refused.status_code == 401 and "désactivé" in refused.get_data(as_text=True)
    assert admin.post_form(f"{LIST}/{world['sud_gestion'].id}/reactiver").status_code == 302
    gestion_browser.login("gestion@cfa-sud.test")
    assert [(e.action, e.before, e.after) for e in audit(world["sud_gestion"])] == [
        ("deactivate", {"active": True}, {"active": False}), ("reactivate", {"active": False}, {"active": True})]
    assert {e.actor for e in audit(world["sud_gestion"])} == {"admin@cfa-sud.test"}


def test_an_admin_of_two_establishments_grants_each_one_separately(world, factory, make_client):
    sud, admin = world["sud"], world["sud_admin"]
    annexe = factory.organisation(name="CFA Sud Annexe", parent=sud)
    other = factory.organisation(name="CFA Sud Gestionnaire seulement")
    models.Membership.create(user=admin, organisation=annexe, role="admin_of", right_contracts=True)
    models.Membership.create(user=admin, organisation=other, role="gestionnaire_of", right_contracts=True)
    client = make_client("admin@cfa-sud.test")
    client.post_form(NEW, {"last_name": "Annexe", "first_name": "Anne", "email": "anne@cfa-sud.test"})
    page = client.get(NEW_RIGHTS).get_data(as_text=True).split('id="rights-form"')[1]
    assert "CFA Sud Annexe" in page and "CFA Sud Gestionnaire seulement" not in page  # only where admin
    body = rights_body(sud, "", []) | rights_body(annexe, "gestionnaire_of", ["right_stock"])
    assert client.post_form(NEW_RIGHTS, body).status_code == 302
    anne = models.User.get(models.User.email == "anne@cfa-sud.test")
    assert membership(anne, sud) is None and membership(anne, annexe).rights == {"right_stock"}
    assert client.post_form(NEW_RIGHTS, rights_body(other)).status_code == 302  # no draft any more: back to step 1
    # the list covers both establishments
    assert "anne@cfa-sud.test" in client.get(LIST).get_data(as_text=True)
    # an establishment where the admin is only gestionnaire cannot be granted
    client.post_form(NEW, {"last_name": "Autre", "first_name": "Olga", "email": "olga@cfa-sud.test"})
    assert client.post_form(NEW_RIGHTS, rights_body(other)).status_code == 403
