"""`GET /api/v1/cle`: what the key is — its organisation, the delegations it covers, its expiry."""
import marshmallow as ma
from flask.views import MethodView

from models import Organisation

from . import api_blueprint
from .auth import current_api_scope
from .schemas import Instant, OrganismeSchema, organisme

blp = api_blueprint("api_cle", __name__, "La clé d'API utilisée : son organisme et son expiration.")


class KeySchema(ma.Schema):
    prefixe = ma.fields.String(metadata={"description": "Début de la clé, pour la reconnaître.",
                                         "example": "pcfa_Ab3dE9x"})
    nom = ma.fields.String(metadata={"description": "Nom donné à la clé à sa création."})
    creeeLe = Instant(metadata={"description": "Date de création."})
    expireLe = Instant(metadata={"description": "Date d'expiration (365 jours après la création)."})
    organisme = ma.fields.Nested(OrganismeSchema, metadata={"description": "L'organisme de la clé."})
    organismesDelegants = ma.fields.List(
        ma.fields.Nested(OrganismeSchema),
        metadata={"description": "Organismes dont la gestion des contrats est déléguée à cet organisme."})


@blp.route("/cle")
class KeyView(MethodView):
    @blp.response(200, KeySchema)
    def get(self):
        """La clé utilisée

        L'organisme de la clé, les organismes qui lui délèguent la gestion de leurs contrats et la date
        d'expiration de la clé."""
        scope = current_api_scope()
        key = scope.api_key
        organisations = {o.id: o for o in Organisation.select().where(Organisation.id.in_(sorted(scope.organisation_ids)))}
        return {"prefixe": key.prefix, "nom": key.name, "creeeLe": key.created_at, "expireLe": key.expires_at,
                "organisme": organisme(organisations[scope.organisation_id]),
                "organismesDelegants": [organisme(o) for i, o in sorted(organisations.items())
                                        if i != scope.organisation_id]}
