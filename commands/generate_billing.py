"""Billing and notifications for the generated data set (issue 14, item 2), in realistic proportions.

Every row is written by the database itself (`INSERT … SELECT` over the generated dossiers): a million dossiers
get their 350k invoices in seconds, with nothing read back into Python. Proportions follow the demo's: about
35 % of the dossiers carry a reimbursement invoice (half of the financed ones), in every state; the paid
half of the validated ones has its payment; about 1 % of the invoiced dossiers a credit note; each user of the
target organisation a few hundred notifications, a third of them unread. The target organisation also manages a
second one by an approved delegation, as CFA Sud manages CFA Ouest's contracts in the demo.
"""
from models import (BankDetails, Counter, CreditNote, Delegation, Invoice, InvoiceLine, Membership, Notification,
                    Organisation, Payment, PaymentLine, db, now)
from models.states import DelegationState

from commands.generate_data import FINANCED_STATES

NOTIFICATIONS_PER_USER = 300
BENCH_IBAN = "FR7630006000011234567890189"
# Invoice state by the dossier's id (tens digit): 2/10 processing, 1 on hold, 1 rejected, 3 validated, 3 paid.
INVOICE_STATE = ("CASE {r} WHEN 0 THEN 'en_traitement' WHEN 1 THEN 'en_traitement' WHEN 2 THEN 'en_attente' "
                 "WHEN 3 THEN 'rejetee' WHEN 4 THEN 'validee' WHEN 5 THEN 'validee' WHEN 6 THEN 'validee' "
                 "ELSE 'payee' END")


def _digit(column, divisor):
    """(column / divisor) mod 10 in integer arithmetic both databases share (no MOD, no `%`)."""
    q = f"({column} / {divisor})"
    return f"({q} - ({q} / 10) * 10)"


def _table(model):
    return f'"{model._meta.table_name}"'


def generate_billing(first_dossier, target_id=None, stamp=None):
    """Invoices, lines, payments, credit notes of the dossiers whose id ≥ first_dossier; notifications of the
    target's users; the target's delegation. Returns counts."""
    stamp = stamp or now().isoformat(" ")
    financed = ", ".join(f"'{state.value}'" for state in FINANCED_STATES)
    d, i = _table(InvoiceLine.dossier.rel_model), _table(Invoice)
    state = INVOICE_STATE.format(r=_digit("d.id", 2))
    counts = {}
    with db.atomic():
        # One reimbursement invoice per even-numbered financed dossier; its number is the dossier's id (unique),
        # the "invoice" counter moved past them so that real invoices keep numbering after.
        cursor = db.execute_sql(
            f"INSERT INTO {i} (number, organisation_id, dossier_id, kind, state, period_start, period_end, total_ht, "
            f"total_ttc, cfa_reference, cfa_invoice_date, comment, hold_reason, rejection_reason, receipt_number, "
            f"created_at, submitted_at, validated_at, paid_at) "
            f"SELECT d.id, d.organisation_id, d.id, 'reimbursement', {state}, d.contract_start, d.contract_start, "
            f"d.total_financed / 4, d.total_financed / 4, '', d.contract_start, '', "
            f"CASE WHEN {state} = 'en_attente' THEN 'Pièce justificative manquante' ELSE '' END, "
            f"CASE WHEN {state} = 'rejetee' THEN 'Montant non conforme' ELSE '' END, '', {_moment(stamp)}, "
            f"{_moment(stamp)}, CASE WHEN {state} IN ('validee', 'payee') THEN {_moment(stamp)} END, "
            f"CASE WHEN {state} = 'payee' THEN {_moment(stamp)} END "
            f"FROM {d} d WHERE d.id >= {int(first_dossier)} AND d.state IN ({financed}) "
            f"AND d.id - (d.id / 2) * 2 = 0")
        counts["invoices"] = cursor.rowcount
        db.execute_sql(
            f"INSERT INTO {_table(InvoiceLine)} (invoice_id, dossier_id, nature, quantity, amount, period_start, "
            f"period_end) SELECT id, dossier_id, 'teaching', 1, total_ht, period_start, period_end FROM {i} "
            f"WHERE dossier_id >= {int(first_dossier)} AND number = dossier_id")
        _move_counter("invoice", f"SELECT MAX(number) FROM {i}")

        # Payments of the paid invoices: one approved RIB per paid organisation, one payment per invoice.
        o, b, p = _table(Organisation), _table(BankDetails), _table(Payment)
        db.execute_sql(
            f"INSERT INTO {b} (organisation_id, iban, bic, holder, third_party, status, refusal_reason, entered_at, "
            f"reviewed_at) SELECT o.id, '{BENCH_IBAN}', 'AGRIFRPP', o.name, {_false()}, 'approved', '', "
            f"{_moment(stamp)}, {_moment(stamp)} FROM {o} o WHERE o.id IN (SELECT DISTINCT organisation_id FROM {i} "
            f"WHERE state = 'payee') AND NOT EXISTS (SELECT 1 FROM {b} x WHERE x.organisation_id = o.id "
            f"AND x.status = 'approved')")
        cursor = db.execute_sql(
            f"INSERT INTO {p} (reference, organisation_id, bank_details_id, date, mode, gross, deductions, net, "
            f"submission_key, created_at) "
            f"SELECT 'GEN-' || i.id, i.organisation_id, (SELECT MIN(id) FROM {b} x WHERE x.organisation_id = "
            f"i.organisation_id AND x.status = 'approved'), i.period_start, 'virement', i.total_ttc, 0, i.total_ttc, "
            f"'gen-' || i.id, {_moment(stamp)} FROM {i} i WHERE i.state = 'payee' AND i.dossier_id >= "
            f"{int(first_dossier)} AND i.number = i.dossier_id")
        counts["payments"] = cursor.rowcount
        db.execute_sql(
            f"INSERT INTO {_table(PaymentLine)} (payment_id, invoice_id, dossier_id, amount) "
            f"SELECT p.id, i.id, i.dossier_id, i.total_ttc FROM {p} p JOIN {i} i ON p.reference = 'GEN-' || i.id "
            f"WHERE i.dossier_id >= {int(first_dossier)}")

        # A credit note for about 1 % of the invoiced dossiers (a rupture after the invoice).
        cursor = db.execute_sql(
            f"INSERT INTO {_table(CreditNote)} (number, organisation_id, dossier_id, amount, amount_settled, reason, "
            f"reason_detail, settlement_mode, state, issued_on, created_at) "
            f"SELECT i.dossier_id, i.organisation_id, i.dossier_id, i.total_ttc / 10, 0, 'rupture', '', "
            f"'deduction', CASE WHEN {_digit('i.dossier_id', 100)} < 5 THEN 'a_emettre' ELSE 'deposee' END, "
            f"i.period_start, {_moment(stamp)} FROM {i} i WHERE i.dossier_id >= {int(first_dossier)} "
            f"AND i.number = i.dossier_id AND {_digit('i.dossier_id', 2)} = 9 AND {_digit('i.dossier_id', 20)} = 9")
        counts["credit_notes"] = cursor.rowcount
        _move_counter("credit_note", f"SELECT MAX(number) FROM {_table(CreditNote)}")

        counts["notifications"] = _notifications(target_id, first_dossier, stamp) if target_id else 0
        counts["delegated_organisation"] = _delegation(target_id, first_dossier) if target_id else None
    return counts


def _notifications(target_id, first_dossier, stamp):
    """NOTIFICATIONS_PER_USER notifications per user of the target, on its latest dossiers, a third unread."""
    users = [m.user_id for m in Membership.select(Membership.user).where(Membership.organisation == target_id)]
    d, n = _table(InvoiceLine.dossier.rel_model), _table(Notification)
    total = 0
    for user_id in users:
        cursor = db.execute_sql(
            f"INSERT INTO {n} (organisation_id, user_id, dossier_id, category, message, read_at, created_at) "
            f"SELECT d.organisation_id, {int(user_id)}, d.id, 'dossier', "
            f"'Le dossier ' || d.number || ' a changé d''état.', "
            f"CASE WHEN {_digit('d.id', 1)} < 3 THEN NULL ELSE {_moment(stamp)} END, {_moment(stamp)} "
            f"FROM {d} d WHERE d.organisation_id = {int(target_id)} AND d.id >= {int(first_dossier)} "
            f"ORDER BY d.id DESC LIMIT {NOTIFICATIONS_PER_USER}")
        total += cursor.rowcount
    return total


def _delegation(target_id, first_dossier):
    """The target manages another CFA's contracts by an approved delegation (as CFA Sud for CFA Ouest); the
    delegator is the organisation holding the most generated dossiers after the target."""
    if Delegation.select().where(Delegation.delegate == target_id,
                                 Delegation.state == DelegationState.APPROVED.value).exists():
        return None
    d = _table(InvoiceLine.dossier.rel_model)
    row = db.execute_sql(
        f"SELECT organisation_id FROM {d} WHERE organisation_id <> {int(target_id)} AND id >= {int(first_dossier)} "
        f"GROUP BY organisation_id ORDER BY COUNT(*) DESC, organisation_id LIMIT 1").fetchone()
    if row is None:
        return None
    Delegation.create(delegate=target_id, delegator=row[0], state=DelegationState.APPROVED.value,
                      decided_at=now(), note="Délégation de gestion (données générées)")
    return row[0]


def _move_counter(series, max_sql):
    highest = db.execute_sql(max_sql).fetchone()[0] or 0
    Counter.insert(name=series, value=0).on_conflict_ignore().execute()
    Counter.update(value=highest).where((Counter.name == series) & (Counter.value < highest)).execute()


def _text(value):
    return "'" + str(value).replace("'", "''") + "'"


def _moment(stamp):
    """A timestamp literal: typed on PostgreSQL (a CASE of text would not convert), text on SQLite."""
    from models import is_postgres
    return f"CAST({_text(stamp)} AS TIMESTAMP)" if is_postgres() else _text(stamp)


def _false():
    from models import is_postgres
    return "FALSE" if is_postgres() else "0"
