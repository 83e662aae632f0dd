"""*Mon compte* of a CFA or employer user (/portail/compte)."""
from flask import render_template, url_for
from flask_login import current_user

from access.web import portal_login_required
from views.account import handle_account
from views.portal import bp


@bp.route("/compte", methods=["GET", "POST"])
@portal_login_required
def account():
    user = current_user._get_current_object()
    return handle_account(user, url_for("portal.account"), lambda **forms: render_template(
        "portal/account.html", user=user, **forms))
