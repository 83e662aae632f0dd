"""Schema creation and small numbered migration steps (playhouse.migrate).

Add a step as a function taking a `SchemaMigrator` and append it to STEPS:
the schema version is the number of steps applied.
"""
from playhouse.migrate import SchemaMigrator, migrate  # noqa: F401  (migrate used by steps)

from .base import db
from .settings import SchemaVersion



def _0001_create_one_time_token(migrator):
    """Emailed links (password reset, later activation and invitations) need their token table."""
    from .token import OneTimeToken
    db.create_tables([OneTimeToken], safe=True)


STEPS = [
    # def _0001_add_example(migrator): migrate(migrator.add_column("dossier", "x", CharField(default="")))
    _0001_create_one_time_token,
]
SCHEMA_VERSION = len(STEPS)


def create_schema():
    """Create every table (idempotent) and stamp the current version on a new database."""
    from . import MODELS

    with db.atomic():
        db.create_tables(MODELS, safe=True)
        if not SchemaVersion.select().exists():
            SchemaVersion.create(version=SCHEMA_VERSION)
    migrate_schema()


def migrate_schema():
    """Apply the steps the database has not seen yet; return how many ran."""
    row = SchemaVersion.select().first()
    current = row.version if row else 0
    migrator = SchemaMigrator.from_database(db.obj)
    ran = 0
    for index, step in enumerate(STEPS[current:], start=current + 1):
        with db.atomic():
            step(migrator)
            SchemaVersion.update(version=index).execute()
        ran += 1
    return ran
