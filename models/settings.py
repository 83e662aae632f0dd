"""The schema version the database is at (see models/migrations.py)."""
from peewee import IntegerField

from .base import BaseModel


class SchemaVersion(BaseModel):
    version = IntegerField()
