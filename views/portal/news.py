"""OPCO news on the portal: marked read by each user, after which they leave the dashboard (workflows/news.py)."""
from flask import abort, flash, redirect, request, url_for

from access import scope as scoped
from access.web import cfa_required, current_scope
from models import OpcoNews
from views.portal import bp
from workflows.news import mark_news_read


def _back():
    """Back to the page the button was on (the dashboard or the notifications), never elsewhere."""
    target = request.form.get("next") or ""
    if target in (url_for("portal.dashboard"), url_for("portal.notifications")):
        return redirect(target)
    return redirect(url_for("portal.notifications"))


@bp.route("/actualites/<int:news_id>/lue", methods=["POST"])
@cfa_required
def news_read(news_id):
    """Mark one news read; a news not addressed to the organisation (or withdrawn) is a 404."""
    scope = current_scope()
    if not scoped.news(scope, OpcoNews.select(OpcoNews.id)).where(OpcoNews.id == news_id).exists():
        abort(404)
    mark_news_read(scope, [news_id])
    return _back()


@bp.route("/actualites/toutes-lues", methods=["POST"])
@cfa_required
def news_read_all():
    count = mark_news_read(current_scope())
    flash(f"{count} actualité(s) marquée(s) comme lue(s).", "success")
    return _back()
