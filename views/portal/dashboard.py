"""Portal home: counters by state and scheme, contracts chart, actions à mener; the organisation picker."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from peewee import fn

from access import scope as scoped
from access.permissions import can
from access.web import (cfa_required, current_membership, current_scope, portal_login_required,
                        set_current_organisation)
from models import CreditNote, Dossier, DossierCounter, Invoice
from models.dossier import DOSSIER_STATES, SCHEMES
from models.states import DossierState, InvoiceState
from workflows.credit_notes import OPEN_STATES
from workflows.expired import count_expired
from views.portal import bp
from infrastructure import clock


DASHBOARD_EXPIRED_LIMIT = 100  # the dashboard shows "100+" rather than evaluating every old dossier
ACTIONS_CAP = 100  # the other actions à mener count up to this many, then show "100+"
INVOICE_CAP = 1000  # invoices counted up to this many, then shown "1000+"


@bp.route("/")
@portal_login_required
def dashboard():
    if current_user.kind == "employer":
        from views.portal.employer import employer_home
        return employer_home()
    if current_membership() is None:
        return render_template("portal/no_organisation.html"), 403
    scope = current_scope()
    by_state, by_scheme, grid = dossier_figures(scope)
    states = [(code, label, by_state.get(code, 0)) for code, label in DOSSIER_STATES]
    schemes = [(code, label, by_scheme.get(code, 0)) for code, label in SCHEMES]
    invoices = invoice_figures(scope) if can(scope, "dossier.bill") else None
    return render_template("portal/dashboard.html", states=states, schemes=schemes, grid=grid,
                           total=sum(by_state.values()), invoices=invoices, chart=_chart(states),
                           actions=_actions(by_state, invoices))


def dossier_figures(scope):
    """({state: n}, {scheme: n}, {(state, scheme): n}) of the dossiers the scope shows, read from the counters
    (models/counters.py) with the scope's organisations and rights: a few rows, whatever the number of dossiers."""
    rows = scoped.dossier_counters(scope, DossierCounter.select(
        DossierCounter.state, DossierCounter.scheme, fn.SUM(DossierCounter.count))
        .group_by(DossierCounter.state, DossierCounter.scheme)).tuples()
    by_state, by_scheme, grid = {}, {}, {}
    for state, scheme, count in rows:
        count = int(count or 0)
        by_state[state] = by_state.get(state, 0) + count
        by_scheme[scheme] = by_scheme.get(scheme, 0) + count
        grid[(state, scheme)] = grid.get((state, scheme), 0) + count
    return by_state, by_scheme, grid


INVOICE_COUNTERS = (InvoiceState.ON_HOLD, InvoiceState.PROCESSING)  # seed 004 *Mes factures*


def invoice_figures(scope):
    """*Mes factures* (seed 004): the scope's invoices on hold and being processed, each counted on the
    (organisation, state) index up to INVOICE_CAP, then shown « 1000+ » (as the back office's dashboard)."""
    figures = []
    for state in INVOICE_COUNTERS:
        count = capped_count(scoped.invoices(scope, Invoice.select(Invoice.id)).where(Invoice.state == state),
                             cap=INVOICE_CAP)
        figures.append({"state": state.value, "label": state.label, "count": min(count, INVOICE_CAP),
                        "more": count > INVOICE_CAP, "url": url_for("portal.invoices", state=state.value)})
    return figures


def capped_count(query, cap=ACTIONS_CAP):
    """How many rows `query` has, counting no further than `cap` + 1 (more than `cap` is shown "100+"): an
    indexed query stopped early instead of a full count."""
    return query.limit(cap + 1).count()


def _actions(by_state, invoices):
    """The *actions à mener* (seed 002): what is waiting on the CFA, each linking to its list. Each figure past
    the counters is counted up to ACTIONS_CAP and then shown "100+"; invoices on hold come from `invoices`
    (invoice_figures, counted once for the page)."""
    scope, today = current_scope(), clock.today()
    actions = [{"label": "Dossiers en attente de pièces", "count": by_state.get(DossierState.AWAITING_DOCUMENTS, 0),
                "url": url_for("portal.dossiers", state=DossierState.AWAITING_DOCUMENTS.value)}]
    if invoices is not None:
        waiting = next(figure for figure in invoices if figure["state"] == InvoiceState.ON_HOLD)
        actions.append({**waiting, "label": "Factures en attente de mise en conformité"})
        to_invoice = capped_count(scoped.dossiers(scope, Dossier.select(Dossier.id))
                                  .where((Dossier.state == DossierState.ENGAGED)
                                         & (Dossier.next_billable_from <= today)))
        actions.append(_capped("Dossiers avec une échéance à facturer", to_invoice,
                               url_for("portal.dossiers", a_facturer=1)))
        refunds = capped_count(scoped.credit_notes(scope, CreditNote.select(CreditNote.id))
                               .where((CreditNote.settlement_mode == "refund") & CreditNote.state.in_(OPEN_STATES)))
        actions.append(_capped("Remboursements d'avoirs à effectuer", refunds, url_for("portal.credit_notes")))
        expired = 0  # each organisation on its own (organisation, state, id) range: no sort of both together
        for organisation_id in scoped.organisation_ids(scope):
            expired += count_expired(scoped.dossiers(scope, organisation_id=organisation_id), today,
                                     limit=DASHBOARD_EXPIRED_LIMIT - expired, batch=DASHBOARD_EXPIRED_LIMIT)
            if expired >= DASHBOARD_EXPIRED_LIMIT:
                break
        actions.append({"label": "Dossiers échus à traiter", "count": expired,
                        "more": expired >= DASHBOARD_EXPIRED_LIMIT, "url": url_for("portal.expired")})
    return actions


def _capped(label, count, url):
    return {"label": label, "count": min(count, ACTIONS_CAP), "more": count > ACTIONS_CAP, "url": url}


def _chart(states, width=560, bar_height=22, gap=8, label_width=170):
    """Geometry of the server-rendered SVG bar chart of contracts by state (no JavaScript, no CDN)."""
    top = max((count for _, _, count in states), default=0) or 1
    usable = width - label_width - 60
    bars = []
    for i, (code, label, count) in enumerate(states):
        y = i * (bar_height + gap)
        bars.append({"code": code, "label": label, "count": count, "y": y,
                     "w": round(usable * count / top) if count else 0})
    return {"width": width, "height": len(states) * (bar_height + gap), "bar_height": bar_height,
            "label_width": label_width, "bars": bars}


@bp.route("/organisation/<siret>", methods=["POST"])
@cfa_required
def switch_organisation(siret):
    """Header picker: work for another of the user's organisations (never one they don't belong to)."""
    organisation = set_current_organisation(siret)
    flash(f"Vous travaillez maintenant pour {organisation.name}.", "info")
    target = request.form.get("next") or ""
    if not target.startswith("/portail") or target.startswith("//"):
        target = url_for("portal.dashboard")
    return redirect(target)
