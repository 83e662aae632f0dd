"""Back-office views of documents, letters, notifications and the audit log (read-only)."""
from flask_admin.contrib.peewee.filters import FilterEqual
from flask_admin.model.template import macro
from peewee import JOIN

from views.admin import audit_display

from models import AuditEntry, Document, Dossier, Letter, Notification, Organisation, User

from .base import ReadOnlyModelView


class DocumentView(ReadOnlyModelView):
    simple_list_pager = True  # one row per dossier or more: no COUNT(*) per page
    joined_models = (Organisation,)
    column_list = ["original_name", "doc_type", "organisation", "dossier", "size", "uploaded_by", "uploaded_at"]
    column_filters = ["doc_type", "uploaded_at", FilterEqual(Organisation.siret, "SIRET de l'organisme")]
    column_searchable_list = ["original_name", "sha256"]
    column_sortable_list = ["original_name", "doc_type", "size", "uploaded_at"]
    column_default_sort = ("uploaded_at", True)
    column_exclude_list = ["stored_name"]
    column_labels = {"original_name": "Nom du fichier", "doc_type": "Type", "organisation": "Organisme",
                     "dossier": "Dossier", "invoice": "Facture", "credit_note": "Avoir", "size": "Taille (octets)",
                     "sha256": "Empreinte SHA-256", "uploaded_by": "Déposé par", "uploaded_at": "Déposé le",
                     "content_type": "Type de contenu", "bank_details": "RIB", "stored_name": "Nom stocké"}

    def get_query(self):
        return (Document.select(Document, Organisation, Dossier, User)
                .join(Organisation).switch(Document)
                .join(Dossier, JOIN.LEFT_OUTER).switch(Document)
                .join(User, JOIN.LEFT_OUTER, on=(Document.uploaded_by == User.id)))


class LetterView(ReadOnlyModelView):
    simple_list_pager = True  # one row per dossier or more: no COUNT(*) per page
    joined_models = (Dossier,)
    column_list = ["title", "dossier", "issued_at", "created_by"]
    column_filters = ["kind", "issued_at", FilterEqual(Dossier.number, "N° de dossier")]
    column_sortable_list = ["title", "issued_at"]
    column_default_sort = ("issued_at", True)
    column_labels = {"title": "Courrier", "dossier": "Dossier", "issued_at": "Émis le", "created_by": "Émis par",
                     "kind": "Type", "sha256": "Empreinte SHA-256", "size": "Taille", "stored_name": "Nom stocké"}

    def get_query(self):
        return (Letter.select(Letter, Dossier, User).join(Dossier).switch(Letter)
                .join(User, JOIN.LEFT_OUTER, on=(Letter.created_by == User.id)))


class NotificationView(ReadOnlyModelView):
    simple_list_pager = True  # one row per dossier or more: no COUNT(*) per page
    joined_models = (Organisation,)
    column_list = ["organisation", "dossier", "message", "created_at", "read_at"]
    column_filters = ["category", "created_at", FilterEqual(Organisation.siret, "SIRET de l'organisme")]
    column_sortable_list = ["created_at", "read_at"]
    column_default_sort = ("created_at", True)
    column_labels = {"organisation": "Organisme", "dossier": "Dossier", "message": "Message",
                     "created_at": "Créée le", "read_at": "Lue le", "category": "Catégorie", "user": "Utilisateur"}

    def get_query(self):
        return (Notification.select(Notification, Organisation, Dossier).join(Organisation).switch(Notification)
                .join(Dossier, JOIN.LEFT_OUTER))


def _field_labels(view, entity):
    """The French column labels the back office gives the entity's fields (every view of its model)."""
    model = audit_display.model_of(entity)
    labels = {}
    for other in view.admin._views:
        if model is not None and getattr(other, "model", None) is model:
            labels.update({name: str(text) for name, text in (other.column_labels or {}).items()})
    return labels


def _changes_text(view, context, entry, name):
    return audit_display.changes_text(entry.entity, entry.before, entry.after, _field_labels(view, entry.entity))


def _entity(view, context, entry, name):
    return audit_display.entity_label(entry.entity)


def _action(view, context, entry, name):
    return audit_display.action_label(entry.action, entry.entity)


class AuditEntryView(ReadOnlyModelView):
    """Who, when, what: the record and the action by their French names, the changes as « before → after »."""

    list_template = "admin/audit_list.html"
    details_template = "admin/audit_details.html"
    simple_list_pager = True
    column_list = ["at", "actor", "entity", "entity_id", "action", "changes", "note"]
    column_details_list = column_list
    column_export_list = column_list
    column_filters = ["entity", "action", "actor", "at", "entity_id"]
    column_searchable_list = ["actor", "entity_id"]
    column_sortable_list = ["at", "actor", "entity", "action"]
    column_default_sort = ("id", True)
    column_formatters = {"entity": _entity, "action": _action, "changes": macro("render_changes")}
    column_formatters_export = {"entity": _entity, "action": _action, "changes": _changes_text}
    column_labels = {"at": "Date", "actor": "Auteur", "entity": "Objet", "entity_id": "Identifiant",
                     "action": "Action", "changes": "Modifications (avant → après)", "before": "Avant",
                     "after": "Après", "note": "Note", "user": "Utilisateur"}

    def changes_of(self, entry):
        return audit_display.changes(entry.entity, entry.before, entry.after, _field_labels(self, entry.entity))


VIEWS = [
    (DocumentView, Document, "Pièces jointes", "Documents"),
    (LetterView, Letter, "Courriers", "Documents"),
    (NotificationView, Notification, "Notifications", "Documents"),
    (AuditEntryView, AuditEntry, "Journal d'audit", "Administration"),
]
