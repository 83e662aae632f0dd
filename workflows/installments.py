"""An installment's status is derived from the invoices and payments of its dossier, never set by hand.

One definition, in SQL, used both to store the statuses after every billing change
(`sync_statuses`) and by the integrity check (`status_mismatches`):

* `cancelled` stays cancelled (a rupture, an amendment or a final balance released it);
* an installment named by a line of an invoice that is not a draft nor rejected (mass invoicing)
  is `paid` when that invoice is paid, else `invoiced`;
* the other installments, in schedule order (their number), are covered by the teaching and
  uplift amounts invoiced without naming an installment (reimbursement requests): those fully
  covered by what was paid are `paid`, then those covered by what was invoiced are `invoiced`,
  the rest `to_invoice`. A rejected invoice therefore frees its installments again.
"""
from models import Installment, Invoice, InvoiceLine, db, is_postgres
from models.states import ACTIVE_INVOICE_STATES, InstallmentStatus as S, InvoiceState

ACTIVE = ACTIVE_INVOICE_STATES
TEACHING = ("teaching", "uplift")


def _in(values):
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _ids(values):
    return "(" + ", ".join(str(int(v)) for v in values) + ")"


def expected_sql(dossier_ids=None):
    """SELECT installment id, dossier id, number, stored status, expected status (optionally for some dossiers)."""
    inst, line, inv = Installment._meta.table_name, InvoiceLine._meta.table_name, Invoice._meta.table_name
    only_line = f"AND l.dossier_id IN {_ids(dossier_ids)}" if dossier_ids is not None else ""
    only_inst = f"AND i.dossier_id IN {_ids(dossier_ids)}" if dossier_ids is not None else ""
    paid_invoice, to_invoice, invoiced, paid, cancelled = (InvoiceState.PAID, S.TO_INVOICE, S.INVOICED, S.PAID,
                                                          S.CANCELLED)
    return f"""
    WITH linked AS (
        SELECT l.installment_id AS iid, MAX(CASE WHEN v.state = '{paid_invoice}' THEN 1 ELSE 0 END) AS paid
        FROM "{line}" l JOIN "{inv}" v ON v.id = l.invoice_id
        WHERE l.installment_id IS NOT NULL AND v.state IN {_in(ACTIVE)} {only_line}
        GROUP BY l.installment_id),
    free AS (
        SELECT l.dossier_id AS did, SUM(l.amount) AS invoiced,
               SUM(CASE WHEN v.state = '{paid_invoice}' THEN l.amount ELSE 0 END) AS paid
        FROM "{line}" l JOIN "{inv}" v ON v.id = l.invoice_id
        WHERE l.installment_id IS NULL AND l.nature IN {_in(TEACHING)} AND v.state IN {_in(ACTIVE)} {only_line}
        GROUP BY l.dossier_id),
    pool AS (
        SELECT i.id AS pid, SUM(i.amount) OVER (PARTITION BY i.dossier_id ORDER BY i.number) AS cum
        FROM "{inst}" i
        WHERE i.status <> '{cancelled}' AND i.id NOT IN (SELECT iid FROM linked) {only_inst})
    SELECT i.id, i.dossier_id, i.number, i.status,
        CASE WHEN i.status = '{cancelled}' THEN '{cancelled}'
             WHEN k.iid IS NOT NULL THEN (CASE WHEN k.paid = 1 THEN '{paid}' ELSE '{invoiced}' END)
             WHEN f.paid > 0 AND p.cum <= f.paid THEN '{paid}'
             WHEN f.invoiced > 0 AND p.cum <= f.invoiced THEN '{invoiced}'
             ELSE '{to_invoice}' END AS expected
    FROM "{inst}" i
    LEFT JOIN linked k ON k.iid = i.id
    LEFT JOIN pool p ON p.pid = i.id
    LEFT JOIN free f ON f.did = i.dossier_id
    WHERE 1 = 1 {only_inst}"""


def status_mismatches(dossier_ids=None):
    """(installment id, dossier id, number, stored, expected) of every installment whose status is wrong."""
    sql = f"SELECT * FROM ({expected_sql(dossier_ids)}) AS e WHERE e.status <> e.expected ORDER BY e.dossier_id, e.number"
    return [tuple(row) for row in db.execute_sql(sql).fetchall()]


def sync_statuses(dossier_ids):
    """Store the derived status of every installment of these dossiers (call in the change's transaction).

    Returns {installment id: new status} for those that changed.
    """
    dossier_ids = sorted({int(d) for d in dossier_ids if d is not None})
    if not dossier_ids:
        return {}
    changed = {row[0]: row[4] for row in status_mismatches(dossier_ids)}
    by_status = {}
    for installment_id, status in changed.items():
        by_status.setdefault(status, []).append(installment_id)
    for status, ids in by_status.items():
        Installment.update(status=status).where(Installment.id.in_(ids)).execute()
    refresh_due_dates(dossier_ids)
    return changed


def next_due_sql(dossier_table='"dossier"'):
    """The earliest billable date of a dossier's installments still to invoice (SQL, correlated)."""
    return (f'(SELECT MIN(i.billable_from) FROM "{Installment._meta.table_name}" i '
            f"WHERE i.dossier_id = {dossier_table}.id AND i.status = '{S.TO_INVOICE}')")


def refresh_due_dates(dossier_ids):
    """Store Dossier.next_billable_from for these dossiers (call in the transaction that moved installments)."""
    dossier_ids = sorted({int(d) for d in dossier_ids if d is not None})
    for start in range(0, len(dossier_ids), 500):
        db.execute_sql(f'UPDATE "dossier" SET next_billable_from = {next_due_sql()} '
                       f"WHERE id IN {_ids(dossier_ids[start:start + 500])}")


def refresh_all_due_dates():
    """Dossier.next_billable_from of every dossier (migration, rebuild-counters)."""
    db.execute_sql(f'UPDATE "dossier" SET next_billable_from = {next_due_sql()}')


def due_date_mismatches(limit=20):
    """(dossier id, stored, expected) where Dossier.next_billable_from disagrees with the installments."""
    sql = (f'SELECT d.id, d.next_billable_from, {next_due_sql("d")} AS expected FROM "dossier" d '
           f'WHERE d.next_billable_from IS NOT {next_due_sql("d")} ORDER BY d.id LIMIT {int(limit)}')
    if is_postgres():
        sql = sql.replace(" IS NOT ", " IS DISTINCT FROM ")
    return [tuple(row) for row in db.execute_sql(sql).fetchall()]


def dossiers_of(invoice):
    """Ids of the dossiers an invoice's lines cover (and its own dossier)."""
    ids = {row[0] for row in InvoiceLine.select(InvoiceLine.dossier).where(InvoiceLine.invoice == invoice.id).tuples()}
    if getattr(invoice, "dossier_id", None):
        ids.add(invoice.dossier_id)
    return ids


def invoiced_and_paid(installment):
    """(invoiced, paid) amounts of an installment, as its derived status states them.

    The status covers an installment whole (`expected_sql`): an invoiced installment is invoiced in full, a
    paid one invoiced and paid in full; one only partly covered, or cancelled, counts for nothing yet."""
    zero = type(installment.amount)("0.00")
    if installment.status == S.PAID:
        return installment.amount, installment.amount
    if installment.status == S.INVOICED:
        return installment.amount, zero
    return zero, zero
