"""Every transition of every table in workflows/state_machines.py, walked in one small world.

For each transition (a new one is walked automatically): every actor lacking its permission is refused and
nothing changes; from a state outside its from-states the guarded update refuses in French and nothing
changes; every actor holding it moves the state, writes exactly one audit entry with the action code, and
exactly the entitled users are notified. Who holds what and who must be told are written here by hand,
from SPEC §1/§3 and issue 10, not computed by the code under test.

The world: CFA Ouest (A) with an administrator, a gestionnaire with the billing right, one without it and an
inactive billing user; CFA Sud (D), which manages A's contracts by an approved delegation, with its
administrator and a gestionnaire; the OPCO's conseiller, comptable and administrator; an API key of A; an
employer user.
"""
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

import models
from access.scope import Scope
from models.states import DelegationState
from workflows.state_machines import MACHINES
from workflows.transitions import SYSTEM, TransitionRefused, apply

TRANSITIONS = [(m.name, t.name) for m in MACHINES.values() for t in m.transitions.values()]

STAFF_INSTRUCT = {"conseiller", "admin"}
STAFF_BILLING = {"comptable", "admin"}
# Who holds each permission on a record of A (SPEC §1 actors, the six rights, delegation: D acts for A).
HOLDERS = {
    "dossier.instruct": STAFF_INSTRUCT,
    "invoice.decide": STAFF_BILLING,
    "payment.record": STAFF_BILLING,
    "credit_note.manage": STAFF_BILLING,
    "bank_details.review": STAFF_BILLING,
    "bank_details.submit": {"a_admin", "a_billing", "api_a"},  # its own administrators and billing users, not its delegate
    "dossier.bill": {"a_admin", "a_billing", "d_admin", "api_a"},
    "registration.decide": {"admin"},
    "organisation.manage": {"admin"},
    "employer.manage": {"conseiller", "admin"},
    "user.manage": {"admin", "a_admin", "api_a"},  # a CFA administrator manages its own organisation's users
    "proposal.manage": {"a_admin", "a_billing", "a_plain", "d_admin", "api_a"},
    "proposal.decide": {"employer"},
    None: {"system"},  # the clock
}
# Per transition, when the side of the record decides beyond the permission (delegations).
HOLDERS_BY_TRANSITION = {
    ("delegation", "approuver"): {"admin", "a_admin", "api_a"},  # the delegating organisation decides
    ("delegation", "refuser"): {"admin", "a_admin", "api_a"},
    ("delegation", "annuler"): {"admin", "d_admin"},  # the delegate withdraws its own request
    ("delegation", "terminer"): {"admin", "a_admin", "d_admin", "api_a"},  # either side ends it
    ("proposal", "transmettre_api"): {"api_a"},  # the CFA's software only
}
# Who is told, by hand: a dossier's news to its organisation's users holding the right on it and to the
# delegate's; billing news to billing rights only (never the gestionnaire without billing); an
# organisation's bank details to its own administrators (never CFA Sud, its delegate); a delegation to the
# administrators of the side(s) concerned; a registration to the new organisation's administrator.
DOSSIER_NEWS = {"a_admin", "a_billing", "a_plain", "d_admin", "d_plain"}
BILLING_NEWS = {"a_admin", "a_billing", "d_admin"}
TOLD_BY_MACHINE = {"dossier": DOSSIER_NEWS, "invoice": BILLING_NEWS, "credit_note": BILLING_NEWS,
                   "bank_details": {"a_admin"}, "amendment": DOSSIER_NEWS, "rupture": DOSSIER_NEWS,
                   "organisation": {"n_admin"}, "proposal": {"a_admin", "a_billing", "a_plain"}}
TOLD_BY_TRANSITION = {
    ("dossier", "declarer_solde"): BILLING_NEWS,
    ("delegation", "approuver"): {"a_admin", "d_admin"},
    ("delegation", "refuser"): {"d_admin"},
    ("delegation", "annuler"): {"a_admin"},
    ("delegation", "terminer"): {"a_admin", "d_admin"},
}
SILENT = {("invoice", "deposer"), ("invoice", "reponse_cfa"), ("invoice", "payer"), ("credit_note", "deposer"),
          ("credit_note", "imputer"), ("bank_details", "remplacer"), ("bank_details", "remplacer_saisie"),
          ("organisation", "refuser_inscription"), ("organisation", "desactiver"), ("organisation", "reactiver"),
          ("employer", "desactiver"), ("employer", "reactiver"), ("user", "desactiver"), ("user", "reactiver"),
          ("proposal", "envoyer"), ("proposal", "transmettre_api")}


def _member(factory, organisation, role, rights, **kw):
    user = factory.cfa_user(organisation, role=role, rights=rights, **kw)
    return user, models.Membership.get(models.Membership.user == user.id)


@pytest.fixture
def world(factory):
    a = factory.organisation(name="CFA Ouest")
    d = factory.organisation(name="CFA Sud")
    n = factory.organisation(name="CFA Nouveau", status="pending")
    models.Delegation.create(delegate=d, delegator=a, state=DelegationState.APPROVED)
    users, actors = {}, {}
    for org, key in ((a, "a"), (n, "n")):
        users[f"{key}_admin"], m_admin = _member(factory, org, "admin_of", None)
        users[f"{key}_billing"], m_billing = _member(factory, org, "gestionnaire_of",
                                                     ["right_contracts", "right_contracts_billing"])
        users[f"{key}_plain"], m_plain = _member(factory, org, "gestionnaire_of", ["right_contracts"])
        _member(factory, org, "gestionnaire_of", ["right_contracts_billing"], active=False)  # never told
        if key == "a":
            actors.update(a_admin=Scope.of_membership(m_admin), a_billing=Scope.of_membership(m_billing),
                          a_plain=Scope.of_membership(m_plain))
    users["d_admin"], m_d_admin = _member(factory, d, "admin_of", None)
    users["d_plain"], _ = _member(factory, d, "gestionnaire_of", ["right_contracts"])
    users["d_stock"], _ = _member(factory, d, "gestionnaire_of", ["right_stock"])  # not A's contract dossiers
    actors["d_admin"] = Scope.of_membership(m_d_admin, delegator_ids=[a.id])
    for role in ("conseiller", "comptable", "admin"):
        actors[role] = factory.staff(role)
    actors["api_a"] = Scope.of_api_key(SimpleNamespace(id=0, organisation_id=a.id, prefix="pcfa_Test", name="Logiciel"))
    # The employer the proposal was sent to: the employer space scopes it by SIRET.
    employer_user = factory.employer_user(employer=factory.employer(siret="73282932000074"))
    actors["employer"] = Scope.of_employer(employer_user)
    actors["system"] = SYSTEM
    dossier = factory.dossier(organisation=a, state="engage")
    return SimpleNamespace(a=a, d=d, n=n, users=users, actors=actors, dossier=dossier, factory=factory,
                           seq=iter(range(1, 10_000)))


def make_record(world, machine, state):
    """A record of `machine` in `state`, belonging to A (a new organisation N for registrations)."""
    a, dossier, f = world.a, world.dossier, world.factory
    number = next(world.seq)
    if machine == "dossier":
        return f.dossier(organisation=a, state=state)
    if machine == "invoice":
        return models.Invoice.create(organisation=a, dossier=dossier, state=state, total_ht=100, total_ttc=100)
    if machine == "credit_note":
        return models.CreditNote.create(number=number, organisation=a, dossier=dossier, amount=Decimal("10.00"),
                                        reason="rupture", settlement_mode="refund", state=state,
                                        issued_on=dt.date(2026, 1, 5), due_date=dt.date(2026, 1, 20))
    if machine == "bank_details":
        return models.BankDetails.create(organisation=a, iban="FR7630006000011234567890189", bic="BNPAFRPPXXX",
                                         holder="CFA Ouest", status=state)
    if machine == "delegation":
        return models.Delegation.create(delegate=world.d, delegator=a, state=state)
    if machine == "amendment":
        return models.Amendment.create(dossier=dossier, old_end=dossier.contract_end, new_end=dossier.contract_end,
                                       old_npec=dossier.npec, new_npec=Decimal("8000.00"), state=state)
    if machine == "rupture":
        return models.Rupture.create(dossier=dossier, date=dt.date(2026, 3, 1), reason="Démission", state=state)
    if machine == "organisation":
        models.Organisation.update(status=state).where(models.Organisation.id == world.n.id).execute()
        return models.Organisation.get_by_id(world.n.id)
    if machine == "employer":
        return f.employer(status=state)
    if machine == "user":
        user, _ = _member(f, a, "gestionnaire_of", ["right_contracts"], active=state)
        return user
    if machine == "proposal":
        return models.ContractProposal.create(organisation=a, employer_siret="73282932000074", state=state)
    raise AssertionError(f"no record builder for machine {machine!r}: add one")


def holders(machine, transition):
    key = (machine.name, transition.name)
    return HOLDERS_BY_TRANSITION[key] if key in HOLDERS_BY_TRANSITION else HOLDERS[transition.permission]


def expected_recipients(world, machine, transition):
    key = (machine.name, transition.name)
    if key in SILENT:
        told = set()
    elif key in TOLD_BY_TRANSITION:
        told = TOLD_BY_TRANSITION[key]
    else:
        told = TOLD_BY_MACHINE[machine.name]
    return {world.users[name].id for name in told}


def state_of(machine, record):
    row = machine.model.get_by_id(record.id)
    return getattr(row, machine.column)


def audit_entries(machine, record):
    return list(models.AuditEntry.select().where((models.AuditEntry.entity == machine.entity)
                                                 & (models.AuditEntry.entity_id == str(record.id))))


def notified(since_id):
    return {n.user_id for n in models.Notification.select().where(models.Notification.id > since_id)}


def last_notification_id():
    return models.Notification.select(models.Notification.id).order_by(models.Notification.id.desc()).scalar() or 0


@pytest.mark.parametrize("machine_name,name", TRANSITIONS)
def test_each_actor_lacking_the_permission_is_refused_and_nothing_changes(world, machine_name, name):
    machine = MACHINES[machine_name]
    transition = machine.transitions[name]
    record = make_record(world, machine_name, transition.from_states[0])
    mark = last_notification_id()
    for actor_name, actor in world.actors.items():
        if actor_name in holders(machine, transition):
            continue
        with pytest.raises(TransitionRefused, match="vous n'avez pas le droit"):
            apply(machine, name, record, actor, reason="Motif de test")
        assert state_of(machine, record) == transition.from_states[0], actor_name
    assert audit_entries(machine, record) == [] and notified(mark) == set()


@pytest.mark.parametrize("machine_name,name", TRANSITIONS)
def test_from_a_state_outside_its_sources_the_guard_refuses_in_french(world, machine_name, name):
    machine = MACHINES[machine_name]
    transition = machine.transitions[name]
    others = [value for value, _ in machine.choices() if value not in transition.from_states]
    actor = world.actors[sorted(holders(machine, transition))[0]]
    mark = last_notification_id()
    for state in others:
        record = make_record(world, machine_name, state)
        with pytest.raises(TransitionRefused, match="n'est possible que depuis"):
            apply(machine, name, record, actor, reason="Motif de test")
        assert state_of(machine, record) == state
        assert audit_entries(machine, record) == []
    assert notified(mark) == set()


@pytest.mark.parametrize("machine_name,name", TRANSITIONS)
def test_each_holder_moves_the_state_with_one_audit_entry_and_tells_exactly_the_entitled(world, machine_name, name):
    machine = MACHINES[machine_name]
    transition = machine.transitions[name]
    for actor_name in sorted(holders(machine, transition)):
        record = make_record(world, machine_name, transition.from_states[0])
        mark = last_notification_id()
        apply(machine, name, record, world.actors[actor_name], reason="Motif de test")
        assert state_of(machine, record) == transition.to_state, actor_name
        [entry] = audit_entries(machine, record)
        assert entry.action == transition.action
        assert entry.after[machine.column] == transition.to_state
        assert notified(mark) == expected_recipients(world, machine, transition), actor_name


@pytest.mark.parametrize("machine_name,name", [(m, t) for m, t in TRANSITIONS
                                               if MACHINES[m].transitions[t].needs_reason])
def test_a_transition_needing_a_reason_refuses_without_one(world, machine_name, name):
    machine = MACHINES[machine_name]
    transition = machine.transitions[name]
    record = make_record(world, machine_name, transition.from_states[0])
    with pytest.raises(TransitionRefused, match="le motif est obligatoire"):
        apply(machine, name, record, world.actors[sorted(holders(machine, transition))[0]], reason="  ")
    assert state_of(machine, record) == transition.from_states[0] and audit_entries(machine, record) == []


def test_every_action_code_is_english_snake_case_and_every_label_french():
    for machine in MACHINES.values():
        for transition in machine.transitions.values():
            assert transition.action.isascii() and transition.action == transition.action.lower()
            assert " " not in transition.action and transition.label[0].isupper()
