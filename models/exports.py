"""Exports computed by the worker: who asked, for what, where it stands, and the stored file once ready.

A row is kept after its file is purged (7 days): the history of who exported what stays readable.
"""
from peewee import BigIntegerField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel, now
from .user import User

EXPORT_STATES = [("en_attente", "En attente"), ("en_cours", "En cours"), ("prete", "Prête"), ("echec", "Échec"),
                 ("expiree", "Expirée (fichier supprimé)")]
EXPORT_KINDS = [("dossiers", "Dossiers (CSV)")]


class ExportRequest(BaseModel):
    requested_by = ForeignKeyField(User, backref="export_requests", on_delete="RESTRICT")
    requested_at = DateTimeField(default=now)
    kind = CharField(max_length=20, choices=EXPORT_KINDS, default="dossiers")
    params = TextField(default="")  # the list's query string (search, filters, sort) the export honours
    description = CharField(max_length=500, default="")  # the same, in French, for « Mes exports »
    state = CharField(max_length=12, choices=EXPORT_STATES, default="en_attente")
    attempts = IntegerField(default=0)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    row_count = IntegerField(null=True)
    stored_name = CharField(max_length=80, null=True)
    size = BigIntegerField(null=True)
    sha256 = CharField(max_length=64, null=True)
    error = TextField(null=True)

    class Meta:
        table_name = "export_request"
        indexes = ((("requested_by", "requested_at"), False), (("state", "finished_at"), False))

    def get_state_display(self):
        return dict(EXPORT_STATES).get(self.state, self.state)

    def __str__(self):
        return f"Export {self.id}"
