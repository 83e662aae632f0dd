"""Mass invoicing (seed 002 *Dossiers à facturer*): three steps saved as a draft Invoice, then one send.

The draft is an Invoice in state `brouillon`, kind `mass`, without a number; the steps' data live in
`Invoice.draft` (JSON). Each dossier of the invoice is checked by rules.check_invoice with the context
workflows.reimbursement.build_context builds from the stored schedule; the invoice is accepted whole or
refused whole with the reasons per dossier. Sending allocates the gapless number in the same
transaction as the lines, the installments' status, the event, the PDF and the audit entry.
"""
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from peewee import fn

import rules
from access import scope as scoped
from access.permissions import can
from models import Dossier, Installment, Invoice, InvoiceLine, Organisation
from models.states import DossierState, InstallmentStatus, InvoiceState
from rules.engaged import request_total
from rules.mass_invoicing import annex_period, split_uplift
from rules.money import from_cents, read_amount
from workflows import audit
from workflows.delegations import billing_organisation_ids
from workflows.invoice_workflow import InvoiceWorkflowError, submit_invoice
from infrastructure.formatting import montant
from infrastructure.numbering import immediate_transaction, next_number
from workflows.reimbursement import build_context
from infrastructure import clock

FEE_TYPES = [("teaching", "Coût pédagogique / majoration RQTH (échéances)"), ("annex", "Frais annexes")]
ANNEX_FIELDS = [("nights", "Nuitées", int), ("lodging", "Hébergement (€)", Decimal),
                ("meals", "Repas", int), ("meals_amount", "Restauration (€)", Decimal),
                ("first_equipment", "Premier équipement (€)", Decimal), ("mobility", "Mobilité internationale (€)", Decimal)]
MAX_DOSSIERS = 300


class MassInvoiceError(ValueError):
    """A step refused for a reason the user can fix (French message)."""


class MassInvoiceRefused(Exception):
    """The whole invoice is refused; `reasons` maps each dossier to its rules.Refusal list."""

    def __init__(self, reasons):
        super().__init__("facture refusée")
        self.reasons = reasons


def empty_draft():
    return {"step": 1, "fees": [], "dossiers": [], "selection": {}, "cfa_reference": "", "cfa_invoice_date": "",
            "amount_ht": "", "amount_ttc": "", "comment": ""}


def draft_of(invoice):
    data = empty_draft()
    data.update(invoice.draft or {})
    return data


# --- step 1: dossiers with something billable ------------------------------------------------------

def billable_dossiers(scope, today, search=""):
    """Engaged dossiers of `scope` it may bill, with an installment billable today or annex costs engaged.

    Returns [(dossier, billable_now)] with the amounts from one grouped query.
    """
    open_now = (Installment.select(Installment.dossier)
                .where((Installment.status == InstallmentStatus.TO_INVOICE) & (Installment.billable_from <= today)))
    annex = ((Dossier.cap_nights > 0) | (Dossier.cap_meals > 0) | (Dossier.cap_first_equipment > 0)
             | (Dossier.cap_mobility > 0))
    query = scoped.dossiers(scope).where((Dossier.state == DossierState.ENGAGED) & (Dossier.id.in_(open_now) | annex))
    search = (search or "").strip()
    if search:
        like = f"%{search}%"
        query = query.where(Dossier.apprentice_name.ilike(like) | (Dossier.number == search)
                            | (Dossier.deca_number == search))
    dossiers = [d for d in query.order_by(Dossier.apprentice_name, Dossier.id).limit(MAX_DOSSIERS)
                if can(scope, "dossier.bill", d)]
    ids = [d.id for d in dossiers]
    amounts = {}
    if ids:
        amounts = {row[0]: from_cents(row[1] or 0) for row in (
            Installment.select(Installment.dossier, fn.SUM(Installment.amount))
            .where(Installment.dossier.in_(ids) & (Installment.status == InstallmentStatus.TO_INVOICE)
                   & (Installment.billable_from <= today))
            .group_by(Installment.dossier).tuples())}
    return [(d, amounts.get(d.id, Decimal("0.00"))) for d in dossiers]


def save_step1(invoice, organisation, fees, dossier_ids, allowed_ids, user, require_complete):
    """Create or update the draft with the chosen fee types and dossiers."""
    fees = [f for f in dict(FEE_TYPES) if f in set(fees)]
    unknown = [i for i in dossier_ids if i not in allowed_ids]
    if unknown:
        raise MassInvoiceError("Un dossier choisi n'existe pas ou n'a rien de facturable pour vous.")
    if require_complete and not fees:
        raise MassInvoiceError("Choisissez au moins un type de frais à facturer.")
    if require_complete and not dossier_ids:
        raise MassInvoiceError("Choisissez au moins un dossier à facturer.")
    with immediate_transaction():
        if invoice is None:
            invoice = Invoice.create(organisation=organisation.id, kind="mass", state=InvoiceState.DRAFT,
                                     draft=empty_draft(), created_by=user.id if user else None)
            audit.record("invoice", invoice.id, "create_draft", None, invoice, user=user, note="facturation en masse")
        invoice = Invoice.get_by_id(invoice.id)
        _require_draft(invoice)
        data = draft_of(invoice)
        data["fees"] = fees
        data["dossiers"] = list(dict.fromkeys(dossier_ids))
        data["selection"] = {k: v for k, v in data["selection"].items() if int(k) in data["dossiers"]}
        data["step"] = 2 if require_complete else 1
        invoice.draft = data
        invoice.save()
    return invoice


def _require_draft(invoice):
    if invoice.state != InvoiceState.DRAFT or invoice.kind != "mass":
        raise MassInvoiceError("Cette facturation a déjà été envoyée : elle ne peut plus être modifiée.")


# --- step 2: installments and annex quantities -----------------------------------------------------

@dataclass
class DossierChoice:
    dossier: Dossier
    open_installments: list  # billable today, still to invoice
    installment_ids: list
    annex: dict
    errors: list = field(default_factory=list)
    refusals: list = field(default_factory=list)


def _billable(invoice, ids, allowed):
    """The draft's dossiers the invoicing organisation may bill now (its own, those of approved delegations),
    within `allowed` (a query of the dossier ids the user may bill) when given."""
    if not ids:
        return {}
    organisations = sorted(billing_organisation_ids(invoice.organisation_id))
    query = Dossier.select().where(Dossier.id.in_(ids) & Dossier.organisation.in_(organisations))
    if allowed is not None:
        query = query.where(Dossier.id.in_(allowed))
    return {d.id: d for d in query}


def step2_choices(invoice, today, form=None, allowed=None):
    """For each dossier of the draft, what can be chosen and what is chosen (from `form` when given).

    A dossier no longer in the scope (delegation ended, right removed) is left out, never shown.
    """
    data = draft_of(invoice)
    ids = data["dossiers"]
    dossiers = _billable(invoice, ids, allowed)
    opened = {}
    if ids:
        for row in (Installment.select().where(Installment.dossier.in_(ids) & (Installment.status == InstallmentStatus.TO_INVOICE)
                                               & (Installment.billable_from <= today))
                    .order_by(Installment.billable_from, Installment.number)):
            opened.setdefault(row.dossier_id, []).append(row)
    choices = []
    for dossier_id in ids:
        dossier = dossiers.get(dossier_id)
        if dossier is None:
            continue
        saved = data["selection"].get(str(dossier_id), {})
        choice = DossierChoice(dossier, opened.get(dossier_id, []), list(saved.get("installments", [])),
                               {name: saved.get(name, "") for name, _, _ in ANNEX_FIELDS})
        if form is not None:
            _read_choice(choice, form, data["fees"])
        else:
            _drop_stale(choice)
        choices.append(choice)
    return choices


def _drop_stale(choice):
    """A saved installment invoiced since (another request, another draft) is reported, never silently dropped."""
    allowed = {r.id for r in choice.open_installments}
    stale = [i for i in choice.installment_ids if i not in allowed]
    if stale:
        numbers = ", ".join(str(r.number) for r in Installment.select(Installment.number).where(Installment.id.in_(stale)))
        choice.errors.append(f"Échéance(s) {numbers or '?'} plus facturable(s) (déjà facturée(s) entre-temps) : "
                             "revoyez la deuxième étape.")
        choice.installment_ids = [i for i in choice.installment_ids if i in allowed]


def _read_choice(choice, form, fees):
    """Parse one dossier's inputs from the posted form (errors collected, nothing raised)."""
    d = choice.dossier.id
    choice.installment_ids = []
    if "teaching" in fees:
        allowed = {r.id for r in choice.open_installments}
        for raw in form.getlist(f"inst-{d}"):
            try:
                value = int(raw)
            except ValueError:
                value = None
            if value not in allowed:
                choice.errors.append("Une échéance choisie n'est pas (ou plus) facturable.")
                continue
            choice.installment_ids.append(value)
    choice.annex = {}
    for name, label, kind in ANNEX_FIELDS:
        raw = (form.get(f"{name}-{d}") or "").strip() if "annex" in fees else ""
        choice.annex[name] = raw
        if not raw:
            continue
        try:
            value = _parse(raw, kind)
        except ValueError as exc:
            choice.errors.append(f"{label} : {exc}")
            continue
        if value < 0:
            choice.errors.append(f"{label} : la valeur ne peut pas être négative.")


def _parse(raw, kind):
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "").replace("€", "").replace(",", ".")
    if text == "":
        return kind(0)
    if kind is int:
        if not text.lstrip("-").isdigit() or len(text) > 7:
            raise ValueError(f"« {raw} » n'est pas un nombre valide.")
        return int(text)
    return read_amount(text, maximum=Decimal("1000000"), exact_cents=True)


def _annex_values(choice):
    return {name: _parse(choice.annex.get(name, "") or "", kind) for name, _, kind in ANNEX_FIELDS}


def rule_request(choice, rows, today, invoice_pdf=True, terms=True):
    """The rules' InvoiceRequest of one dossier of the mass invoice."""
    dossier = choice.dossier
    annex = _annex_values(choice)
    teaching = sum((Decimal(r.amount) for r in rows), Decimal("0.00"))
    if rows:
        start, end = min(r.period_start for r in rows), max(r.period_end for r in rows)
    else:
        start, end = annex_period(dossier.contract_start, dossier.contract_end, dossier.rupture_date, today)
    return rules.InvoiceRequest(
        period_start=start, period_end=end, teaching_amount=teaching, nights=annex["nights"],
        lodging_amount=annex["lodging"], meals=annex["meals"], meals_amount=annex["meals_amount"],
        first_equipment_amount=annex["first_equipment"], mobility_amount=annex["mobility"],
        certificate_provided=bool(dossier.completion_certificate), invoice_pdf_provided=invoice_pdf,
        terms_accepted=terms)


def check_choices(choices, today, invoice_pdf=True, terms=True):
    """Run rules.check_invoice on every dossier; fills `choice.refusals`; True when all are accepted."""
    ok = True
    for choice in choices:
        if choice.errors:
            ok = False
            continue
        rows = [r for r in choice.open_installments if r.id in set(choice.installment_ids)]
        choice.refusals = rules.check_invoice(rule_request(choice, rows, today, invoice_pdf, terms),
                                              build_context(choice.dossier))
        ok = ok and not choice.refusals
    return ok


def save_step2(invoice, choices, step):
    """Store the step-2 inputs in the draft (as typed) and the step reached."""
    with immediate_transaction():
        invoice = Invoice.get_by_id(invoice.id)
        _require_draft(invoice)
        data = draft_of(invoice)
        data["selection"] = {str(c.dossier.id): dict(installments=c.installment_ids, **c.annex) for c in choices}
        data["step"] = step
        invoice.draft = data
        invoice.save()
    return invoice


def lines_of(choice, today):
    """(nature, quantity, amount, installment, period_start, period_end) lines of one dossier."""
    dossier = choice.dossier
    lines = []
    chosen = set(choice.installment_ids)
    for row in choice.open_installments:
        if row.id not in chosen:
            continue
        teaching, uplift = split_uplift(row.amount, dossier.npec, dossier.disability_uplift)
        lines.append(("teaching", 1, teaching, row, row.period_start, row.period_end))
        if uplift > 0:
            lines.append(("uplift", 1, uplift, row, row.period_start, row.period_end))
    annex = _annex_values(choice)
    start, end = annex_period(dossier.contract_start, dossier.contract_end, dossier.rupture_date, today)
    for nature, quantity, amount in (("lodging", annex["nights"], annex["lodging"]),
                                     ("meals", annex["meals"], annex["meals_amount"]),
                                     ("first_equipment", 1, annex["first_equipment"]),
                                     ("mobility", 1, annex["mobility"])):
        if amount > 0:
            lines.append((nature, max(int(quantity), 1), amount, None, start, end))
    return lines


def total_of(choices, today):
    return request_total(*[line[2] for c in choices for line in lines_of(c, today)])


def save_step3(invoice, cfa_reference, cfa_invoice_date, amount_ht="", amount_ttc="", comment=""):
    """Keep what was typed on the last step, as typed (the PDFs are asked again when sending)."""
    with immediate_transaction():
        invoice = Invoice.get_by_id(invoice.id)
        _require_draft(invoice)
        data = draft_of(invoice)
        data.update(step=3, cfa_reference=str(cfa_reference)[:60], cfa_invoice_date=str(cfa_invoice_date)[:10],
                    amount_ht=str(amount_ht or "")[:40], amount_ttc=str(amount_ttc or "")[:40],
                    comment=str(comment or "")[:2000])
        invoice.draft = data
        invoice.save()
    return invoice


# --- step 3: send ---------------------------------------------------------------------------------

def send(invoice, cfa_reference, cfa_invoice_date, pdf, user, terms_accepted=True, today=None, allowed=None,
         amount_ht=None, amount_ttc=None, comment="", supporting=()):
    """Number and record the invoice; `pdf` is (name, bytes) already checked. Raises MassInvoiceRefused.

    The scope is checked again here, in the write transaction: every dossier of the draft must still be
    billable by the invoicing organisation (and by the user, `allowed`), or nothing is written. The CFA's
    declared HT and TTC (None: their defaults) are checked against the total (rules.check_declared_invoice);
    `supporting` are the supporting documents, (name, bytes) already checked.
    """
    from workflows.documents import save_document
    from workflows.receipts import store_receipt

    today = today or clock.today()
    with immediate_transaction():
        invoice = Invoice.get_by_id(invoice.id)
        _require_draft(invoice)
        wanted = set(draft_of(invoice)["dossiers"])
        choices = step2_choices(invoice, today, allowed=allowed)
        if not choices and not wanted:
            raise MassInvoiceError("Aucun dossier n'est choisi : revenez à la première étape.")
        gone = len(wanted - {c.dossier.id for c in choices})
        if gone:
            raise MassInvoiceError(
                f"{gone} dossier(s) de ce brouillon ne sont plus dans votre périmètre de facturation (délégation "
                "terminée ou non approuvée, droits modifiés) : revenez à la première étape pour les retirer. "
                "Rien n'a été facturé.")
        if not check_choices(choices, today, invoice_pdf=pdf is not None, terms=terms_accepted):
            raise MassInvoiceRefused({c.dossier.number: c.refusals or [rules.Refusal("input", e) for e in c.errors]
                                      for c in choices if c.refusals or c.errors})
        now = dt.datetime.now().replace(microsecond=0)
        lines = [(c.dossier, line) for c in choices for line in lines_of(c, today)]
        total = request_total(*[line[2] for _, line in lines])
        ht, ttc = rules.declared_amounts(amount_ht, amount_ttc, total)
        declared = rules.check_declared_invoice(rules.DeclaredInvoice(cfa_invoice_date, ht, ttc), total,
                                                Organisation.get_by_id(invoice.organisation_id).vat_liable, today)
        if declared:
            raise MassInvoiceError(" ".join(r.message for r in declared))
        periods = [(line[4], line[5]) for _, line in lines]
        installment_ids = sorted({line[3].id for _, line in lines if line[3] is not None})

        def then(invoice):
            """Lines, document and receipt of the send, in the transition's transaction."""
            InvoiceLine.insert_many([dict(invoice=invoice.id, dossier=dossier.id,
                                          installment=line[3].id if line[3] else None, nature=line[0],
                                          quantity=line[1], amount=line[2], period_start=line[4], period_end=line[5])
                                     for dossier, line in lines]).execute()
            if Installment.select().where(Installment.id.in_(installment_ids or [0])
                                          & (Installment.status != InstallmentStatus.TO_INVOICE)).exists():
                raise MassInvoiceError("Une échéance a été facturée entre-temps : vérifiez la deuxième étape.")
            save_document(pdf[0], pdf[1], invoice.organisation_id, "facture", invoice=invoice.id, user=user)
            for name, content in supporting:
                save_document(name, content, invoice.organisation_id, "justificatif", invoice=invoice.id, user=user)
            invoice.receipt_number = f"R{next_number('receipt'):07d}"
            invoice.save(only=[Invoice.receipt_number])
            store_receipt(invoice, user=user,
                          certificate_provided=any(c.dossier.completion_certificate for c in choices))
            return (f"Facture {invoice.display_number} (masse) de {montant(total)}, "
                    f"{len(installment_ids)} échéance(s) facturée(s)")

        try:
            invoice = submit_invoice(
                invoice, user, note=f"Facturation en masse : {len({d.id for d, _ in lines})} dossier(s)",
                within=then, changes=dict(
                    period_start=min(p[0] for p in periods), period_end=max(p[1] for p in periods), total_ht=ht,
                    total_ttc=ttc, cfa_reference=cfa_reference[:60], cfa_invoice_date=cfa_invoice_date,
                    comment=(comment or "")[:2000], terms_accepted_at=now))
        except InvoiceWorkflowError as exc:
            raise MassInvoiceError(str(exc)) from None
    return invoice
