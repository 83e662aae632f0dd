"""The one function that runs a transition of a state machine (tables in workflows/state_machines.py).

`apply()` checks the transition's permission with `access.permissions.can`, moves the state with a guarded
``UPDATE … WHERE id = ? AND state IN (from_states)`` (0 rows means the record is no longer in a state the
transition starts from: a French refusal, never a silent success), writes one audit entry in the same
transaction (for a dossier, it also moves the dashboard counters, models/counters.py) and writes the
notifications the table declares once the change is committed (inside a caller's transaction they are
written with it, so a rollback takes them away too).
"""
import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from access.permissions import as_scope, can
from access.scope import Scope
from models import Delegation, Dossier, DossierCounter, Membership, User, db, is_postgres
from models.states import DelegationState
from workflows.audit import record, snapshot

SYSTEM = None  # the actor of transitions nobody triggers by hand (the clock): no permission, no user


@dataclass
class Outcome:
    """What a bulk action did to one record (its id, its displayed number), shown as one line per row."""
    record_id: int
    number: str
    ok: bool
    message: str

    @property
    def line(self):
        return f"{self.number} : {self.message}"


class TransitionRefused(Exception):
    """A transition refused for a reason the user can read (French)."""


@dataclass(frozen=True)
class Notify:
    """Who is told of a transition: the users of one side's organisation holding `permission` on the subject.

    `side` is "organisation" (the record's organisation, or its dossier's), "delegate", "delegator" or
    "both" (a delegation's two organisations).
    """

    side: str
    permission: str
    category: str = "dossier"
    delegates: bool = False  # also the organisations managing its contracts by an approved delegation


@dataclass(frozen=True)
class Transition:
    name: str
    from_states: tuple
    to_state: object
    permission: str | None  # None: a system transition (the clock), run with actor SYSTEM only
    label: str  # French, the button or action's text
    action: str  # audit action code (English snake_case)
    needs_reason: bool = False
    notify: tuple = ()  # Notify rules
    only: Callable | None = None  # (scope, obj) -> bool: which side of the record may act, beyond `permission`
    # what the back office's buttons need
    done: str = ""  # past participle shown per record ("2026000012 : engagé")
    confirmation: str = ""
    button: str = "primary"
    needs_input: bool = False


@dataclass
class Machine:
    name: str
    model: object
    entity: str  # audit entity name
    states: object  # the State enum of models/states.py (or a {value: label} dict for booleans)
    transitions: dict = field(default_factory=dict)
    column: str = "state"
    describe: Callable = str  # row -> French subject of a notification ("Facture F0000012")
    events: Callable | None = None  # (row, state before) -> None: webhook events, queued inside the transaction

    def __post_init__(self):
        if not isinstance(self.transitions, dict):
            self.transitions = {t.name: t for t in self.transitions}

    def label(self, state):
        if isinstance(self.states, dict):
            return self.states.get(state, str(state))
        return self.states.label_of(state)

    def badge(self, state):
        return "secondary" if isinstance(self.states, dict) else self.states.badge_of(state)

    def choices(self):
        if isinstance(self.states, dict):
            return list(self.states.items())
        return self.states.choices()

    def available(self, obj, actor=None):
        """The transitions open from `obj`'s current state (and allowed to `actor` when given)."""
        state = getattr(obj, self.column)
        return [t for t in self.transitions.values()
                if state in t.from_states and (actor is None or permitted(t, actor, obj))]


def scopes_of(actor, obj=None):
    """The Scopes `can` is asked about: a Scope, a staff User, an object carrying `.scope`, or — until every
    caller hands a Scope — a CFA User through each of its memberships that covers `obj`'s organisation."""
    if actor is None:
        return []
    if isinstance(actor, Scope):
        return [actor]
    if hasattr(actor, "scope") and not isinstance(actor, User):
        return [actor.scope]
    scope = as_scope(actor)
    if scope is not None or not isinstance(actor, User):
        return [scope] if scope is not None else []
    org_id = organisation_of(obj) if obj is not None else None
    found = []
    for membership in Membership.select().where(Membership.user == actor.id).order_by(Membership.id):
        delegators = [d for (d,) in Delegation.select(Delegation.delegator).where(
            (Delegation.delegate == membership.organisation_id)
            & (Delegation.state == DelegationState.APPROVED)).tuples()]
        candidate = Scope.of_membership(membership, delegators)
        if org_id is None or candidate.covers(org_id):
            found.append(candidate)
    return found


def permitted(transition, actor, obj):
    if transition.permission is None:
        return actor is SYSTEM
    return any(can(scope, transition.permission, obj) and (transition.only is None or transition.only(scope, obj))
               for scope in scopes_of(actor, obj))


def organisation_of(row):
    """The organisation a record belongs to (its own, its dossier's, or itself for an organisation)."""
    if getattr(row, "organisation_id", None):
        return row.organisation_id
    if getattr(row, "dossier_id", None):
        return Dossier.select(Dossier.organisation).where(Dossier.id == row.dossier_id).scalar()
    if row.__class__.__name__ == "Organisation":
        return row.id
    return None


def apply(machine, name, obj, actor, *, changes=None, reason="", note="", within=None, notice=None,
          audit_user=None):
    """Run transition `name` of `machine` on `obj` for `actor`; return the reloaded row.

    `changes` are other columns written by the same UPDATE; `within(row)` runs inside the transaction
    after the update (events, derived statuses, letters) and may return a note added to the audit entry;
    `notice` is the notification's text (a string, a {organisation id: text} dict — an organisation left
    out is not told — or a callable(row) returning either), else a sentence naming the new state.
    Raises TransitionRefused.
    """
    transition = machine.transitions[name]
    if not permitted(transition, actor, obj):
        raise TransitionRefused(f"vous n'avez pas le droit de faire « {transition.label} »")
    reason = (reason or "").strip()
    if transition.needs_reason and not reason:
        raise TransitionRefused("le motif est obligatoire")
    model = machine.model
    column = getattr(model, machine.column)
    nested = db.in_transaction()
    with db.atomic():
        query = model.select().where(model.id == obj.id)
        # A dossier's row is locked before it is read: the counters move from the state it really leaves.
        current = (query.for_update() if model is Dossier and is_postgres() else query).first()
        if current is None:
            raise TransitionRefused("enregistrement introuvable")
        before = snapshot(current)
        values = {machine.column: _stored(transition.to_state), **(changes or {})}
        if hasattr(model, "updated_at"):
            values.setdefault("updated_at", dt.datetime.now().replace(microsecond=0))
        from_states = [_stored(s) for s in transition.from_states]
        updated = model.update(**values).where((model.id == obj.id) & column.in_(from_states)).execute()
        if updated != 1:
            state = getattr(current, machine.column)
            allowed = ", ".join(machine.label(s) for s in transition.from_states)
            raise TransitionRefused(
                f"« {transition.label} » n'est possible que depuis : {allowed} "
                f"(état actuel : {machine.label(state)}) ; rechargez la page")
        row = model.get_by_id(obj.id)
        if model is Dossier:
            DossierCounter.moved(current, row)
        extra = None
        if within is not None:
            extra = within(row)
            done = model.get_by_id(obj.id)
            if model is Dossier:
                DossierCounter.moved(row, done)
            row = done
        after = snapshot(row)
        changed_before = {k: v for k, v in before.items() if after.get(k) != v and k != "updated_at"}
        changed_after = {k: after[k] for k in changed_before}
        record(machine.entity, row.id, transition.action, changed_before, changed_after,
               user=audit_user or _user_of(actor),
               note="; ".join(x for x in (note or reason, extra or "") if x))
        if machine.events is not None:
            machine.events(row, getattr(current, machine.column))
        if nested:
            _notify(machine, transition, row, notice, state_before=getattr(current, machine.column))
    if not nested:
        _notify(machine, transition, row, notice, state_before=getattr(current, machine.column))
    return row


def _user_of(actor):
    """Who the audit entry names: the user behind an actor (a user itself, a Scope, or an object carrying one), or
    an API key's Scope itself (no user: the entry then names the key, never « système »)."""
    if actor is None or isinstance(actor, User):
        return actor
    if getattr(actor, "api_key", None) is not None:
        return actor
    if hasattr(actor, "scope"):
        return actor.scope.user
    return getattr(actor, "user", None)


def _stored(state):
    return state.value if hasattr(state, "value") else state


def notified_organisations(rule, row):
    if rule.side == "organisation":
        org_id = organisation_of(row)
        if not rule.delegates:
            return [org_id]
        return [org_id, *(d for (d,) in Delegation.select(Delegation.delegate).where(
            (Delegation.delegator == org_id) & (Delegation.state == DelegationState.APPROVED))
            .order_by(Delegation.delegate).tuples())]
    if rule.side == "delegate":
        return [row.delegate_id]
    if rule.side == "delegator":
        return [row.delegator_id]
    if rule.side == "both":
        return [row.delegate_id, row.delegator_id]
    raise ValueError(f"unknown notification side {rule.side!r}")


def _notify(machine, transition, row, notice, state_before):
    from workflows.notify import notify_users

    if callable(notice):
        notice = notice(row)
    dossier_id = row.id if machine.model is Dossier else getattr(row, "dossier_id", None)
    subject = Dossier.get_by_id(dossier_id) if dossier_id and machine.model is not Dossier else row
    for rule in transition.notify:
        for org_id in notified_organisations(rule, row):
            text = notice.get(org_id) if isinstance(notice, dict) else notice
            if isinstance(notice, dict) and text is None:
                continue
            text = text or (f"{machine.describe(row)} : {machine.label(state_before)} → "
                            f"{machine.label(transition.to_state)}.")
            notify_users(org_id, rule.permission, text, subject=subject, dossier=dossier_id,
                         category=rule.category)
