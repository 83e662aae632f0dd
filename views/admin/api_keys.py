"""Back-office view of the CFAs' API keys: staff read them per organisation (filter by SIRET), never the key nor
its hash; an OPCO administrator (api_key.revoke) revokes them. Keys are created on the portal or by the CLI."""
from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.peewee.filters import FilterEqual

from models import ApiKey, Organisation
from workflows.api_keys import STATE_LABELS, revoke, state_of

from .base import ReadOnlyModelView

SECRET_COLUMNS = ["key_hash"]
MAX_IDS = 200


def _state(view, context, key, name):
    return STATE_LABELS[state_of(key)]


class ApiKeyView(ReadOnlyModelView):
    revoke_permission = "api_key.revoke"
    joined_models = (Organisation,)
    column_list = ["prefix", "name", "organisation", "created_at", "expires_at", "last_used_at", "revoked_at",
                   "state"]
    column_details_list = ["prefix", "name", "organisation", "created_by", "created_at", "expires_at",
                           "last_used_at", "expiry_warned_at", "revoked_at", "state"]
    column_export_list = column_list
    column_exclude_list = SECRET_COLUMNS
    column_details_exclude_list = SECRET_COLUMNS
    column_export_exclude_list = SECRET_COLUMNS
    form_excluded_columns = SECRET_COLUMNS
    column_filters = [FilterEqual(Organisation.siret, "SIRET de l'organisme"), "created_at", "expires_at",
                      "revoked_at", "last_used_at"]
    column_searchable_list = ["prefix", "name"]
    column_sortable_list = ["prefix", "name", "created_at", "expires_at", "last_used_at", "revoked_at"]
    column_default_sort = ("created_at", True)
    column_formatters = {"state": _state}
    column_formatters_detail = {"state": _state}
    column_formatters_export = {"state": _state}
    column_labels = {"prefix": "Préfixe", "name": "Nom", "organisation": "Organisme", "created_by": "Créée par",
                     "created_at": "Créée le", "expires_at": "Expire le", "last_used_at": "Dernière utilisation",
                     "expiry_warned_at": "Expiration annoncée le", "revoked_at": "Révoquée le", "state": "État"}

    def get_query(self):
        return ApiKey.select(ApiKey, Organisation).join(Organisation)

    def is_action_allowed(self, name):
        if name == "revoquer":
            return self.allowed(self.revoke_permission)
        return super().is_action_allowed(name)

    @action("revoquer", "Révoquer", "Révoquer les clés sélectionnées ? Les logiciels qui les utilisent n'auront "
                                    "plus accès au portail. Cette action est définitive.")
    def action_revoquer(self, ids):
        ids = self.action_ids(self.revoke_permission, ids)[:MAX_IDS]
        revoked = already = 0
        for key in ApiKey.select().where(ApiKey.id.in_(ids)).order_by(ApiKey.id):
            if revoke(key, self.actor, note=f"{key.prefix} ({key.name}), back office"):
                revoked += 1
            else:
                already += 1
        if revoked:
            flash(f"{revoked} clé(s) API révoquée(s).", "success")
        if already:
            flash(f"{already} clé(s) étai(en)t déjà révoquée(s).", "info")


VIEWS = [
    (ApiKeyView, ApiKey, "Clés API", "Organismes"),
]
