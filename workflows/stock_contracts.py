"""Stock contracts (seed 003 *Mes contrats stockés*): the contracts concluded under a regional convention that
the OPCO took over, listed for the users holding a stock right, and *Étape 1 : Vérifier mes contrats stockés*
— the CFA confirms each one, or reports an anomaly with a comment.

An answer is a declaration, not a state of the dossier: answers are kept (the latest counts), each one
written with its audit entry in one transaction, and shown to the OPCO's staff on the dossier's page.
"""
from peewee import JOIN

from access import scope as scoped
from access.permissions import can
from models import Dossier, Employer, Installment, StockVerification, User, db
from models.states import InstallmentStatus, StockCheck
from workflows.audit import record

MAX_COMMENT = 2000
ANSWERS = (StockCheck.CONFIRMED.value, StockCheck.REPORTED.value)


class VerificationRefused(ValueError):
    """An answer the CFA can correct; the message is French and shown as is."""


def may_verify(scope, dossier):
    """A stock contract of the scope, for a user holding a stock right."""
    return bool(dossier.is_stock) and can(scope, "stock.manage", dossier)


def verify(scope, dossier, answer, comment=""):
    """Record the CFA's answer on `dossier`; returns (answer row, whether it is new).

    The same answer with the same comment as the latest one (a double click) records nothing again.
    """
    if not may_verify(scope, dossier):
        raise PermissionError("Vous ne pouvez pas vérifier ce contrat stocké.")
    answer = (answer or "").strip()
    comment = (comment or "").strip()
    if answer not in ANSWERS:
        raise VerificationRefused("Choisissez « Je confirme ce contrat » ou « Je signale une anomalie ».")
    if answer == StockCheck.REPORTED and not comment:
        raise VerificationRefused("Décrivez l'anomalie constatée : le commentaire est obligatoire pour un signalement.")
    if len(comment) > MAX_COMMENT:
        raise VerificationRefused(f"Le commentaire ne doit pas dépasser {MAX_COMMENT} caractères.")
    with db.atomic():
        latest = latest_answers([dossier.id]).get(dossier.id)
        if latest is not None and latest.answer == answer and latest.comment == comment:
            return latest, False
        row = StockVerification.create(dossier=dossier.id, answer=answer, comment=comment,
                                       by=getattr(scope.audit_user, "id", None))
        before = {"verification": latest.answer if latest else StockCheck.TO_CHECK.value,
                  "commentaire": latest.comment if latest else ""}
        record("dossier", dossier.id, f"stock_{answer}", before=before,
               after={"verification": answer, "commentaire": comment}, user=scope,
               note=f"Contrat stocké {dossier.number} : {StockCheck.label_of(answer)}")
    return row, True


def latest_answers(dossier_ids):
    """{dossier id: its latest answer} for a page of dossiers (one query on the (dossier, id) index)."""
    ids = list(dossier_ids)
    if not ids:
        return {}
    latest = {}
    for row in (StockVerification.select().where(StockVerification.dossier.in_(ids))
                .order_by(StockVerification.dossier, StockVerification.id)):
        latest[row.dossier_id] = row  # ascending ids: the last one read wins
    return latest


def history(dossier):
    """Every answer on `dossier`, newest first, with who gave it (the back office's dossier page)."""
    return list(StockVerification.select(StockVerification, User)
                .join(User, JOIN.LEFT_OUTER, on=(StockVerification.by == User.id))
                .where(StockVerification.dossier == dossier.id)
                .order_by(StockVerification.id.desc()))


LIST_COLUMNS = (Dossier.id, Dossier.number, Dossier.apprentice_name, Dossier.state, Dossier.organisation,
                Dossier.conclusion_date, Dossier.contract_start, Dossier.contract_end, Dossier.npec,
                Dossier.total_financed, Employer.name.alias("employer_name"))


def stock_page(scope, limit, after=None):
    """`limit` stock dossiers of the scope, newest first, after the dossier id `after` (keyset pages).

    Each organisation of the scope is read on its own (organisation, is_stock, id) index range and the few
    rows merged here, so a page costs the same at a million dossiers.
    """
    rows = []
    for organisation_id in scoped.organisation_ids(scope):
        query = (scoped.dossiers(scope, Dossier.select(*LIST_COLUMNS).join(Employer),
                                 organisation_id=organisation_id)
                 .where(Dossier.is_stock == True))  # noqa: E712
        if after is not None:
            query = query.where(Dossier.id < after)
        rows += list(query.order_by(Dossier.id.desc()).limit(limit).dicts())
    rows.sort(key=lambda row: row["id"], reverse=True)
    return rows[:limit]


def next_installments(dossier_ids):
    """{dossier id: its next installment to invoice} for a page of dossiers: where each stands in the stock
    rhythm (one query on the (dossier, status, billable_from) index)."""
    ids = list(dossier_ids)
    if not ids:
        return {}
    found = {}
    for row in (Installment.select().where(Installment.dossier.in_(ids)
                                           & (Installment.status == InstallmentStatus.TO_INVOICE))
                .order_by(Installment.dossier, Installment.billable_from.desc(), Installment.number.desc())):
        found[row.dossier_id] = row  # the earliest is read last
    return found
