"""Schema version and OPCO settings editable by an administrator."""
from peewee import CharField, IntegerField, TextField

from .base import BaseModel


class SchemaVersion(BaseModel):
    version = IntegerField()


class Setting(BaseModel):
    key = CharField(max_length=60, primary_key=True)
    value = TextField(default="")
    label = CharField(max_length=200, default="")
