"""Notifications to the users entitled to them (shown in the portal) and emails to the outbox.

A notification is written per recipient user: the active users of the organisation concerned whose
membership holds the permission the subject needs (billing subjects: a billing right; an organisation's
bank details or delegations: its administrators). Nobody reads another user's notifications.
"""
import contextvars

from access.permissions import can
from access.scope import Scope
from infrastructure.jobs import enqueue_after_commit
from models import Delegation, Membership, Notification, OutboxEmail, User
from models.states import DelegationState

# The permission a notification's category needs when the caller names none.
DOSSIER_PERMISSIONS = ("dossier.view", "dossier.bill")
CATEGORY_PERMISSIONS = {"billing": "dossier.bill", "delegation": "organisation.admin",
                        "rib": "organisation.admin", "compte": "organisation.admin"}


def recipients(organisation_id, permission, obj=None):
    """Active users of the organisation for whom `can(their membership's scope, permission, obj)` holds."""
    delegators = [d for (d,) in Delegation.select(Delegation.delegator).where(
        (Delegation.delegate == organisation_id) & (Delegation.state == DelegationState.APPROVED)).tuples()]
    memberships = (Membership.select(Membership, User).join(User)
                   .where((Membership.organisation == organisation_id) & (User.active == True))  # noqa: E712
                   .order_by(User.id))
    return [m.user for m in memberships if can(Scope.of_membership(m, delegators), permission, obj)]


def notify_users(organisation, permission, message, subject=None, dossier=None, category="dossier"):
    """Write `message` to each recipient of `organisation` holding `permission` on `subject`; return the rows."""
    org_id = getattr(organisation, "id", organisation)
    dossier_id = getattr(dossier, "id", dossier)
    return [Notification.create(organisation=org_id, user=user.id, dossier=dossier_id, message=message,
                                category=category)
            for user in recipients(org_id, permission, subject)]


def notify_organisation(organisation, message, dossier=None, category="dossier", user=None, permission=None):
    """Tell `user`, or else the users of `organisation` entitled to the subject (by `permission`, or the
    category's: billing → a billing right on the dossier, delegation → the administrators). News of a
    dossier also go to the organisations managing its contracts by an approved delegation."""
    if user is not None:
        return [Notification.create(organisation=getattr(organisation, "id", organisation), user=user,
                                    dossier=getattr(dossier, "id", dossier), message=message, category=category)]
    permission = permission or CATEGORY_PERMISSIONS.get(category, "dossier.view" if dossier else "portal.use")
    subject = dossier
    if dossier is not None and not hasattr(dossier, "is_stock"):
        from models import Dossier
        subject = Dossier.get_by_id(dossier)
    org_id = getattr(organisation, "id", organisation)
    org_ids = [org_id]
    if permission in DOSSIER_PERMISSIONS and dossier is not None:
        org_ids += [d for (d,) in Delegation.select(Delegation.delegate).where(
            (Delegation.delegator == org_id) & (Delegation.state == DelegationState.APPROVED))
            .order_by(Delegation.delegate).tuples()]
    return [row for org in org_ids
            for row in notify_users(org, permission, message, subject=subject, dossier=dossier, category=category)]


_emails_written = contextvars.ContextVar("emails_written", default=False)


def send_email(recipient, subject, body, html_body=None):
    """Write the email to the outbox, in the caller's transaction; it leaves by SMTP (MAIL_SERVER) only after
    that transaction commits: a job is queued then for the worker (the app also drains the outbox after each
    request that wrote one), and the worker's periodic sweep and `send-emails` retry what failed."""
    _emails_written.set(True)
    row = OutboxEmail.create(recipient=recipient, subject=subject, body=body, html_body=html_body)
    enqueue_after_commit("send_outbox_email", row.id)
    return row


def take_emails_written():
    """Whether emails were written since the last call (the request's hook asks, then drains the outbox)."""
    written = _emails_written.get()
    _emails_written.set(False)
    return written
