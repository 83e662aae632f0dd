"""Deactivation instead of deletion: organisations, employers and users keep their history and go inactive.

One machine per table (services.transitions); the back office offers them as list actions and details
buttons. A deactivated user is signed out everywhere at once (new session token in the same UPDATE).
"""
from models import Employer, Organisation, User, new_session_token
from models.organisation import EMPLOYER_STATUSES, ORG_STATUSES

from .transitions import Machine, Transition, TransitionRefused, apply


def staff_in(*roles):
    def permission(actor, obj):
        return getattr(actor, "kind", None) == "staff" and getattr(actor, "staff_role", None) in roles
    return permission


ORGANISATION_ACTIVITY = Machine(Organisation, "organisation", dict(ORG_STATUSES), [
    Transition("valider_inscription", ("pending",), "active", "Valider l'inscription",
               audit_action="validation de l'inscription", permission=staff_in("admin")),
    Transition("desactiver", ("pending", "active"), "inactive", "Désactiver", audit_action="désactivation",
               permission=staff_in("admin")),
    Transition("reactiver", ("inactive",), "active", "Réactiver", audit_action="réactivation",
               permission=staff_in("admin")),
], column="status")

EMPLOYER_ACTIVITY = Machine(Employer, "employer", dict(EMPLOYER_STATUSES), [
    Transition("desactiver", ("active",), "inactive", "Désactiver", audit_action="désactivation",
               permission=staff_in("admin", "conseiller")),
    Transition("reactiver", ("inactive",), "active", "Réactiver", audit_action="réactivation",
               permission=staff_in("admin", "conseiller")),
], column="status")

USER_ACTIVITY = Machine(User, "user", {True: "Actif", False: "Inactif"}, [
    Transition("desactiver", (True,), False, "Désactiver", audit_action="désactivation",
               permission=staff_in("admin")),
    Transition("reactiver", (False,), True, "Réactiver", audit_action="réactivation",
               permission=staff_in("admin")),
], column="active")


def change_activity(machine, name, obj, actor):
    """Run `name` on `obj`; a user who is deactivated loses every open session in the same UPDATE."""
    changes = None
    if machine is USER_ACTIVITY and name == "desactiver":
        if obj.id == getattr(actor, "id", None):
            raise TransitionRefused("vous ne pouvez pas désactiver votre propre compte")
        changes = {"session_token": new_session_token()}
    return apply(machine, name, obj, actor, changes=changes)
