"""The back office: one Flask-Admin view per model, all on StaffModelView."""
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from access.permissions import can
from views.headers import csp_nonce

from . import (api_keys, billing, delegations, dossiers, news, organisations, outbox, proposals, records,
               ruptures, settings, users)
from .account import StaffAccountView
from .background_exports import MyExportsView
from .dashboard import DashboardView
from .french import TRANSLATIONS_PATH

VIEW_MODULES = [organisations, api_keys, delegations, users, dossiers, proposals, billing, records, news, ruptures,
                outbox, settings]


def init_admin(app):
    admin = Admin(
        app,
        name="Back office OPCO",
        url="/admin",
        index_view=DashboardView(name="Tableau de bord", url="/admin"),
        theme=Bootstrap4Theme(swatch="cerulean", base_template="admin/staff_master.html", fluid=True),
        csp_nonce_generator=csp_nonce,
        translations_path=TRANSLATIONS_PATH,
    )
    for module in VIEW_MODULES:
        for view_class, model, name, category in module.VIEWS:
            admin.add_view(view_class(model, name=name, category=category, endpoint=model.__name__.lower()))
    admin.add_view(MyExportsView(name="Mes exports", endpoint="mes_exports", url="/admin/mes-exports"))
    admin.add_view(StaffAccountView(name="Mon compte", endpoint="staff_account", url="/admin/compte"))
    app.jinja_env.globals.setdefault("can", can)  # templates ask the permission map, never a role
    app.extensions["portail_admin"] = admin
    return admin
