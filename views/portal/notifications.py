"""Notifications of the current organisation: list with filters, open, mark read, delete."""
import datetime as dt
import re

from flask import flash, redirect, render_template, request, url_for
from peewee import JOIN

from access import scope as scoped
from access.web import cfa_required, current_scope, get_notification_or_404
from models import Dossier, Notification, db
from views.portal import bp

# Categories written by workflows.notify callers; any other short code still filters, shown as is.
CATEGORIES = [("dossier", "Dossiers"), ("courrier", "Courriers"), ("billing", "Facturation"), ("facture", "Factures"),
              ("avoir", "Avoirs"), ("rib", "Coordonnées bancaires"), ("delegation", "Délégations"),
              ("document", "Documents"), ("compte", "Compte")]
PER_PAGE = 50


def _filters():
    status = request.args.get("status", "")
    category = request.args.get("category", "")
    return {"status": status if status in ("unread", "read") else "",
            "category": category if re.fullmatch(r"[a-z_]{1,20}", category) else ""}


@bp.route("/notifications")
@cfa_required
def notifications():
    f = _filters()
    query = scoped.notifications(current_scope(), Notification.select(Notification, Dossier).join(Dossier, JOIN.LEFT_OUTER))
    if f["status"] == "unread":
        query = query.where(Notification.read_at.is_null())
    elif f["status"] == "read":
        query = query.where(Notification.read_at.is_null(False))
    if f["category"]:
        query = query.where(Notification.category == f["category"])
    page = request.args.get("page", 1, type=int)
    page = page if 1 <= (page or 0) <= 10_000 else 1
    rows = list(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                .offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1))
    return render_template("portal/notifications.html", rows=rows[:PER_PAGE], has_next=len(rows) > PER_PAGE,
                           page=page, filters=f, categories=CATEGORIES)


@bp.route("/notifications/<int:notification_id>/ouvrir", methods=["POST"])
@cfa_required
def notification_open(notification_id):
    """Mark read and go to its dossier (when the user may still see it)."""
    notification = get_notification_or_404(notification_id)
    _mark_read(Notification.id == notification.id)
    if notification.dossier_id:
        dossier = scoped.dossiers(current_scope()).where(Dossier.id == notification.dossier_id).first()
        if dossier is not None:
            return redirect(url_for("portal.dossier", number=dossier.number))
    return redirect(url_for("portal.notifications"))


@bp.route("/notifications/<int:notification_id>/lue", methods=["POST"])
@cfa_required
def notification_read(notification_id):
    notification = get_notification_or_404(notification_id)
    _mark_read(Notification.id == notification.id)
    return redirect(url_for("portal.notifications"))


@bp.route("/notifications/toutes-lues", methods=["POST"])
@cfa_required
def notifications_read_all():
    count = _mark_read(Notification.id.in_(scoped.notifications(current_scope(), Notification.select(Notification.id))))
    flash(f"{count} notification(s) marquée(s) comme lue(s).", "success")
    return redirect(url_for("portal.notifications"))


@bp.route("/notifications/<int:notification_id>/supprimer", methods=["POST"])
@cfa_required
def notification_delete(notification_id):
    notification = get_notification_or_404(notification_id)
    Notification.delete().where(Notification.id == notification.id).execute()
    flash("Notification supprimée.", "success")
    return redirect(url_for("portal.notifications"))


@bp.route("/notifications/supprimer-tout", methods=["POST"])
@cfa_required
def notifications_delete_all():
    with db.atomic():
        ids = [n.id for n in scoped.notifications(current_scope(), Notification.select(Notification.id))]
        count = Notification.delete().where(Notification.id.in_(ids)).execute() if ids else 0
    flash(f"{count} notification(s) supprimée(s).", "success")
    return redirect(url_for("portal.notifications"))


def _mark_read(condition):
    return (Notification.update(read_at=dt.datetime.now().replace(microsecond=0))
            .where(condition & Notification.read_at.is_null()).execute())
