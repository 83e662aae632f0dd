"""Deactivation instead of deletion: organisations, employers and users keep their history and go inactive.

One machine per table (workflows/state_machines.py); the back office offers them as list actions and details
buttons. A deactivated user is signed out everywhere at once (new session token in the same UPDATE).
"""
from models import new_session_token

from workflows.state_machines import EMPLOYER, ORGANISATION, USER
from workflows.transitions import TransitionRefused, apply


ORGANISATION_ACTIVITY = ORGANISATION
EMPLOYER_ACTIVITY = EMPLOYER
USER_ACTIVITY = USER


def change_activity(machine, name, obj, actor):
    """Run `name` on `obj`; a user who is deactivated loses every open session in the same UPDATE."""
    changes = None
    if machine is USER_ACTIVITY and name == "desactiver":
        if obj.id == getattr(actor, "id", None):
            raise TransitionRefused("vous ne pouvez pas désactiver votre propre compte")
        changes = {"session_token": new_session_token()}
    return apply(machine, name, obj, actor, changes=changes)
