"""Users in the back office: edit without a 500, deactivate, new password, and their old sessions end at once.

The session token is what the cookie carries (Flask-Login's user id): it never shows on a page, an export or in
the audit log.
"""
import models
from infrastructure.passwords import verify_password

NEW_PASSWORD = "Nouveau-Secret-2027"


def _edit_body(user, membership=None, **changes):
    body = {"email": user.email, "last_name": user.last_name, "first_name": user.first_name, "kind": user.kind,
            "staff_role": user.staff_role or "", "daily_digest": "y"}
    if membership is not None:
        body.update({"memberships-0-id": str(membership.id),
                     "memberships-0-organisation": str(membership.organisation_id),
                     "memberships-0-role": membership.role,
                     **{f"memberships-0-{name}": "y" for name in sorted(membership.rights)}})
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _signed_in(client):
    response = client.get("/portail/")
    return response.status_code == 200


def test_an_admin_edits_a_cfa_user_role_and_rights_without_a_500(make_client, factory, db):
    admin = make_client(factory.staff("admin").email)
    user = factory.cfa_user(rights=["right_contracts"])
    membership = models.Membership.get(models.Membership.user == user.id)
    body = _edit_body(user, membership, last_name="Renommée", **{"memberships-0-role": "admin_of",
                                                                  "memberships-0-right_contracts_billing": "y"})
    response = admin.post_form(f"/admin/user/edit/?id={user.id}", body)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert models.User.get_by_id(user.id).last_name == "Renommée"
    membership = models.Membership.get_by_id(membership.id)
    assert membership.role == "admin_of"
    assert membership.rights == {"right_contracts", "right_contracts_billing"}
    entry = models.AuditEntry.get((models.AuditEntry.entity == "user") & (models.AuditEntry.action == "update"))
    assert entry.entity_id == str(user.id)


def test_an_admin_changes_a_staff_role(make_client, factory, db):
    admin = make_client(factory.staff("admin").email)
    agent = factory.staff("conseiller")
    response = admin.post_form(f"/admin/user/edit/?id={agent.id}", _edit_body(agent, staff_role="comptable"))
    assert response.status_code == 302
    assert models.User.get_by_id(agent.id).staff_role == "comptable"


def test_a_new_password_is_hashed_with_argon2id_and_signs_the_user_out_everywhere(make_client, factory, db):
    admin = make_client(factory.staff("admin").email)
    user = factory.cfa_user()
    old_session = make_client(user.email)
    assert _signed_in(old_session)
    membership = models.Membership.get(models.Membership.user == user.id)
    response = admin.post_form(f"/admin/user/edit/?id={user.id}",
                               _edit_body(user, membership, new_password=NEW_PASSWORD))
    assert response.status_code == 302
    stored = models.User.get_by_id(user.id)
    assert stored.password_hash.startswith("$argon2id$") and verify_password(stored.password_hash, NEW_PASSWORD)
    assert not _signed_in(old_session), "the session opened before the password change is still valid"
    fresh = make_client()
    fresh.login(user.email, NEW_PASSWORD)
    assert _signed_in(fresh)
    entry = models.AuditEntry.select().where(models.AuditEntry.entity == "user").order_by(
        models.AuditEntry.id.desc()).get()
    assert "mot de passe" in entry.note


def test_an_admin_who_sets_their_own_password_stays_signed_in(make_client, factory, db):
    me = factory.staff("admin")
    client = make_client(me.email)
    other_session = make_client(me.email)
    response = client.post_form(f"/admin/user/edit/?id={me.id}", _edit_body(me, new_password=NEW_PASSWORD))
    assert response.status_code == 302
    assert client.get("/admin/user/").status_code == 200
    assert other_session.get("/admin/user/").status_code == 302  # the other browser is signed out


def test_a_weak_new_password_is_refused_and_the_sessions_stay(make_client, factory, db):
    admin = make_client(factory.staff("admin").email)
    user = factory.cfa_user()
    session = make_client(user.email)
    membership = models.Membership.get(models.Membership.user == user.id)
    response = admin.post_form(f"/admin/user/edit/?id={user.id}", _edit_body(user, membership, new_password="court"))
    assert response.status_code == 400 and "au moins 8 caractères" in response.get_data(as_text=True)
    assert models.User.get_by_id(user.id).password_hash == user.password_hash
    assert _signed_in(session)


def test_deactivating_a_user_signs_them_out_at_once_and_is_audited(make_client, factory, db):
    admin_user = factory.staff("admin")
    admin = make_client(admin_user.email)
    user = factory.cfa_user()
    session = make_client(user.email)
    assert _signed_in(session)
    details = admin.get(f"/admin/user/details/?id={user.id}").get_data(as_text=True)
    assert 'value="desactiver"' in details
    response = admin.post_form("/admin/user/action/", {"action": "desactiver", "rowid": str(user.id),
                                                       "url": f"/admin/user/details/?id={user.id}"})
    assert response.status_code == 302
    stored = models.User.get_by_id(user.id)
    assert stored.active is False and stored.session_token != user.session_token
    assert not _signed_in(session)
    again = make_client()
    assert again.post_form("/connexion", {"email": user.email, "password": "Portail-Demo-2026"}).status_code == 401
    entry = models.AuditEntry.get((models.AuditEntry.entity == "user") & (models.AuditEntry.action == "deactivate"))
    assert entry.entity_id == str(user.id) and entry.user_id == admin_user.id
    assert entry.before == {"active": True} and entry.after == {"active": False}
    admin.post_form("/admin/user/action/", {"action": "reactiver", "rowid": str(user.id), "url": "/admin/user/"})
    assert models.User.get_by_id(user.id).active is True


def test_the_active_box_is_not_a_way_around_the_deactivation(make_client, factory, db):
    """`active` is not in the form: posting it changes nothing (deactivation goes through the action)."""
    admin = make_client(factory.staff("admin").email)
    agent = factory.staff("conseiller")
    session = make_client(agent.email)
    body = _edit_body(agent)
    response = admin.post_form(f"/admin/user/edit/?id={agent.id}", body)  # 'active' absent = unticked
    assert response.status_code == 302
    assert models.User.get_by_id(agent.id).active is True
    assert session.get("/admin/dossier/").status_code == 200


def test_an_admin_cannot_deactivate_their_own_account(make_client, factory, db):
    me = factory.staff("admin")
    client = make_client(me.email)
    html = client.post_form("/admin/user/action/", {"action": "desactiver", "rowid": str(me.id), "url": "/admin/user/"},
                            follow_redirects=True).get_data(as_text=True)
    assert "propre compte" in html
    assert models.User.get_by_id(me.id).active is True


def test_only_an_admin_deactivates_users(make_client, factory, db):
    user = factory.cfa_user()
    for role in ("conseiller", "comptable"):
        client = make_client(factory.staff(role).email)
        client.post_form("/admin/user/action/", {"action": "desactiver", "rowid": str(user.id), "url": "/admin/user/"})
        assert models.User.get_by_id(user.id).active is True, role


def test_the_session_token_never_shows_in_pages_exports_or_the_audit_log(make_client, factory, db):
    admin = make_client(factory.staff("admin").email)
    created = admin.post_form("/admin/user/new/", {
        "email": "nouveau@opco.test", "last_name": "Nouveau", "first_name": "Agent", "kind": "staff",
        "staff_role": "conseiller", "new_password": "Chaton-Bleu-2026"})
    assert created.status_code == 302
    user = models.User.get(models.User.email == "nouveau@opco.test")
    admin.post_form(f"/admin/user/edit/?id={user.id}", _edit_body(user, new_password=NEW_PASSWORD))
    admin.post_form("/admin/user/action/", {"action": "desactiver", "rowid": str(user.id), "url": "/admin/user/"})
    tokens = [u.session_token for u in models.User.select()]
    tokens.append(user.session_token)
    pages = ["/admin/user/", f"/admin/user/details/?id={user.id}", f"/admin/user/edit/?id={user.id}",
             "/admin/user/export/csv/", "/admin/auditentry/", "/admin/auditentry/export/csv/"]
    pages += [f"/admin/auditentry/details/?id={e.id}" for e in models.AuditEntry.select()]
    for url in pages:
        response = admin.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        for token in tokens:
            assert token not in body, f"a session token shows on {url}"
    for entry in models.AuditEntry.select():
        text = f"{entry.entity_id} {entry.before} {entry.after} {entry.note}"
        assert not any(token in text for token in tokens)
        assert entry.entity != "user" or entry.entity_id == str(user.id) or entry.entity_id.isdigit()
