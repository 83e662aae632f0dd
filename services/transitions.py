"""State machines declared as tables, and the one function that runs a transition.

A `Machine` names a model, its state column, the French labels of its states and its
transitions. `apply()` checks the transition's permission, moves the state with a guarded
``UPDATE … WHERE id = ? AND state IN (from_states)`` (0 rows means someone else moved it
first: a French refusal, never a silent success), writes the audit entry in the same
transaction and runs the notifications once the transaction is over.
"""
import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from models import db
from services.audit import record, snapshot


class TransitionRefused(Exception):
    """A transition refused for a reason the user can read (French)."""


def anyone(actor, obj):
    return True


@dataclass(frozen=True)
class Transition:
    name: str
    from_states: tuple
    to_state: str
    label: str
    audit_action: str = ""
    permission: Callable = anyone  # (actor, obj) -> bool
    notify: str = ""  # who is told, in words: "the delegate organisation", "the CFA"…
    needs_reason: bool = False

    @property
    def action(self):
        return self.audit_action or self.name


@dataclass
class Machine:
    model: object
    entity: str  # audit entity name
    labels: dict  # state -> French label
    transitions: dict = field(default_factory=dict)
    column: str = "state"

    def __post_init__(self):
        if not isinstance(self.transitions, dict):
            self.transitions = {t.name: t for t in self.transitions}

    def label(self, state):
        return self.labels.get(state, state)

    def available(self, obj, actor=None):
        """The transitions open from `obj`'s current state (and allowed to `actor` when given)."""
        state = getattr(obj, self.column)
        return [t for t in self.transitions.values()
                if state in t.from_states and (actor is None or t.permission(actor, obj))]

    def choices(self):
        return list(self.labels.items())


def apply(machine, name, obj, actor, *, changes=None, reason="", note="", notify=(), audit_user=None):
    """Run transition `name` of `machine` on `obj` for `actor`; return the reloaded row.

    `changes` are other columns written by the same UPDATE; `notify` is a list of callables run
    after the transaction (they receive the reloaded row). Raises TransitionRefused.
    """
    transition = machine.transitions[name]
    if not transition.permission(actor, obj):
        raise TransitionRefused(f"vous n'avez pas le droit de faire « {transition.label} »")
    reason = (reason or "").strip()
    if transition.needs_reason and not reason:
        raise TransitionRefused("le motif est obligatoire")
    model = machine.model
    column = getattr(model, machine.column)
    with db.atomic():
        current = model.get_or_none(model.id == obj.id)
        if current is None:
            raise TransitionRefused("enregistrement introuvable")
        before = snapshot(current)
        values = {machine.column: transition.to_state, **(changes or {})}
        if hasattr(model, "updated_at"):
            values.setdefault("updated_at", dt.datetime.now().replace(microsecond=0))
        updated = (model.update(**values)
                   .where((model.id == obj.id) & column.in_(transition.from_states)).execute())
        if updated != 1:
            state = getattr(current, machine.column)
            allowed = ", ".join(machine.label(s) for s in transition.from_states)
            raise TransitionRefused(
                f"« {transition.label} » n'est possible que depuis : {allowed} "
                f"(état actuel : {machine.label(state)}) ; rechargez la page")
        row = model.get_by_id(obj.id)
        after = snapshot(row)
        changed_before = {k: v for k, v in before.items() if after.get(k) != v and k != "updated_at"}
        changed_after = {k: after[k] for k in changed_before}
        record(machine.entity, row.id, transition.action, changed_before, changed_after,
               user=audit_user or _user_of(actor), note=note or reason)
    for callback in notify:
        callback(row)
    return row


def _user_of(actor):
    """The user behind an actor (a user itself, or a scope/API actor carrying one)."""
    if actor is None:
        return None
    if hasattr(actor, "kind") and hasattr(actor, "email"):
        return actor
    return getattr(actor, "user", None)
