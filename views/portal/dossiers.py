"""Dossiers of the current organisation's scope: searchable list with exports, and the dossier page."""
import datetime as dt

import operator
from functools import reduce
from types import SimpleNamespace
from urllib.parse import parse_qsl

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from peewee import JOIN, SQL, Select, Tuple, fn

from access import scope as scoped
from access.permissions import can
from access.web import cfa_required, current_organisation, current_scope, get_dossier_or_404
from models import (Apprentice, ContractProposal, Document, Dossier, DossierCounter, Employer, Letter,
                    Organisation, Payment, PaymentLine, db)
from models.documents import DOCUMENT_TYPES
from models.billing import INVOICE_KINDS, INVOICE_STATES, LINE_NATURES
from models.dossier import DOSSIER_STATES, INSTALLMENT_STATUSES, REGIMES, SCHEMES
from models.states import DossierState
from rules import mask_nir
from rules.double_funding import name_key
from infrastructure import sql_format
from workflows.amendments import dossier_requests
from workflows.account import set_list_columns
from workflows.dossier_rules import (dossier_balance, dossier_engagement, dossier_financing, dossier_invoices,
                                     financing_agreement, paid_by_dossier, stored_installments)
from workflows.documents import log_download
from workflows.proposals import deposit_key
from infrastructure.exports import csv_response, streamed_batches, streamed_rows, xlsx_response
from views.downloads import signed_in_user
from views.portal import bp
from infrastructure import clock

PER_PAGE_CHOICES = (20, 50, 100)
MAX_PAGE = 50_000
# sort key → column; only columns with an (organisation, column, id) index (models.Dossier.Meta), and every
# sort ends on the id so keyset pages never overlap
SORTS = {
    "numero": Dossier.number,
    "apprenti": Dossier.apprentice_name_key,
    "dispositif": Dossier.scheme,
    "etat": Dossier.state,
    "debut": Dossier.contract_start,
    "fin": Dossier.contract_end,
    "budget": Dossier.total_financed,
}
# The list's optional columns (seed 001 *Consulter les actions*, seed 004 *Visualisation des dossiers*):
# (key, header, shown by default, sort key). The dossier number is always shown; "cfa" is shown by default only
# when the list mixes organisations (approved delegations). Each user's choice is kept (User.list_columns).
LIST_CHOICES = (
    ("apprenti", "Apprenti", True, "apprenti"),
    ("cfa", "CFA bénéficiaire", True, None),
    ("employeur", "Employeur", False, None),
    ("formation", "Intitulé de la formation", True, None),
    ("deca", "N° DECA", False, None),
    ("dispositif", "Dispositif", False, "dispositif"),
    ("regime", "Régime", False, None),
    ("etat", "État", True, "etat"),
    ("debut", "Début", True, "debut"),
    ("fin", "Fin", True, "fin"),
    ("budget", "Budget alternance total", True, None),
    # sorted on the financed teaching cost before the employer share: the indexed column closest to it
    ("pedagogique", "Frais pédagogiques pris en charge", True, "budget"),
    ("annexes", "Frais annexes pris en charge", True, None),
    ("remboursements", "Total des remboursements", True, None),
)
CHOICE_KEYS = tuple(key for key, _, _, _ in LIST_CHOICES)
AMOUNT_COLUMNS = frozenset({"budget", "pedagogique", "annexes", "remboursements"})
COUNT_CAP = 1000  # past it the list says « plus de 1 000 » rather than counting every match
LIST_ARGS = ("apprenti", "numero", "deca", "state", "scheme", "regime", "year", "a_facturer", "sort", "dir",
             "per_page")
UPLOAD_TYPES = [(code, label) for code, label in DOCUMENT_TYPES if code in
                ("convention", "cerfa", "certificat", "facture", "autre")]


def _filters():
    """The list's filters read from the query string, each validated (a bad value is simply ignored)."""
    args = request.args
    f = {
        "apprenti": args.get("apprenti", "").strip()[:100],
        "numero": args.get("numero", "").strip()[:20],
        "deca": args.get("deca", "").strip()[:30],
        "state": args.get("state", "") if args.get("state") in dict(DOSSIER_STATES) else "",
        "scheme": args.get("scheme", "") if args.get("scheme") in dict(SCHEMES) else "",
        "regime": args.get("regime", "") if args.get("regime") in dict(REGIMES) else "",
        "year": "",
        "a_facturer": "1" if args.get("a_facturer") == "1" else "",
    }
    year = args.get("year", "")
    if year.isdigit() and 1990 <= int(year) <= 2100:
        f["year"] = year
    return f


def _sort():
    key = request.args.get("sort", "")
    key = key if key in SORTS else ""
    direction = "asc" if request.args.get("dir") == "asc" else "desc"
    return key, direction


def filtered_query(query, f, name_range=None):
    """Apply the list filters to a dossier query already scoped by access.scope.dossiers; `name_range`: one of
    `name_ranges(f)` instead of all of them (the list reads each range on its own index)."""
    if name_range is not None:
        query = query.where(name_range)
    elif f["apprenti"]:
        query = query.where(reduce(operator.or_, name_ranges(f["apprenti"])))
    if f["numero"]:
        query = query.where(_prefix(Dossier.number, f["numero"]))
    if f["deca"]:
        query = query.where(Dossier.deca_number == f["deca"])
    if f["state"]:
        query = query.where(Dossier.state == f["state"])
    if f["scheme"]:
        query = query.where(Dossier.scheme == f["scheme"])
    if f["regime"]:
        query = query.where(Dossier.regime == f["regime"])
    if f["year"]:
        y = int(f["year"])
        query = query.where((Dossier.contract_start >= dt.date(y, 1, 1)) & (Dossier.contract_start <= dt.date(y, 12, 31)))
    if f["a_facturer"]:  # an installment to invoice is due: the kept earliest date (workflows.installments)
        query = query.where((Dossier.state == DossierState.ENGAGED) & (Dossier.next_billable_from <= clock.today()))
    return query


def _prefix(column, prefix):
    """`column` starts with `prefix`, as an index range (LIKE is case-insensitive on SQLite: no index)."""
    return (column >= prefix) & (column < prefix[:-1] + chr(ord(prefix[-1]) + 1))


def name_ranges(text):
    """Accent- and case-insensitive prefix of the apprentice's name ("dup", "Dupont Lé"), typed in either
    order ("Léa Dupont"): one or two disjoint ranges of the normalised name's index. Nothing matches a term
    without letters or digits."""
    key = name_key(text)
    if not key:
        return [Dossier.id == -1]
    first, _, rest = key.partition(" ")
    keys = [key] if not rest or f"{rest} {first}" == key else [key, f"{rest} {first}"]  # "lea dupont", "dupont lea"
    return [_prefix(Dossier.apprentice_name_key, k) for k in keys]


def _ordered(query, sort_key, direction):
    if not sort_key:
        return query.order_by(Dossier.id.desc())
    column = SORTS[sort_key]
    if direction == "asc":
        return query.order_by(column.asc(), Dossier.id.asc())
    return query.order_by(column.desc(), Dossier.id.desc())


def _int_arg(name, default, low, high):
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return value if low <= value <= high else default


LIST_COLUMNS = (Dossier.id, Dossier.number, Dossier.deca_number, Dossier.apprentice_name, Dossier.apprentice_name_key,
                Dossier.scheme, Dossier.regime, Dossier.state, Dossier.contract_start, Dossier.contract_end,
                Dossier.total_financed, Dossier.employer_share, Dossier.cap_nights, Dossier.cap_meals,
                Dossier.cap_first_equipment, Dossier.cap_mobility, Dossier.diploma_title, Dossier.organisation,
                Dossier.is_stock, Dossier.without_contract, Employer.name.alias("employer_name"),
                Organisation.name.alias("organisation_name"))
MONEY_COLUMNS = ("total_financed", "employer_share", "cap_first_equipment", "cap_mobility")


def list_page(scope, f, sort_key, direction, limit, after=None, before=None):
    """`limit` rows of the list after (or before) the dossier `after` (`before`) in the list's order.

    Keyset pages: the position is the cursor dossier's (sort value, id), so page 5,000 costs what page 1 does.
    Each organisation of the scope is read on its own (organisation, column, id) index range, in order, and
    the few rows of each merged: `organisation IN (a, b) ORDER BY id DESC` would sort every dossier of both.
    A name typed in two orders is two ranges of the name index, each read on its own too: `range1 OR range2
    ORDER BY id` makes SQLite walk every dossier of the organisation by id.
    """
    column = SORTS.get(sort_key)
    descending = direction == "desc" or column is None
    backwards = before is not None
    if backwards:
        descending = not descending
    cursor = after if after is not None else before
    keys = (column, Dossier.id) if column is not None else (Dossier.id,)
    branches = []
    for organisation_id in scoped.organisation_ids(scope):
        for name_range in name_ranges(f["apprenti"]) if f["apprenti"] else [None]:
            query = filtered_query(scoped.dossiers(scope, Dossier.select(*LIST_COLUMNS).join(Employer)
                                                   .switch(Dossier).join(Organisation),
                                                   organisation_id=organisation_id), f, name_range)
            if cursor is not None:
                query = query.where(_beyond(scope, keys, cursor, descending))
            branches.append(query.order_by(*[k.desc() if descending else k.asc() for k in keys]).limit(limit))
    if not branches:
        return []
    if len(branches) == 1:
        rows = list(branches[0].dicts())
    else:
        parts = [Select([branch.alias(f"part{i}")], [SQL("*")]) for i, branch in enumerate(branches)]
        order = [SQL(f'"{k.column_name}" {"DESC" if descending else "ASC"}') for k in keys]
        merged = reduce(operator.add, parts).order_by(*order).limit(limit)
        rows = list(db.execute(merged).fetchall())
        names = [c.name if hasattr(c, "name") else c._alias for c in LIST_COLUMNS]
        rows = [_converted(dict(zip(names, row))) for row in rows]
    return rows[::-1] if backwards else rows


def _converted(row):
    """The merged query returns raw values: dates and cents as the model would give them."""
    for name in ("contract_start", "contract_end"):
        row[name] = Dossier.contract_start.python_value(row[name])
    for name in MONEY_COLUMNS:
        row[name] = Dossier.total_financed.python_value(row[name])
    return row


def _beyond(scope, keys, cursor_id, descending):
    """Rows after the cursor dossier in the list's order; the cursor is read within the scope (another
    organisation's dossier is no position, or its name would be guessed by where it falls)."""
    position = scoped.dossiers(scope, Dossier.select(*keys).where(Dossier.id == cursor_id))
    row = Tuple(*keys)
    return (row < position) if descending else (row > position)


def _cursor_arg(name):
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None


@bp.route("/dossiers")
@cfa_required
def dossiers():
    """One SQL query for the page: no COUNT(*), one extra row tells whether a further page exists.

    Pages are keyset pages: "Suivant" carries `apres=<id of the last row>`, "Précédent" `avant=<id of the
    first>`; `page` is only the number shown.
    """
    f = _filters()
    sort_key, direction = _sort()
    per_page = request.args.get("per_page", type=int)
    per_page = per_page if per_page in PER_PAGE_CHOICES else PER_PAGE_CHOICES[0]
    after, before = _cursor_arg("apres"), _cursor_arg("avant")
    if after is not None:
        before = None
    page = _int_arg("page", 1, 1, MAX_PAGE) if (after or before) else 1
    rows = list_page(current_scope(), f, sort_key, direction, per_page + 1, after=after, before=before)
    more = len(rows) > per_page
    if before is not None:
        rows, has_previous, has_next = rows[-per_page:], more, True
    else:
        rows, has_previous, has_next = rows[:per_page], after is not None, more
    if before is not None and not has_previous:
        page = 1
    active = {k: v for k, v in f.items() if v}

    def page_url(**kw):
        return url_for("portal.dossiers", **{**active, "sort": sort_key or None,
                                             "dir": direction if sort_key else None, "per_page": per_page, **kw})

    next_url = page_url(apres=rows[-1]["id"], page=page + 1) if has_next and rows else None
    previous_url = None
    if has_previous and rows:
        previous_url = page_url(avant=rows[0]["id"], page=max(page - 1, 1))
    scope = current_scope()
    columns = shown_columns(scope)
    if columns & AMOUNT_COLUMNS:
        _add_amounts(scope, rows, "remboursements" in columns)
    first_page = after is None and before is None
    total, exact = result_count(scope, f, len(rows), first_page and not has_next)
    return render_template(
        "portal/dossiers.html", rows=rows, filters=f, active=active, sort_key=sort_key, direction=direction,
        page=page, per_page=per_page, next_url=next_url, previous_url=previous_url, states=DOSSIER_STATES,
        schemes=SCHEMES, regimes=REGIMES, state_labels=dict(DOSSIER_STATES), scheme_labels=dict(SCHEMES),
        regime_labels=dict(REGIMES), per_page_choices=PER_PAGE_CHOICES, choices=LIST_CHOICES, columns=columns,
        amount_columns=AMOUNT_COLUMNS,
        count_text=_count_text(rows, page, per_page, total, exact), back_query=request.query_string.decode())


def shown_columns(scope, user=None):
    """The optional columns the user chose (User.list_columns), or the defaults."""
    user = user or current_user
    chosen = (getattr(user, "list_columns", None) or {}).get("dossiers")
    if isinstance(chosen, list):
        return frozenset(key for key in chosen if key in CHOICE_KEYS)
    hidden = set()
    if len(scoped.organisation_ids(scope)) <= 1:
        hidden.add("cfa")  # one organisation: the same name on every row
    if not scope.has_billing_right:
        hidden.add("remboursements")  # payments need a billing right: a column of « — »
    return frozenset(key for key, _, default, _ in LIST_CHOICES if default and key not in hidden)


def _add_amounts(scope, rows, with_paid):
    """Each row's engagement (workflows.dossier_rules, the figures of the dossier page's balance) and, for the
    dossiers the user may bill, its reimbursements: one grouped query over the page's ids."""
    billable = [r["id"] for r in rows if can(scope, "dossier.bill", SimpleNamespace(
        is_stock=r["is_stock"], without_contract=r["without_contract"], organisation_id=r["organisation"]))]
    paid = paid_by_dossier(billable) if with_paid else {}
    zero = Dossier.total_financed.python_value(0)
    for row in rows:
        engaged = dossier_engagement(row)
        row.update(teaching_engaged=engaged.teaching, annexes_engaged=engaged.annexes, budget=engaged.total,
                   reimbursed=paid.get(row["id"], zero) if row["id"] in billable else None)


def result_count(scope, f, shown, complete):
    """(how many dossiers the list holds, exact?) without counting a million rows.

    The page holds them all (`complete`): its length. Filtered by state and scheme at most: the dossier counters
    (models/counters.py), exact. Otherwise the matches are counted up to COUNT_CAP + 1 on the filters' index
    ranges, then shown « plus de 1 000 »."""
    if complete:
        return shown, True
    if not any(value for key, value in f.items() if key not in ("state", "scheme")):
        query = scoped.dossier_counters(scope, DossierCounter.select(fn.COALESCE(fn.SUM(DossierCounter.count), 0)))
        if f["state"]:
            query = query.where(DossierCounter.state == f["state"])
        if f["scheme"]:
            query = query.where(DossierCounter.scheme == f["scheme"])
        return int(query.scalar() or 0), True
    found = filtered_query(scoped.dossiers(scope, Dossier.select(Dossier.id)), f).limit(COUNT_CAP + 1).count()
    return min(found, COUNT_CAP), found <= COUNT_CAP


def _number(n):
    return f"{n:,}".replace(",", "\u00a0")


def _count_text(rows, page, per_page, total, exact):
    """« 21–40 sur 1 234 », « … sur plus de 1 000 » (seed 004's « 1-2 sur 2 »)."""
    if not rows:
        return "0 dossier" if exact else ""
    first = (page - 1) * per_page + 1
    last = first + len(rows) - 1
    of = _number(total) if exact else f"plus de {_number(COUNT_CAP)}"
    return f"{_number(first)}\u2013{_number(last)} sur {of}"


@bp.route("/dossiers/colonnes", methods=["POST"])
@cfa_required
def dossiers_columns():
    """Keep the columns ticked in « Colonnes affichées » for this user, then back to the list as it was."""
    if request.form.get("defaut"):
        set_list_columns(current_user, "dossiers", None)
        flash("Colonnes par défaut rétablies.", "success")
    else:
        chosen = set(request.form.getlist("colonnes"))
        set_list_columns(current_user, "dossiers", [key for key in CHOICE_KEYS if key in chosen])
        flash("Colonnes enregistrées : elles seront les vôtres à chaque visite.", "success")
    back = {k: v for k, v in parse_qsl(request.form.get("retour", "")[:2000]) if k in LIST_ARGS and len(v) <= 100}
    return redirect(url_for("portal.dossiers", **back))


EXPORT_HEADER = ["N° de dossier", "N° DECA", "Apprenti", "NIR", "Employeur", "SIRET employeur", "Dispositif",
                 "Régime", "État", "Début du contrat", "Fin du contrat", "Budget total", "CFA bénéficiaire",
                 "Intitulé de la formation"]


def _export_query(f, sort_key, direction, for_xlsx):
    """The filtered, sorted list with the columns of the export; for CSV the database formats the values
    and writes each line (one text column per row)."""
    if for_xlsx:
        columns = (Dossier.contract_start, Dossier.contract_end, Dossier.total_financed)
        labels = (Dossier.scheme, Dossier.regime, Dossier.state)
    else:
        columns = (sql_format.date_fr(Dossier.contract_start), sql_format.date_fr(Dossier.contract_end),
                   sql_format.montant(Dossier.total_financed))
        labels = (sql_format.label(Dossier.scheme, SCHEMES), sql_format.label(Dossier.regime, REGIMES),
                  sql_format.label(Dossier.state, DOSSIER_STATES))
    selected = [Dossier.number, Dossier.deca_number, Dossier.apprentice_name, sql_format.masked_nir(Apprentice.nir),
                Employer.name, Employer.siret, *labels, *columns, Organisation.name, Dossier.diploma_title]
    if not for_xlsx:
        selected = [sql_format.csv_line(selected)]
    query = scoped.dossiers(current_scope(), Dossier.select(*selected).join(Employer).switch(Dossier)
                            .join(Organisation).switch(Dossier).join(Apprentice, JOIN.LEFT_OUTER))
    return _ordered(filtered_query(query, f), sort_key, direction)


def _csv_lines(query):
    """Chunks of CSV text, read lazily (the query runs when the stream starts, in a server-side cursor on
    PostgreSQL)."""
    for batch in streamed_batches(query):
        yield "".join(line + "\r\n" for (line,) in batch)


def _xlsx_rows(query):
    states, schemes, regimes = dict(DOSSIER_STATES), dict(SCHEMES), dict(REGIMES)
    for row in streamed_rows(query.tuples()):
        number, deca, name, nir, employer, siret, scheme, regime, state, start, end, total, cfa, training = row
        yield [number, deca, name, nir, employer, siret, schemes.get(scheme, scheme), regimes.get(regime, regime),
               states.get(state, state), start, end, total, cfa, training]


@bp.route("/dossiers/export.csv")
@cfa_required
def dossiers_csv():
    return _export("CSV")


@bp.route("/dossiers/export.xlsx")
@cfa_required
def dossiers_xlsx():
    return _export("XLSX")


def _export(kind):
    """The filtered, sorted list as a streamed file (same scope and filters as the page)."""
    sort_key, direction = _sort()
    f = _filters()
    _log_export(kind, f)
    if kind == "CSV":
        return csv_response("dossiers.csv", EXPORT_HEADER, _csv_lines(_export_query(f, sort_key, direction, False)),
                            preformatted=True)
    return xlsx_response("dossiers.xlsx", EXPORT_HEADER, _xlsx_rows(_export_query(f, sort_key, direction, True)))


def _log_export(kind, f):
    """The export names apprentices: it is a nominative download, so it is logged like one."""
    active = ", ".join(f"{k}={v}" for k, v in f.items() if v) or "aucun filtre"
    log_download("dossiers", current_organisation().id, f"Export {kind} des dossiers ({active})",
                 user=signed_in_user())


def dossier_actions(dossier):
    """Actions offered by state (SPEC §4, seed 004): always view and attach; engaged+subrogated: bill, etc."""
    actions = [{"label": "Joindre un document", "url": "#documents", "code": "document"}]
    if dossier.state == DossierState.ENGAGED and dossier.subrogated and can(current_scope(), "dossier.bill", dossier):
        actions.append({"label": "Demande de remboursement", "code": "reimbursement",
                        "url": url_for("portal.reimbursement", number=dossier.number)})
    if dossier.state == DossierState.ENGAGED:
        for endpoint, label, code in (("portal.rupture", "Déclarer une rupture", "rupture"),
                                      ("portal.amendment", "Demander un avenant", "amendment")):
            if endpoint in current_app.view_functions:
                actions.append({"label": label, "code": code, "url": url_for(endpoint, number=dossier.number)})
    return actions


@bp.route("/dossiers/<number>")
@cfa_required
def dossier(number):
    d = get_dossier_or_404(number)
    installments = stored_installments(d, include_cancelled=True)
    payments = list(PaymentLine.select(PaymentLine, Payment).join(Payment)
                    .where(PaymentLine.dossier == d.id).order_by(Payment.date))
    letters = list(scoped.letters(current_scope(), Letter.select()).where(Letter.dossier == d.id).order_by(Letter.issued_at))
    documents = list(scoped.documents(current_scope()).where(Document.dossier == d.id)
                     .order_by(Document.uploaded_at.desc()))
    balance = dossier_balance(d)
    can_bill = can(current_scope(), "dossier.bill", d)
    invoices = dossier_invoices(current_scope(), d) if can_bill else []
    asked, agreed = financing_agreement(d)
    caps = (agreed or asked).caps if (agreed or asked) else None
    missing = ([p.strip() for p in (d.missing_pieces or "").splitlines() if p.strip()]
               if d.state == DossierState.AWAITING_DOCUMENTS else [])
    return render_template(
        "portal/dossier.html", d=d, installments=installments, balance=balance, payments=payments,
        letters=letters, documents=documents, financing=dossier_financing(d, balance.annual_budget),
        actions=dossier_actions(d),
        nir=mask_nir(d.apprentice.nir) if d.apprentice.nir else "", upload_types=UPLOAD_TYPES,
        state_labels=dict(DOSSIER_STATES), scheme_labels=dict(SCHEMES), regime_labels=dict(REGIMES),
        installment_labels=dict(INSTALLMENT_STATUSES), can_bill=can_bill,
        requests=dossier_requests(d), invoices=invoices, invoice_states=dict(INVOICE_STATES),
        invoice_kinds=dict(INVOICE_KINDS), invoice_natures=[(code, label) for code, label in LINE_NATURES
                                                            if any(code in i["amounts"] for i in invoices)],
        agreement=(asked, agreed), agreement_caps=[(code, label) for code, label in LINE_NATURES
                                                   if caps is not None and getattr(caps, code, None)],
        missing_pieces=missing, **_origin(d))


def _origin(dossier):
    """The proposal the dossier was created from, and its page when the user manages proposals."""
    proposal = ContractProposal.get_or_none(ContractProposal.dossier == dossier.id)
    allowed = proposal is not None and can(current_scope(), "proposal.manage", proposal)
    api_key = deposit_key(dossier, proposal.api_key_id) if proposal is not None else None  # « déposé par API »
    return {"proposal": proposal, "api_key": api_key,
            "proposal_url": url_for("portal.proposal", proposal_id=proposal.id) if allowed else None}
