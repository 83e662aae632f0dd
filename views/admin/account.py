"""*Mon compte* of OPCO staff (/admin/compte/): the portal's forms and workflow, in the back office."""
from flask import url_for
from flask_admin import BaseView, expose

from views.account import handle_account

from .base import StaffAccessMixin


class StaffAccountView(StaffAccessMixin, BaseView):
    """Every staff role reaches its own account; the menu link sits in the header next to « Se déconnecter »."""

    def is_visible(self):
        return False

    @expose("/", methods=("GET", "POST"))
    def index(self):
        user = self.actor
        return handle_account(user, url_for(".index"), lambda **forms: self.render(
            "admin/account.html", user=user, **forms))
