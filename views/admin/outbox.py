"""The outbox (Administration › Boîte d'envoi): every email the portal wrote, sent by SMTP or not.

Without MAIL_SERVER this is where emails are read. Bodies hold activation and reset links, so only the OPCO
administrators (settings.manage) open it; nothing is exported, edited or deleted here.
"""
from flask_admin.model.template import macro

from models import OutboxEmail

from .base import ReadOnlyModelView


def _state(view, context, row, name):
    if row.sent_at:
        return "Envoyé"
    return "En échec" if row.last_error else "Non envoyé"


class OutboxEmailView(ReadOnlyModelView):
    read_permission = "settings.manage"
    can_export = False
    details_template = "admin/outbox_details.html"  # bodies shown with their line breaks, escaped
    column_list = ["created_at", "recipient", "subject", "state", "sent_at", "attempts"]
    column_details_list = ["created_at", "recipient", "subject", "state", "sent_at", "attempts", "last_error",
                           "body", "html_body"]
    column_filters = ["recipient", "created_at", "sent_at"]
    column_searchable_list = ["recipient", "subject"]
    column_sortable_list = ["created_at", "recipient", "subject", "sent_at"]
    column_default_sort = ("id", True)
    column_formatters = {"state": _state}
    column_formatters_detail = {"state": _state, "body": macro("render_text"), "html_body": macro("render_text"),
                                "last_error": macro("render_text")}
    column_labels = {"created_at": "Écrit le", "recipient": "Destinataire", "subject": "Objet", "state": "État",
                     "sent_at": "Envoyé le", "attempts": "Tentatives", "last_error": "Dernière erreur",
                     "body": "Texte", "html_body": "Version HTML (source)", "claimed_at": "En cours d'envoi depuis"}


VIEWS = [
    (OutboxEmailView, OutboxEmail, "Boîte d'envoi", "Administration"),
]
