"""Notifications of the current organisation: list with filters, open, mark read, delete."""
import datetime as dt
import re

from flask import flash, redirect, render_template, request, url_for
from peewee import JOIN, fn

from access import scope as scoped
from access.web import cfa_required, current_scope, get_notification_or_404
from models import Apprentice, Dossier, Notification, OpcoNews, OpcoNewsRead, Organisation, db
from views.portal import bp

NEWS = "actualite"  # not a notification category: the OPCO news (models/news.py), listed with them
# Categories written by workflows.notify callers; any other short code still filters, shown as is.
CATEGORIES = [("dossier", "Dossiers"), ("courrier", "Courriers"), ("billing", "Facturation"), ("facture", "Factures"),
              ("avoir", "Avoirs"), ("rib", "Coordonnées bancaires"), ("delegation", "Délégations"),
              ("document", "Documents"), ("compte", "Compte"), (NEWS, "Actualités de l'OPCO")]
PER_PAGE = 50
NEWS_SHOWN = 20  # the newest OPCO news listed above the notifications (a few a month)


def _filters():
    status = request.args.get("status", "")
    category = request.args.get("category", "")
    return {"status": status if status in ("unread", "read") else "",
            "category": category if re.fullmatch(r"[a-z_]{1,20}", category) else ""}


@bp.route("/notifications")
@cfa_required
def notifications():
    f = _filters()
    page = request.args.get("page", 1, type=int)
    page = page if 1 <= (page or 0) <= 10_000 else 1
    rows = [] if f["category"] == NEWS else list(
        _listed(f).order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1).objects())
    news = _news(f) if f["category"] in ("", NEWS) and page == 1 else []
    return render_template("portal/notifications.html", rows=rows[:PER_PAGE], has_next=len(rows) > PER_PAGE,
                           page=page, filters=f, categories=CATEGORIES, news=news)


def _listed(f):
    """The scope's notifications with the seed 004 columns in one query: dossier number, the dossier's CFA (or
    the organisation told, without a dossier: SIRET and name) and the apprentice — of a dossier still within the
    scope's organisations only (a delegation ended since shows none of it)."""
    told, cfa = Organisation.alias(), Organisation.alias()
    scope = current_scope()
    last_name = fn.COALESCE(fn.NULLIF(Apprentice.usage_name, ""), Apprentice.birth_name)
    query = (Notification.select(
        Notification, Dossier.number.alias("dossier_number"),
        fn.COALESCE(cfa.siret, told.siret).alias("org_siret"), fn.COALESCE(cfa.name, told.name).alias("org_name"),
        Apprentice.first_name.alias("apprentice_first_name"), last_name.alias("apprentice_last_name"))
        .join(told, on=(Notification.organisation == told.id))
        .switch(Notification).join(Dossier, JOIN.LEFT_OUTER, on=(
            (Notification.dossier == Dossier.id) & Dossier.organisation.in_(scoped.organisation_ids(scope) or [-1])))
        .join(cfa, JOIN.LEFT_OUTER, on=(Dossier.organisation == cfa.id))
        .switch(Dossier).join(Apprentice, JOIN.LEFT_OUTER, on=(Dossier.apprentice == Apprentice.id)))
    query = scoped.notifications(scope, query)
    if f["status"] == "unread":
        query = query.where(Notification.read_at.is_null())
    elif f["status"] == "read":
        query = query.where(Notification.read_at.is_null(False))
    if f["category"]:
        query = query.where(Notification.category == f["category"])
    return query


def _news(f):
    """The newest OPCO news addressed to the organisation, each with the user's read date (None: unread)."""
    scope = current_scope()
    read_at = (OpcoNewsRead.select(OpcoNewsRead.read_at)
               .where((OpcoNewsRead.news == OpcoNews.id) & (OpcoNewsRead.user == scope.user.id)))
    query = scoped.news(scope, OpcoNews.select(OpcoNews, read_at.alias("read_at")))
    if f["status"] == "unread":
        query = query.where(~fn.EXISTS(read_at))
    elif f["status"] == "read":
        query = query.where(fn.EXISTS(read_at))
    return list(query.limit(NEWS_SHOWN).objects())


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
