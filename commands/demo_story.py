"""The calendar the demo is played on: steps run in date order, each dated when it happens.

The services date what they write from the wall clock; after each step, `Calendar.stamp` moves every
timestamp written since the load started to the step's moment (timestamps only, never a state or an
amount), so the audit log, the letters, the invoices and the payments read as the story's days.
"""
import datetime as dt
import functools
import heapq
import io
import itertools
from html import escape

from peewee import DateTimeField, PostgresqlDatabase
from xhtml2pdf import pisa

import models


class DemoStepFailed(RuntimeError):
    """A workflow refused a demo step: the demo data and the rules disagree (nothing is loaded)."""


@functools.lru_cache(maxsize=None)
def pdf_of(title, *lines):
    """A one-page PDF standing for a document the CFA would upload (its invoice, a certificate, a RIB)."""
    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    out = io.BytesIO()
    pisa.CreatePDF(src=f"<html><body><h1>{escape(title)}</h1>{body}</body></html>", dest=out, encoding="utf-8")
    return out.getvalue()


def moment(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute))


def wall_clock_updates():
    """One UPDATE per table moving every timestamp written since `started` to a given moment.

    Raw SQL built once: the load runs it after each of its few hundred steps.
    """
    param = models.db.param
    updates = []
    for model in models.MODELS:
        columns = [f.column_name for f in model._meta.sorted_fields
                   if isinstance(f, DateTimeField) and not f.name.startswith("expires")]
        if not columns:
            continue
        assignments = ", ".join(f'"{c}" = CASE WHEN "{c}" >= {param} THEN {param} ELSE "{c}" END' for c in columns)
        condition = " OR ".join(f'"{c}" >= {param}' for c in columns)
        updates.append((f'UPDATE "{model._meta.table_name}" SET {assignments} WHERE {condition}', len(columns)))
    return updates


class Calendar:
    """Steps `(moment, callable, args)` played in date order; a step returning False wrote nothing."""

    def __init__(self, today):
        self.today = today
        self.events = []
        self.sequence = itertools.count()  # same moment: first planned, first played
        self.started = dt.datetime.now().replace(microsecond=0) - dt.timedelta(seconds=1)
        self.updates = wall_clock_updates()
        self.one_round_trip = isinstance(models.db.obj, PostgresqlDatabase)

    def at(self, moment, step, *args):
        heapq.heappush(self.events, (moment, next(self.sequence), step, args))

    def run(self):
        while self.events:
            moment, _, step, args = heapq.heappop(self.events)
            if moment.date() > self.today:
                continue  # a step the calendar has not reached yet
            if step(moment, *args) is not False:
                self.stamp(moment)

    def stamp(self, moment):
        """Date what the step just wrote at the step's moment (the services write the wall-clock time)."""
        if self.one_round_trip:  # psycopg2 runs several statements in one call
            params = [p for _, columns in self.updates for p in self._stamp_params(moment, columns)]
            models.db.execute_sql("; ".join(sql for sql, _ in self.updates), params)
            return
        for sql, columns in self.updates:
            models.db.execute_sql(sql, self._stamp_params(moment, columns))

    def _stamp_params(self, moment, columns):
        return [self.started, moment] * columns + [self.started] * columns

    @staticmethod
    def check(outcome):
        """A workflow outcome (workflows.dossier_workflow) that must have succeeded."""
        if not outcome.ok:
            raise DemoStepFailed(outcome.line)
