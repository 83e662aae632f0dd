"""The JSON API for the CFAs' software (`/api/v1`): flask-smorest, so the same marshmallow schemas validate
requests, shape responses and write the OpenAPI document (`/api/v1/openapi.json`).

Every route but the documentation needs an `X-API-KEY` (auth.py); errors are problem documents
(problems.py); POSTs accept `Idempotency-Key` (idempotency.py); each key has its own rate limit."""
import http

from flask import current_app
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response

from views.extensions import csrf, limiter

from .auth import authenticate, rate_limit_key
from .problems import ProblemSchema, handle_exception
from .schemas import Money

PREFIX = "/api/v1"
PROBLEM_JSON = "application/problem+json"

DESCRIPTION = """API du Portail CFA pour les logiciels de gestion des CFA (Ypareo, SC Form, Gesti…).

Authentification : en-tête `X-API-KEY` portant une clé créée par un administrateur OF sur
*Mon organisme › Clés d'API* (valable 365 jours). Les noms de champs suivent la norme d'échange inter-OPCO
(« API Convergence ») ; montants en chaînes décimales (`"1234.50"`), dates au format ISO 8601.

Chaque POST accepte un en-tête `Idempotency-Key` : une requête répétée avec la même clé et le même corps
reçoit la première réponse sans rien créer de plus. Les erreurs sont au format `application/problem+json`
(RFC 9457), avec un `code` machine et un `detail` en français."""


class PortailApi(Api):
    """flask-smorest's Api with problem documents as the error schema, on the API's routes only."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """Errors are handled per API blueprint (register_api_blueprint), never app-wide: the portal keeps
        its HTML error pages."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Erreur (problem+json, RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)



def configure(app):
    app.config.setdefault("API_TITLE", "Portail CFA — API des logiciels CFA")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": DESCRIPTION},
        "servers": [{"url": "/", "description": "Ce serveur"}],
        "components": {"securitySchemes": {
            "cleApi": {"type": "apiKey", "in": "header", "name": "X-API-KEY",
                       "description": "Clé d'API de l'organisme (préfixe pcfa_)."}}},
        "security": [{"cleApi": []}],
    })


def api_blueprint(name, import_name, description):
    """A blueprint of the API: key required, problem documents, the key's rate limit, no CSRF (the key is
    the credential, no cookie is read)."""
    blp = Blueprint(name, import_name, description=description)
    blp.before_request(authenticate)
    blp.register_error_handler(Exception, handle_exception)
    limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api", key_func=rate_limit_key)(blp)
    return blp


def register(app, blueprints):
    """Attach the API and its blueprints to `app` (called once by views.register_views)."""
    from flask import Blueprint as FlaskBlueprint

    from . import docs

    configure(app)
    app.json.sort_keys = False  # documents keep their schema's order; sorting 100 items' keys is pure cost
    api = PortailApi(app)  # one per app: it holds the app's OpenAPI document
    app.extensions["portail_api"] = api
    api.register_field(Money, "string", "decimal")  # a decimal string in the document too, never a number
    for blp in blueprints:
        api.register_blueprint(blp, url_prefix=PREFIX)
        csrf.exempt(blp)
    app.register_blueprint(docs.bp, url_prefix=PREFIX)
    csrf.exempt(docs.bp)
    doc_blueprint = app.blueprints.get("api-docs")
    if isinstance(doc_blueprint, FlaskBlueprint):
        csrf.exempt(doc_blueprint)
