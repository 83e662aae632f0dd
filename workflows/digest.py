"""The daily digest (SPEC §3 User.daily_digest, §9 CLI): one email per CFA user with the day's notifications."""

from peewee import JOIN

from infrastructure.formatting import datetime_fr
from infrastructure.mail import render_email
from models import Dossier, Notification, Organisation, OutboxEmail, User, db
from access.scope import organisation_ids_of_user
from workflows.notify import send_email


def digest_bodies(user, notifications, site_url=""):
    """The plain-text and HTML bodies (templates/email/digest.txt and .html); links start with `site_url`."""
    items = [{"when": datetime_fr(note.created_at), "organisation": note.organisation.name,
              "dossier": note.dossier.number if note.dossier_id else None, "message": note.message}
             for note in notifications]
    return render_email("digest", first_name=user.first_name or "", items=items,
                        link=f"{site_url}/portail/notifications")


def send_daily_digest(since, site_url=""):
    """Write one outbox email per active CFA user who wants the digest and has unread notifications since `since`."""
    sent = 0
    users = User.select().where((User.kind == "cfa") & (User.active == True) & (User.daily_digest == True))  # noqa: E712
    for user in users:
        ids = organisation_ids_of_user(user)  # the portal's own scope: memberships and delegators
        if not ids:
            continue
        notifications = list(
            Notification.select(Notification, Organisation, Dossier).join(Organisation).switch(Notification)
            .join(Dossier, JOIN.LEFT_OUTER)
            .where(Notification.organisation.in_(ids) & (Notification.created_at >= since)
                   & Notification.read_at.is_null()
                   & (Notification.user == user.id))
            .order_by(Notification.created_at))
        if not notifications:
            continue
        with db.atomic():
            text, html = digest_bodies(user, notifications, site_url)
            send_email(user.notices_address, f"Portail CFA – {len(notifications)} nouvelle(s) notification(s)", text, html)
        sent += 1
    return sent


__all__ = ["send_daily_digest", "OutboxEmail"]
