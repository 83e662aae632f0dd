"""The CFA and employer portal (/portail). Every query goes through the request's Scope (access/).

Each screen lives in its own module; add a module by appending its name to PORTAL_MODULES
(a module only needs `from views.portal import bp` and its routes).
"""
import importlib

from flask import Blueprint, request
from flask_login import current_user

bp = Blueprint("portal", __name__, url_prefix="/portail")

PORTAL_MODULES = [
    "dashboard",
    "dossiers",
    "documents",
    "invoices",
    "notifications",
    "news",
    "help",
    "delegations",
    "reimbursement",
    "ruptures",
    "amendments",
    "expired",
    "mass_invoicing",
    "invoice_compliance", "bank", "credit_notes", "payments", "histories",
    "organisation",
    "account",
    "users",
    "api_keys",
    "establishments",
    "proposals",
    "employer",
    "proposal_mandate",
    "proposal_documents",
    "cerfa_pdf",
    "webhooks",
    "stock_contracts",
]


@bp.context_processor
def _portal_context():
    """What the portal header needs on every page: organisations, current one, rights, unread badge."""
    from access import scope as scoped
    from access.permissions import can
    from access.web import current_membership, current_organisation, current_scope, memberships
    from models import Notification

    from models.settings import helpdesk_contact

    endpoint = request.endpoint or ""  # `ep` is visible inside every block of portal/base.html
    if not getattr(current_user, "is_authenticated", False) or current_user.kind != "cfa":
        return {"portal_nav": None, "ep": endpoint, "helpdesk": helpdesk_contact}

    def unread():
        return scoped.notifications(current_scope(), Notification.select()).where(
            Notification.read_at.is_null()).count()

    def unread_news(limit=5):
        """The newest OPCO news the user has not marked read (the dashboard shows them)."""
        from models import OpcoNews
        return list(scoped.unread_news(current_scope(), OpcoNews.select()).limit(limit))

    return {"ep": endpoint, "helpdesk": helpdesk_contact, "portal_nav": {
        "memberships": memberships(),
        "current": current_organisation(),
        "membership": current_membership(),
        "billing": can(current_scope(), "dossier.bill"),
        "admin_of": can(current_scope(), "organisation.admin"),
        "proposals": can(current_scope(), "proposal.manage"),
        "stock": can(current_scope(), "stock.manage"),
        "unread": unread,
        "unread_news": unread_news,
    }}


for _name in PORTAL_MODULES:
    importlib.import_module(f"{__name__}.{_name}")
