"""The audit log: who changed what, when, with the before and after values."""
from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from .base import BaseModel, JSONField, now
from .user import User


class AuditEntry(BaseModel):
    user = ForeignKeyField(User, null=True, backref="audit_entries", on_delete="SET NULL")
    actor = CharField(max_length=254, default="")  # email kept even if the user is deleted
    at = DateTimeField(default=now, index=True)
    entity = CharField(max_length=40)
    entity_id = CharField(max_length=40)
    action = CharField(max_length=40)
    before = JSONField(null=True)
    after = JSONField(null=True)
    note = TextField(default="")

    class Meta:
        indexes = ((("entity", "entity_id"), False),)

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.actor} {self.action} {self.entity}#{self.entity_id}"
