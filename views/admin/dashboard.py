"""Staff dashboard at /admin/: what needs attention today (SPEC §6).

Each figure links to the back-office list filtered the same way; the filter
argument is looked up on the target view so the link stays right if its
filters are reordered.
"""
import datetime as dt

from flask import current_app, url_for
from flask_admin import expose
from flask_admin.contrib.peewee.filters import FilterEqual
from peewee import fn

from models import BankDetails, CreditNote, Dossier, DossierCounter, Employer, Invoice, Organisation

from .base import StaffIndexView
from infrastructure import clock
from models.states import BankDetailsStatus, CreditNoteState, DossierState, InvoiceState, OrganisationStatus

DECISION_DAYS = 20
# A file awaiting documents is not complete: its clock is stopped (the workflow restarts it on resumption).
DECISION_CLOCK_STATES = DossierState.values(DossierState.RECEIVED, DossierState.IN_INSTRUCTION)
WAITING_INVOICE_STATES = InvoiceState.values(InvoiceState.PROCESSING, InvoiceState.ON_HOLD)
SETTLED_CREDIT_NOTE_STATES = CreditNoteState.values(CreditNoteState.DEDUCTED, CreditNoteState.REFUNDED)
LIST_LIMIT = 20
LATE_COUNT_CAP = 1000  # late dossiers are counted up to this many, then shown "1000+"


def filtered_list_url(endpoint, column, value):
    """URL of `endpoint`'s list filtered on `column` == `value` (the plain list if no such filter)."""
    view = _view(endpoint)
    if view is not None:
        for index, flt in enumerate(view._filters or []):
            if type(flt) is FilterEqual and getattr(flt, "column", None) is column:
                return url_for(f"{endpoint}.index_view", **{f"flt0_{view.get_filter_arg(index, flt)}": value})
    return url_for(f"{endpoint}.index_view")


def _view(endpoint):
    admin = current_app.extensions.get("portail_admin")
    for view in getattr(admin, "_views", []):
        if getattr(view, "endpoint", None) == endpoint:
            return view
    return None


def overdue_refunds_query(today):
    """Refund-mode credit notes past their due date and not settled, or already marked late."""
    return CreditNote.select().where(
        (CreditNote.state == CreditNoteState.OVERDUE)
        | ((CreditNote.settlement_mode == "refund") & (CreditNote.due_date < today)
           & CreditNote.state.not_in(SETTLED_CREDIT_NOTE_STATES)))


class DashboardView(StaffIndexView):
    @expose("/")
    def index(self):
        today = clock.today()
        # The counters kept with every change (models/counters.py): a few rows, not a count of every dossier.
        counts = {state: int(n or 0) for state, n in DossierCounter.select(
            DossierCounter.state, fn.SUM(DossierCounter.count)).group_by(DossierCounter.state).tuples()}
        states = [(label, counts.get(code, 0), filtered_list_url("dossier", Dossier.state, code))
                  for code, label in Dossier.state.choices]

        limit_date = today - dt.timedelta(days=DECISION_DAYS)
        # Counted state by state along the (state, complete_date) index (the order makes PostgreSQL take it: it
        # otherwise reads the table hoping to meet the cap early, 1 s at 1M when a state has none).
        late_count = 0
        for state in DECISION_CLOCK_STATES:
            late_count += len((Dossier.select(Dossier.id)  # count() would drop the order
                               .where((Dossier.state == state) & (Dossier.complete_date < limit_date))
                               .order_by(Dossier.complete_date).limit(LATE_COUNT_CAP + 1).tuples()))
        # One (state, complete_date) index range per state, each already in order, merged here: with
        # `state IN (…) ORDER BY complete_date` the database sorts every late dossier.
        late = sorted((row for state in DECISION_CLOCK_STATES for row in (
            Dossier.select(Dossier, Organisation, Employer)
            .join(Organisation, on=(Dossier.organisation == Organisation.id))
            .switch(Dossier).join(Employer, on=(Dossier.employer == Employer.id))
            .where((Dossier.state == state) & (Dossier.complete_date < limit_date))
            .order_by(Dossier.complete_date, Dossier.id).limit(LIST_LIMIT))),
            key=lambda d: (d.complete_date, d.id))[:LIST_LIMIT]

        # Counted up to the cap on the state index, then "1000+": a back office with 350k invoices counts no more.
        invoice_labels = dict(Invoice.state.choices)
        invoices = []
        for code in WAITING_INVOICE_STATES:
            count = Invoice.select(Invoice.id).where(Invoice.state == code).limit(LATE_COUNT_CAP + 1).count()
            shown = f"{LATE_COUNT_CAP}+" if count > LATE_COUNT_CAP else count
            invoices.append((invoice_labels[code], shown, filtered_list_url("invoice", Invoice.state, code)))

        bank_pending = BankDetails.select().where(BankDetails.status == BankDetailsStatus.PENDING).count()
        bank_url = filtered_list_url("bankdetails", BankDetails.status, BankDetailsStatus.PENDING.value)

        registrations_pending = Organisation.select().where(
            Organisation.status == OrganisationStatus.PENDING).count()
        registrations_url = filtered_list_url("organisation", Organisation.status, OrganisationStatus.PENDING.value)

        refunds_count = overdue_refunds_query(today).count()
        refunds = list(overdue_refunds_query(today).select(CreditNote, Organisation).join(Organisation)
                       .order_by(CreditNote.due_date).limit(LIST_LIMIT))
        return self.render("admin/dashboard.html", states=states, late=late,
                           late_count=min(late_count, LATE_COUNT_CAP), late_more=late_count > LATE_COUNT_CAP,
                           decision_days=DECISION_DAYS, today=today, invoices=invoices, bank_pending=bank_pending,
                           bank_url=bank_url, refunds=refunds, refunds_count=refunds_count,
                           registrations_pending=registrations_pending, registrations_url=registrations_url)
