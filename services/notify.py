"""Notifications to a CFA organisation (shown in the portal) and emails to the outbox."""
from models import Notification, OutboxEmail


def notify_organisation(organisation, message, dossier=None, category="dossier", user=None):
    return Notification.create(organisation=organisation, dossier=dossier, message=message, category=category,
                               user=user)


def send_email(recipient, subject, body):
    """Emails go to the outbox table; an SMTP relay (MAIL_SERVER) can drain it."""
    return OutboxEmail.create(recipient=recipient, subject=subject, body=body)
