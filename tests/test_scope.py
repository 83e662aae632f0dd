"""The Scope a CFA user or an API key acts within covers its organisation and its approved delegators only.

Built by the real functions (access/scope.py) on real rows, and moved through the real delegation workflow.
"""
import datetime as dt

import models
from access import scope as scoped
from access.permissions import can
from workflows import audit, delegations


def numbers(query):
    return sorted(d.number for d in query)


def delegate_contracts(factory, delegator, delegate, state="demandee"):
    return models.Delegation.create(delegator=delegator, delegate=delegate, state=state)


def test_a_cfa_users_scope_covers_its_delegator_only_while_the_delegation_is_approved(factory):
    ouest, sud = factory.organisation(name="CFA Ouest"), factory.organisation(name="CFA Sud")
    gestionnaire = factory.cfa_user(ouest, role="gestionnaire_of", rights=["right_contracts_billing"])
    own, delegated = factory.dossier(organisation=ouest), factory.dossier(organisation=sud)
    admin = factory.staff(role="admin")
    request = delegate_contracts(factory, delegator=sud, delegate=ouest)

    asked = scoped.scope_for_user(gestionnaire)
    assert asked.organisation_id == ouest.id and not asked.covers(sud.id)
    assert numbers(scoped.dossiers(asked)) == [own.number]
    assert not can(asked, "dossier.bill", delegated)

    delegations.approve(request, admin)
    approved = scoped.scope_for_user(gestionnaire)
    assert approved.organisation_ids == {ouest.id, sud.id}
    assert numbers(scoped.dossiers(approved)) == sorted([own.number, delegated.number])
    assert can(approved, "dossier.bill", delegated)

    delegations.end(models.Delegation.get_by_id(request.id), admin)
    ended = scoped.scope_for_user(gestionnaire)
    assert ended.organisation_ids == {ouest.id}
    assert numbers(scoped.dossiers(ended)) == [own.number]
    assert not can(ended, "dossier.view", delegated)


def test_the_organisation_picked_in_the_header_is_the_one_acted_for(factory):
    alpha, beta = factory.organisation(name="Alpha formation"), factory.organisation(name="Beta formation")
    user = factory.cfa_user(alpha, role="admin_of")
    models.Membership.create(user=user, organisation=beta, role="gestionnaire_of", right_contracts=True)
    in_alpha, in_beta = factory.dossier(organisation=alpha), factory.dossier(organisation=beta)

    default = scoped.scope_for_user(user)  # first by name
    assert default.organisation_id == alpha.id and default.is_admin_of
    assert numbers(scoped.dossiers(default)) == [in_alpha.number]
    picked = scoped.scope_for_user(user, beta.id)
    assert picked.organisation_id == beta.id and not picked.is_admin_of
    assert numbers(scoped.dossiers(picked)) == [in_beta.number]
    assert not can(picked, "organisation.admin")


def test_a_user_of_an_inactive_organisation_has_an_empty_scope(factory):
    closed = factory.organisation(status="inactive")
    user = factory.cfa_user(closed)
    factory.dossier(organisation=closed)
    scope = scoped.scope_for_user(user)
    assert scope.organisation_ids == frozenset()
    assert list(scoped.dossiers(scope)) == [] and not can(scope, "portal.use")


def make_key(organisation, **kw):
    now = dt.datetime.now()
    defaults = dict(organisation=organisation, prefix=f"pk{organisation.id}", key_hash=f"hash-{organisation.id}-{kw}",
                    expires_at=now + dt.timedelta(days=365))
    defaults.update(kw)
    return models.ApiKey.create(**defaults)


def test_an_api_keys_scope_covers_its_organisation_and_its_approved_delegators_only(factory):
    ouest, sud, nord, est = (factory.organisation(name=n) for n in ("Ouest", "Sud", "Nord", "Est"))
    delegate_contracts(factory, delegator=sud, delegate=ouest, state="approuvee")
    delegate_contracts(factory, delegator=nord, delegate=ouest, state="demandee")
    delegate_contracts(factory, delegator=est, delegate=ouest, state="terminee")
    delegate_contracts(factory, delegator=ouest, delegate=est, state="approuvee")  # the other way round
    dossiers = {org.name: factory.dossier(organisation=org, is_stock=(org is sud)) for org in (ouest, sud, nord, est)}

    scope = scoped.scope_for_api_key(make_key(ouest))
    assert scope.kind == "api" and scope.user is None
    assert scope.organisation_ids == {ouest.id, sud.id}
    assert numbers(scoped.dossiers(scope)) == sorted([dossiers["Ouest"].number, dossiers["Sud"].number])
    assert can(scope, "dossier.bill", dossiers["Sud"])  # a key holds the six rights
    assert not can(scope, "dossier.view", dossiers["Nord"]) and not can(scope, "dossier.view", dossiers["Est"])
    assert not can(scope, "invoice.decide")  # never a staff permission


def test_a_revoked_or_expired_key_covers_nothing(factory):
    ouest = factory.organisation()
    factory.dossier(organisation=ouest)
    now = dt.datetime.now()
    for key in (make_key(ouest, revoked_at=now), make_key(ouest, expires_at=now - dt.timedelta(days=1))):
        scope = scoped.scope_for_api_key(key)
        assert scope.organisation_ids == frozenset()
        assert list(scoped.dossiers(scope)) == []
        assert not can(scope, "dossier.view") and not can(scope, "api_key.manage")


def test_the_audit_entry_names_the_actor_passed_in(factory):
    ouest = factory.organisation()
    user = factory.cfa_user(ouest)

    by_user = audit.record("dossier", 1, "deposit", user=scoped.scope_for_user(user))
    by_key = audit.record("dossier", 1, "deposit", user=scoped.scope_for_api_key(make_key(ouest)))
    by_system = audit.record("dossier", 1, "relance")
    assert (by_user.user_id, by_user.actor) == (user.id, user.email)
    assert (by_key.user_id, by_key.actor) == (None, f"clé API pk{ouest.id}")
    assert (by_system.user_id, by_system.actor) == (None, "système")
