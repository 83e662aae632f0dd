"""The CFA and employer portal (/portail). Every query goes through services.access."""
from flask import Blueprint, render_template

from services.access import portal_login_required

bp = Blueprint("portal", __name__, url_prefix="/portail")


@bp.route("/")
@portal_login_required
def dashboard():
    return render_template("portal/dashboard.html")
