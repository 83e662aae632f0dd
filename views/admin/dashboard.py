"""Staff dashboard at /admin/: what needs attention today."""
from flask_admin import expose
from peewee import fn

from models import Dossier

from .base import StaffIndexView


class DashboardView(StaffIndexView):
    @expose("/")
    def index(self):
        counts = dict(Dossier.select(Dossier.state, fn.COUNT(Dossier.id)).group_by(Dossier.state).tuples())
        states = [(code, label, counts.get(code, 0)) for code, label in Dossier.state.choices]
        return self.render("admin/dashboard.html", states=states)
