"""Expired dossiers (*dossiers échus à traiter*, seed 002, SPEC §5) and their three settlements.

The listing filters in SQL first (engaged dossiers of the scope whose contract end or rupture date is
at least about two months old), then applies rules.is_expired to each candidate with figures taken
from a fixed number of aggregated queries (never one query per dossier).
"""
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from peewee import SQL, Case, fn

import rules
from rules.money import from_cents
from models import CreditNote, Dossier, ExpiredSettlement, Installment, Invoice, InvoiceLine
from models.states import DossierState, InstallmentStatus, InvoiceState
from workflows import audit
from workflows.state_machines import DOSSIER
from workflows.transitions import TransitionRefused, apply
from workflows.dossier_rules import ACTIVE_INVOICE_STATES, contract_from_dossier
from workflows.installments import refresh_due_dates
from infrastructure.formatting import date_fr, montant
from infrastructure import clock

IN_PROCESS = InvoiceState.values(InvoiceState.PROCESSING, InvoiceState.ON_HOLD)
# add_months clamps month ends (31/12 + 2 months = 28/02): the SQL bound is loosened by a few days
# and rules.is_expired decides exactly.
SQL_SLACK_DAYS = 3
LIST_LIMIT = 1000
BATCH_SIZE = 500


class ExpiredError(ValueError):
    """A settlement refused for a reason the user can fix (French message)."""


@dataclass
class ExpiredRow:
    dossier: Dossier
    billing_end: dt.date
    remaining: Decimal
    certificate_missing: bool
    reasons: list = field(default_factory=list)
    final_deadline: dt.date | None = None
    final_lost: bool = False
    days_left: int | None = None
    to_release: Decimal = Decimal("0.00")  # open installments a final-balance declaration cancels


def candidates(query, today, by_id=False):
    """Engaged dossiers whose billing period may have ended two months ago (SQL only), oldest end first;
    `by_id`: in id order, which the (organisation, state) index gives without sorting (for a count)."""
    bound = rules.add_months(today, -rules.expired.EXPIRY_MONTHS) + dt.timedelta(days=SQL_SLACK_DAYS)
    end = fn.COALESCE(Dossier.rupture_date, Dossier.contract_end)
    query = query.where((Dossier.state == DossierState.ENGAGED) & (end <= bound))
    return query.order_by(Dossier.id) if by_id else query.order_by(end, Dossier.id)


def _cents_map(query):
    return {row[0]: from_cents(row[1] or 0) for row in query.tuples()}


def expired_rows(query, today=None, limit=LIST_LIMIT, by_id=False, batch=BATCH_SIZE):
    """The expired dossiers among `query` (a scoped Dossier select), with their reasons and deadline clock.

    Candidates are read in batches (a fixed number of queries per batch, whatever its size) until
    `limit` expired dossiers are found; `by_id` reads them in id order (a count that needs no order); `batch`:
    how many candidates a batch reads (a small count wants small batches).
    """
    today = today or clock.today()
    rows, page = [], 1
    while len(rows) < limit:
        found = list(candidates(query, today, by_id).paginate(page, batch))
        rows.extend(_evaluate(found, today))
        if len(found) < batch:
            break
        page += 1
    return rows[:limit]


def count_expired(query, today=None, limit=LIST_LIMIT, batch=BATCH_SIZE):
    """How many of `query`'s dossiers are expired, counting no further than `limit` (the dashboard's figure).

    The same decision as expired_rows (rules.is_expired over the same figures), without what only the list
    shows: one query per batch reads each candidate's figures as correlated subqueries (the amounts only for
    the dossiers whose completion certificate is there: without it, a dossier out of invoicing is expired
    whatever remains).
    """
    today = today or clock.today()
    found, page = 0, 1
    while found < limit:
        rows = list(candidates(query.select(*_count_columns()), today, by_id=True).paginate(page, batch).tuples())
        for dossier_id, rupture_date, contract_end, certificate, committed, last_period, in_process, invoiced, \
                credited in rows:
            billing_end = last_period or rupture_date or contract_end
            if isinstance(billing_end, str):
                billing_end = dt.date.fromisoformat(billing_end)
            remaining = Decimal("0.00")
            if certificate:
                remaining = rules.running_balance((), today, invoiced=from_cents(invoiced or 0),
                                                  credited=from_cents(credited or 0),
                                                  committed=from_cents(committed or 0)).remaining
            found += rules.is_expired(billing_end, today, bool(in_process), remaining, bool(certificate))
        if len(rows) < batch:
            break
        page += 1
    return min(found, limit)


def _count_columns():
    """A candidate's id, dates, certificate, then its schedule total and end, whether an invoice of it is being
    processed, and (certificate there) what was invoiced on teaching and credited: the _evaluate figures."""
    live = (Installment.dossier == Dossier.id) & (Installment.status != InstallmentStatus.CANCELLED)
    # Scalar subqueries stopped at their first row rather than EXISTS: PostgreSQL hashes an EXISTS under a CASE
    # over every invoice being processed (100k rows read for a 100-dossier batch).
    own = Invoice.select(SQL("1")).where((Invoice.dossier == Dossier.id) & Invoice.state.in_(IN_PROCESS)).limit(1)
    Lined = Invoice.alias()
    lined = (InvoiceLine.select(SQL("1")).join(Lined, on=(InvoiceLine.invoice == Lined.id))
             .where((InvoiceLine.dossier == Dossier.id) & Lined.state.in_(IN_PROCESS)).limit(1))
    Active = Invoice.alias()
    invoiced = (InvoiceLine.select(fn.SUM(InvoiceLine.amount)).join(Active, on=(InvoiceLine.invoice == Active.id))
                .where((InvoiceLine.dossier == Dossier.id) & Active.state.in_(ACTIVE_INVOICE_STATES)
                       & InvoiceLine.nature.in_(("teaching", "uplift"))))
    credited = CreditNote.select(fn.SUM(CreditNote.amount)).where(CreditNote.dossier == Dossier.id)
    certified = Dossier.completion_certificate == True  # noqa: E712 (SQL)
    return (Dossier.id, Dossier.rupture_date, Dossier.contract_end, Dossier.completion_certificate,
            Installment.select(fn.SUM(Installment.amount)).where(live),
            Installment.select(fn.MAX(Installment.period_end)).where(live),
            fn.COALESCE(own, lined, 0),
            Case(None, [(certified, invoiced)], None),
            Case(None, [(certified, credited)], None))


def _in_process(ids):
    """Ids among `ids` with an invoice being processed or on hold (their own, or through a line)."""
    found = {row[0] for row in Invoice.select(Invoice.dossier).where(
        Invoice.dossier.in_(ids) & Invoice.state.in_(IN_PROCESS)).tuples()}
    found |= {row[0] for row in InvoiceLine.select(InvoiceLine.dossier).join(Invoice).where(
        InvoiceLine.dossier.in_(ids) & Invoice.state.in_(IN_PROCESS)).tuples()}
    return found


def _invoiced_and_credited(ids):
    invoiced = _cents_map(InvoiceLine.select(InvoiceLine.dossier, fn.SUM(InvoiceLine.amount)).join(Invoice)
                          .where(InvoiceLine.dossier.in_(ids) & Invoice.state.in_(ACTIVE_INVOICE_STATES)
                                 & InvoiceLine.nature.in_(("teaching", "uplift")))
                          .group_by(InvoiceLine.dossier))
    credited = _cents_map(CreditNote.select(CreditNote.dossier, fn.SUM(CreditNote.amount))
                          .where(CreditNote.dossier.in_(ids)).group_by(CreditNote.dossier))
    return invoiced, credited


def _evaluate(dossiers, today):
    """rules.is_expired over one batch of candidates, with aggregated figures (seven queries)."""
    if not dossiers:
        return []
    ids = [d.id for d in dossiers]
    live = Installment.status != InstallmentStatus.CANCELLED
    schedule = {row[0]: (from_cents(row[1] or 0), row[2]) for row in (
        Installment.select(Installment.dossier, fn.SUM(Installment.amount), fn.MAX(Installment.period_end))
        .where(Installment.dossier.in_(ids) & live).group_by(Installment.dossier).tuples())}
    open_amounts = _cents_map(Installment.select(Installment.dossier, fn.SUM(Installment.amount))
                              .where(Installment.dossier.in_(ids) & (Installment.status == InstallmentStatus.TO_INVOICE))
                              .group_by(Installment.dossier))
    open_final = {row[0] for row in Installment.select(Installment.dossier).where(
        Installment.dossier.in_(ids) & (Installment.kind == "final") & (Installment.status == InstallmentStatus.TO_INVOICE)).tuples()}
    invoiced, credited = _invoiced_and_credited(ids)
    in_process = _in_process(ids)

    rows = []
    for dossier in dossiers:
        committed, last_period = schedule.get(dossier.id, (Decimal("0.00"), None))
        billing_end = last_period or dossier.rupture_date or dossier.contract_end
        balance = rules.running_balance((), today, invoiced=invoiced.get(dossier.id, 0),
                                        credited=credited.get(dossier.id, 0), committed=committed)
        certificate = bool(dossier.completion_certificate)
        if not rules.is_expired(billing_end, today, dossier.id in in_process, balance.remaining, certificate):
            continue
        row = ExpiredRow(dossier, billing_end, balance.remaining, not certificate,
                         to_release=open_amounts.get(dossier.id, Decimal("0.00")))
        if balance.remaining > 0:
            row.reasons.append(f"Reste à facturer : {montant(balance.remaining)}")
        if not certificate:
            row.reasons.append("Certificat de réalisation manquant")
        contract = contract_from_dossier(dossier)
        row.final_deadline = rules.final_installment_deadline(contract)
        if row.final_deadline is not None and dossier.id in open_final:
            row.final_lost = rules.is_final_installment_lost(contract, today)
            row.days_left = (row.final_deadline - today).days
        rows.append(row)
    return rows


def expired_row(dossier, today=None):
    """The expired-list row of one dossier, or None when it is not (or no longer) expired."""
    found = expired_rows(Dossier.select().where(Dossier.id == dossier.id), today, limit=1)
    return found[0] if found else None


def _require_expired(dossier, today):
    row = expired_row(dossier, today)
    if row is None:
        raise ExpiredError(f"Le dossier {dossier.number} ne fait pas partie des dossiers échus à traiter.")
    return row


def declare_certificate(dossier, file_storage, user=None, today=None):
    """Store the completion certificate and record the declaration (one transaction)."""
    from workflows.documents import read_pdf_upload, save_document
    from infrastructure.numbering import immediate_transaction

    if dossier.completion_certificate:
        raise ExpiredError("Le certificat de réalisation de ce dossier est déjà déclaré.")
    _require_expired(dossier, today)
    name, data = read_pdf_upload(file_storage, label="Le certificat de réalisation (PDF)")
    with immediate_transaction():
        dossier = Dossier.get_by_id(dossier.id)
        before = audit.snapshot(dossier)
        save_document(name, data, dossier.organisation_id, "certificat", dossier=dossier.id, user=user)
        dossier.completion_certificate = True
        dossier.updated_at = dt.datetime.now()
        dossier.save()
        settlement = ExpiredSettlement.create(dossier=dossier.id, kind="certificate", amount_released=0,
                                              note=name, declared_by=user.id if user else None)
        audit.record("dossier", dossier.id, "declare_certificate", before, dossier, user=user)
        audit.record("expired_settlement", settlement.id, "create", None, settlement, user=user)
    return settlement


def declare_final_balance(dossier, user=None, today=None):
    """Release what is left of the commitment: open installments cancelled, dossier → soldé."""
    from infrastructure.numbering import immediate_transaction

    today = today or clock.today()
    with immediate_transaction():
        dossier = Dossier.get_by_id(dossier.id)
        _require_expired(dossier, today)
        open_rows = list(Installment.select().where((Installment.dossier == dossier.id)
                                                    & (Installment.status == InstallmentStatus.TO_INVOICE)))
        released = sum((Decimal(r.amount) for r in open_rows), Decimal("0.00"))
        done = {}

        def then(dossier):
            if open_rows:
                (Installment.update(status=InstallmentStatus.CANCELLED)
                 .where(Installment.id.in_([r.id for r in open_rows])).execute())
                refresh_due_dates([dossier.id])
            done["settlement"] = ExpiredSettlement.create(
                dossier=dossier.id, kind="final_balance", amount_released=released,
                note=f"{len(open_rows)} échéance(s) libérée(s)", declared_by=user.id if user else None)
            audit.record("expired_settlement", done["settlement"].id, "create", None, done["settlement"], user=user)
            return f"engagement libéré : {montant(released)}"

        try:
            apply(DOSSIER, "declarer_solde", dossier, user, changes={"closing_date": today}, within=then,
                  notice=f"Solde définitif du dossier {dossier.number} déclaré le {date_fr(today)} : "
                         f"{montant(released)} d'engagement libéré.")
        except TransitionRefused as exc:
            raise ExpiredError(f"Déclaration refusée : {exc}.") from None
    return done["settlement"]


def history(query, limit=50):
    """Declarations on the dossiers of `query` (a scoped Dossier select of ids), newest first."""
    return list(ExpiredSettlement.select(ExpiredSettlement, Dossier).join(Dossier)
                .where(ExpiredSettlement.dossier.in_(query))
                .order_by(ExpiredSettlement.declared_at.desc(), ExpiredSettlement.id.desc()).limit(limit))
