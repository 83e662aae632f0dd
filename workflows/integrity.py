"""The ledger's invariants, checked over the whole database (`flask --app app check`).

Each check is one SQL query with aggregates (GROUP BY, window functions), so it runs on a million
dossiers without loading them; each broken invariant becomes one French line naming the dossier
or the invoice and the figures. The invariants, stated precisely:

* schedule: for an engaged or settled dossier, Σ installments not cancelled + commitment released
  by a final balance − credit notes = engaged amount − employer share (a rupture or an amendment
  keeps what was already paid in the schedule and credits what was paid beyond what is due);
* billing chain, per dossier and per (dossier, nature): paid ≤ validated ≤ invoiced, where invoiced
  counts invoices not drafts nor rejected, validated those validated or paid, and paid the payment
  lines (per nature: the lines of invoices that carry a payment line);
* credited (Σ credit notes) ≤ paid (Σ payment lines), per dossier;
* installment statuses are those workflows.installments derives from invoices and payments;
* every invoice line is on a dossier of the invoicing organisation or of an organisation that
  delegates to it (once delegations have a state: approved, or ended for a closed invoice);
* every invoice, payment, credit note, rupture, amendment and engaged dossier has an audit entry;
* every invoice past draft has its receipt number and its stored receipt (a `recepisse` document);
* every dashboard counter equals a fresh count of the dossiers of its organisation, state, scheme and kind;
* every dossier's kept next billable date equals the earliest of its installments still to invoice.
"""
import datetime as dt
from dataclasses import dataclass

from models import (Amendment, AuditEntry, CreditNote, Delegation, Document, Dossier, DossierCounter,
                    ExpiredSettlement, Installment, Invoice, InvoiceLine, Organisation, Payment, PaymentLine, Rupture,
                    db)
from models.states import DelegationState, DossierState, InstallmentStatus, InvoiceState
from infrastructure.formatting import date_fr, montant
from rules.money import from_cents
from workflows.installments import ACTIVE, due_date_mismatches, status_mismatches

STATUS_LABELS = dict(Installment.status.choices)
STATE_LABELS = dict(Dossier.state.choices)
SCHEME_LABELS = dict(Dossier.scheme.choices)
NATURE_LABELS = dict(InvoiceLine.nature.choices)
VALIDATED = InvoiceState.values(InvoiceState.VALIDATED, InvoiceState.PAID)
ENGAGED = DossierState.values(DossierState.ENGAGED, DossierState.SETTLED)


@dataclass(frozen=True)
class Problem:
    invariant: str
    message: str

    def __str__(self):
        return self.message


def _t(model):
    return f'"{model._meta.table_name}"'


def _in(values):
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _eur(cents):
    return montant(from_cents(cents or 0))


def _invoice_label(number, invoice_id):
    return f"F{number:07d}" if number else f"Brouillon #{invoice_id}"


def _rows(sql):
    return db.execute_sql(sql).fetchall()


def check_schedules():
    sql = f"""
    WITH sched AS (SELECT dossier_id AS did, SUM(amount) AS s FROM {_t(Installment)}
                   WHERE status <> '{InstallmentStatus.CANCELLED}' GROUP BY dossier_id),
         rel AS (SELECT dossier_id AS did, SUM(amount_released) AS r FROM {_t(ExpiredSettlement)}
                 WHERE kind = 'final_balance' GROUP BY dossier_id),
         cred AS (SELECT dossier_id AS did, SUM(amount) AS c FROM {_t(CreditNote)} GROUP BY dossier_id)
    SELECT d.number, d.total_financed, d.employer_share, COALESCE(sched.s, 0), COALESCE(rel.r, 0),
           COALESCE(cred.c, 0)
    FROM {_t(Dossier)} d
    LEFT JOIN sched ON sched.did = d.id LEFT JOIN rel ON rel.did = d.id LEFT JOIN cred ON cred.did = d.id
    WHERE d.state IN {_in(ENGAGED)}
      AND COALESCE(sched.s, 0) + COALESCE(rel.r, 0) - COALESCE(cred.c, 0) <> d.total_financed - d.employer_share
    ORDER BY d.number"""
    out = []
    for number, engaged, share, scheduled, released, credited in _rows(sql):
        detail = f"échéances non annulées {_eur(scheduled)}"
        if released:
            detail += f" + engagement libéré {_eur(released)}"
        if credited:
            detail += f" − avoirs {_eur(credited)}"
        out.append(Problem("schedule", f"Dossier {number} : échéancier de {_eur(scheduled + released - credited)} "
                                       f"({detail}) au lieu de {_eur(engaged - share)} (engagé {_eur(engaged)} − "
                                       f"part employeur {_eur(share)})."))
    return out


def check_billing_chain():
    sql = f"""
    WITH inv AS (SELECT l.dossier_id AS did,
                        SUM(CASE WHEN v.state IN {_in(ACTIVE)} THEN l.amount ELSE 0 END) AS invoiced,
                        SUM(CASE WHEN v.state IN {_in(VALIDATED)} THEN l.amount ELSE 0 END) AS validated
                 FROM {_t(InvoiceLine)} l JOIN {_t(Invoice)} v ON v.id = l.invoice_id GROUP BY l.dossier_id),
         paid AS (SELECT dossier_id AS did, SUM(amount) AS paid FROM {_t(PaymentLine)} GROUP BY dossier_id),
         cred AS (SELECT dossier_id AS did, SUM(amount) AS credited FROM {_t(CreditNote)} GROUP BY dossier_id),
         ids AS (SELECT did FROM inv UNION SELECT did FROM paid UNION SELECT did FROM cred)
    SELECT d.number, COALESCE(inv.invoiced, 0), COALESCE(inv.validated, 0), COALESCE(paid.paid, 0),
           COALESCE(cred.credited, 0)
    FROM ids JOIN {_t(Dossier)} d ON d.id = ids.did
    LEFT JOIN inv ON inv.did = ids.did LEFT JOIN paid ON paid.did = ids.did LEFT JOIN cred ON cred.did = ids.did
    WHERE COALESCE(paid.paid, 0) > COALESCE(inv.validated, 0) OR COALESCE(inv.validated, 0) > COALESCE(inv.invoiced, 0)
       OR COALESCE(cred.credited, 0) > COALESCE(paid.paid, 0)
    ORDER BY d.number"""
    out = []
    for number, invoiced, validated, paid, credited in _rows(sql):
        if paid > validated:
            out.append(Problem("paid_validated", f"Dossier {number} : réglé {_eur(paid)} supérieur au validé "
                                                 f"{_eur(validated)}."))
        if validated > invoiced:
            out.append(Problem("validated_invoiced", f"Dossier {number} : validé {_eur(validated)} supérieur au "
                                                     f"facturé {_eur(invoiced)}."))
        if credited > paid:
            out.append(Problem("credited_paid", f"Dossier {number} : avoirs {_eur(credited)} supérieurs au réglé "
                                                f"{_eur(paid)}."))
    return out


def check_billing_chain_by_nature():
    paid_line = (f"EXISTS (SELECT 1 FROM {_t(PaymentLine)} p WHERE p.invoice_id = l.invoice_id "
                 f"AND p.dossier_id = l.dossier_id)")
    sql = f"""
    WITH n AS (SELECT l.dossier_id AS did, l.nature AS nature,
                      SUM(CASE WHEN v.state IN {_in(ACTIVE)} THEN l.amount ELSE 0 END) AS invoiced,
                      SUM(CASE WHEN v.state IN {_in(VALIDATED)} THEN l.amount ELSE 0 END) AS validated,
                      SUM(CASE WHEN {paid_line} THEN l.amount ELSE 0 END) AS paid
               FROM {_t(InvoiceLine)} l JOIN {_t(Invoice)} v ON v.id = l.invoice_id
               GROUP BY l.dossier_id, l.nature)
    SELECT d.number, n.nature, n.invoiced, n.validated, n.paid
    FROM n JOIN {_t(Dossier)} d ON d.id = n.did
    WHERE n.paid > n.validated OR n.validated > n.invoiced
    ORDER BY d.number, n.nature"""
    out = []
    for number, nature, invoiced, validated, paid in _rows(sql):
        label = NATURE_LABELS.get(nature, nature).lower()
        if paid > validated:
            out.append(Problem("paid_validated_nature", f"Dossier {number}, {label} : réglé {_eur(paid)} supérieur "
                                                        f"au validé {_eur(validated)}."))
        if validated > invoiced:
            out.append(Problem("validated_invoiced_nature", f"Dossier {number}, {label} : validé {_eur(validated)} "
                                                            f"supérieur au facturé {_eur(invoiced)}."))
    return out


def check_installment_statuses():
    mismatches = status_mismatches()
    if not mismatches:
        return []
    numbers = dict(Dossier.select(Dossier.id, Dossier.number)
                   .where(Dossier.id.in_(sorted({m[1] for m in mismatches}))).tuples())
    return [Problem("installment_status",
                    f"Dossier {numbers.get(dossier_id, dossier_id)}, échéance {number} : statut "
                    f"« {STATUS_LABELS.get(stored, stored)} » alors que ses factures et règlements donnent "
                    f"« {STATUS_LABELS.get(expected, expected)} ».")
            for _, dossier_id, number, stored, expected in mismatches]


def _delegation_clause():
    """Delegations that let `v.organisation` bill `d.organisation` (all of them until delegations have a state)."""
    base = (f"SELECT 1 FROM {_t(Delegation)} g WHERE g.delegate_id = v.organisation_id "
            f"AND g.delegator_id = d.organisation_id")
    if getattr(Delegation, "state", None) is None:
        return base
    return (base + f" AND (g.state = '{DelegationState.APPROVED}' OR (g.state = '{DelegationState.ENDED}' "
                   f"AND v.state IN {_in(InvoiceState.values(InvoiceState.PAID, InvoiceState.REJECTED))}))")


def check_billing_scope():
    sql = f"""
    SELECT DISTINCT v.id, v.number, d.number, o.name, od.name
    FROM {_t(InvoiceLine)} l JOIN {_t(Invoice)} v ON v.id = l.invoice_id JOIN {_t(Dossier)} d ON d.id = l.dossier_id
    JOIN {_t(Organisation)} o ON o.id = v.organisation_id JOIN {_t(Organisation)} od ON od.id = d.organisation_id
    WHERE d.organisation_id <> v.organisation_id AND NOT EXISTS ({_delegation_clause()})
    ORDER BY v.id, d.number"""
    return [Problem("billing_scope", f"Facture {_invoice_label(number, invoice_id)} ({org}) : ligne sur le dossier "
                                     f"{dossier} de {dossier_org}, que {org} ne peut pas facturer "
                                     "(ni son dossier ni une délégation approuvée).")
            for invoice_id, number, dossier, org, dossier_org in _rows(sql)]


AUDITED = [  # model, entity names written by workflows.audit.record, condition, French label, label column
    (Invoice, ("Invoice", "invoice"), "1 = 1", "Facture", "x.number"),
    (Payment, ("Payment", "payment"), "1 = 1", "Règlement", "x.reference"),
    (CreditNote, ("CreditNote", "credit_note", "creditnote"), "1 = 1", "Avoir", "x.number"),
    (Rupture, ("Rupture", "rupture"), "1 = 1", "Rupture", "x.id"),
    (Amendment, ("Amendment", "amendment"), "1 = 1", "Avenant", "x.id"),
    (Dossier, ("Dossier", "dossier"), f"x.state IN {_in(ENGAGED)}", "Dossier engagé", "x.number"),
]


def check_audit():
    out = []
    for model, entities, where, label, column in AUDITED:
        sql = f"""
        SELECT x.id, {column} FROM {_t(model)} x
        WHERE {where} AND NOT EXISTS (SELECT 1 FROM {_t(AuditEntry)} a WHERE a.entity IN {_in(entities)}
                                      AND a.entity_id = CAST(x.id AS VARCHAR(40)))
        ORDER BY x.id"""
        for row_id, name in _rows(sql):
            if model is Invoice:
                name = _invoice_label(name, row_id)
            elif model is CreditNote:
                name = f"PRO-{name}"
            elif model in (Rupture, Amendment):
                name = f"n° {name}"
            out.append(Problem("audit", f"{label} {name} : aucune entrée au journal d'audit."))
    return out


def check_receipts():
    sql = f"""
    SELECT v.id, v.number, v.receipt_number,
           EXISTS (SELECT 1 FROM {_t(Document)} doc WHERE doc.invoice_id = v.id AND doc.doc_type = 'recepisse')
    FROM {_t(Invoice)} v
    WHERE v.state <> '{InvoiceState.DRAFT}' AND (v.receipt_number = '' OR v.receipt_number IS NULL OR NOT EXISTS (
          SELECT 1 FROM {_t(Document)} doc WHERE doc.invoice_id = v.id AND doc.doc_type = 'recepisse'))
    ORDER BY v.number"""
    out = []
    for invoice_id, number, receipt, stored in _rows(sql):
        what = "sans numéro de récépissé" if not receipt else f"récépissé {receipt} sans PDF enregistré"
        if not receipt and not stored:
            what = "sans récépissé (ni numéro ni PDF)"
        out.append(Problem("receipt", f"Facture {_invoice_label(number, invoice_id)} : {what}."))
    return out


def check_dossier_counters():
    """The dashboard counters (models/counters.py) equal a fresh COUNT(*) GROUP BY over the dossiers."""
    fresh, kept = DossierCounter.fresh_counts(), DossierCounter.kept_counts()
    wrong = sorted(key for key in fresh.keys() | kept.keys() if fresh.get(key, 0) != kept.get(key, 0))
    if not wrong:
        return []
    names = dict(Organisation.select(Organisation.id, Organisation.name)
                 .where(Organisation.id.in_(sorted({key[0] for key in wrong}))).tuples())
    out = []
    for key in wrong:
        organisation_id, state, scheme, is_stock, without_contract = key
        kind = ", reprise de stock" if is_stock else ""
        kind += ", apprenti sans contrat" if without_contract else ""
        who = names.get(organisation_id, f"l’organisme #{organisation_id}")
        out.append(Problem("dossier_counter",
                           f"Compteur du tableau de bord faux pour {who} "
                           f"(état « {STATE_LABELS.get(state, state)} », dispositif « {SCHEME_LABELS.get(scheme, scheme)} »"
                           f"{kind}) : {kept.get(key, 0)} compté(s), {fresh.get(key, 0)} dossier(s) en base. "
                           f"Recalculez les compteurs : flask --app app rebuild-counters."))
    return out


def check_due_dates():
    """Each dossier's kept next billable date (« échéance à facturer ») equals its installments' (limited to 20)."""
    out = []
    for dossier_id, stored, expected in due_date_mismatches():
        number = Dossier.select(Dossier.number).where(Dossier.id == dossier_id).scalar()
        out.append(Problem("due_date", f"Dossier {number} : prochaine échéance à facturer enregistrée "
                                       f"{_date(stored)}, {_date(expected)} d'après ses échéances. "
                                       f"Recalculez-les : flask --app app rebuild-counters."))
    return out


def _date(value):
    if value is None:
        return "aucune"
    return date_fr(value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)))


CHECKS = (check_schedules, check_billing_chain, check_billing_chain_by_nature, check_installment_statuses,
          check_billing_scope, check_audit, check_receipts, check_dossier_counters, check_due_dates)


def problems():
    """Every broken invariant of the database, as Problem(invariant, French message); empty when all hold."""
    out = []
    for check in CHECKS:
        out.extend(check())
    return out


def summary():
    """What was checked, for the "aucune anomalie" line."""
    return (f"{Dossier.select().count()} dossier(s), {Installment.select().count()} échéance(s), "
            f"{Invoice.select().count()} facture(s), {Payment.select().count()} règlement(s), "
            f"{CreditNote.select().count()} avoir(s)")

