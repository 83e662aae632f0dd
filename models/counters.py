"""Dossier counters: how many dossiers per organisation × state × scheme × kind, kept with every change.

Dashboards read these few rows instead of a `COUNT(*)` over up to a million dossiers. The kind (stock,
"without contract") is a dimension because the scope's rights hide kinds of dossiers (access.scope), so a
user without the stock right never counts stock dossiers. Every write that creates a dossier or moves one of
these columns adjusts the counters in its own transaction with an UPSERT (`count = count + n`, never a read
then a write), so two concurrent changes add up and a rollback takes the adjustment away with the change.
The table is derived data: `flask --app app check` compares it with a fresh `COUNT(*)` and
`flask --app app rebuild-counters` rebuilds it.
"""
from collections import Counter as Tally

from peewee import EXCLUDED, BigIntegerField, BooleanField, CharField, IntegerField, fn

from .base import BaseModel, db, is_postgres

DIMENSIONS = ("organisation_id", "state", "scheme", "is_stock", "without_contract")


class DossierCounter(BaseModel):
    # A plain id, not a foreign key: a counter left at 0 must not keep an organisation from being deleted.
    organisation_id = IntegerField()
    state = CharField(max_length=16)
    scheme = CharField(max_length=24)
    is_stock = BooleanField()
    without_contract = BooleanField()
    count = BigIntegerField(default=0)

    class Meta:
        table_name = "dossier_counter"
        indexes = ((DIMENSIONS, True),)

    def __str__(self):
        return f"{self.organisation_id} / {self.state} / {self.scheme} : {self.count}"

    @staticmethod
    def key_of(dossier):
        """The counter a dossier (a model instance or its `__data__`-like dict) is counted in."""
        data = dossier if isinstance(dossier, dict) else dossier.__data__
        organisation = data["organisation"] if "organisation" in data else data["organisation_id"]
        organisation = getattr(organisation, "id", organisation)
        state = data.get("state")
        state = getattr(state, "value", state)
        return (int(organisation), str(state), str(data.get("scheme") or "apprentissage"),
                bool(data.get("is_stock")), bool(data.get("without_contract")))

    @classmethod
    def add(cls, deltas):
        """Add each {key: n} to its counter in one UPSERT (keys sorted, so concurrent writers lock in order)."""
        rows = [dict(zip(DIMENSIONS, key), count=n) for key, n in sorted(deltas.items()) if n]
        if not rows:
            return
        (cls.insert_many(rows)
         .on_conflict(conflict_target=[getattr(cls, name) for name in DIMENSIONS],
                      update={cls.count: cls.count + EXCLUDED.count})
         .execute())

    @classmethod
    def created(cls, *dossiers):
        """Count dossiers just inserted (instances or dicts)."""
        cls.add(Tally(cls.key_of(d) for d in dossiers))

    @classmethod
    def moved(cls, before, after):
        """A dossier whose counted columns went from `before` to `after` (instances, dicts or keys)."""
        before = before if isinstance(before, tuple) else cls.key_of(before)
        after = after if isinstance(after, tuple) else cls.key_of(after)
        if before != after:
            cls.add({before: -1, after: 1})

    @classmethod
    def fresh_counts(cls):
        """{key: n} counted now over the dossiers (what the counters must equal)."""
        from .dossier import Dossier

        columns = [Dossier.organisation, Dossier.state, Dossier.scheme, Dossier.is_stock, Dossier.without_contract]
        return {(int(o), s, sc, bool(st), bool(wc)): n for o, s, sc, st, wc, n in
                Dossier.select(*columns, fn.COUNT(Dossier.id)).group_by(*columns).tuples()}

    @classmethod
    def kept_counts(cls):
        """{key: n} as the counters hold them (rows at 0 left out)."""
        return {(o, s, sc, bool(st), bool(wc)): n for o, s, sc, st, wc, n in
                cls.select(*[getattr(cls, name) for name in DIMENSIONS], cls.count)
                .where(cls.count != 0).tuples()}

    @classmethod
    def rebuild(cls):
        """Recount every counter from the dossiers, in one transaction that holds dossier writes off."""
        with db.atomic():
            if is_postgres():
                db.execute_sql('LOCK TABLE "dossier" IN SHARE MODE')
            cls.delete().execute()
            db.execute_sql(backfill_sql())
        return cls.select(fn.COALESCE(fn.SUM(cls.count), 0)).scalar()


def backfill_sql():
    """One INSERT … SELECT … GROUP BY filling the counters from the dossiers (migration, rebuild)."""
    columns = ", ".join(DIMENSIONS)
    grouped = "organisation_id, state, scheme, is_stock, without_contract"
    return (f'INSERT INTO "dossier_counter" ({columns}, "count") '
            f'SELECT {grouped}, COUNT(*) FROM "dossier" GROUP BY {grouped}')
