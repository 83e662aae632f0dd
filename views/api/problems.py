"""Errors of the API as `application/problem+json` (RFC 9457): a machine `code`, a French `detail`, the
field errors listed in `erreurs` (dotted paths in the request's own field names)."""
import marshmallow as ma
from flask import current_app, json, request
from peewee import DataError, OperationalError
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "https://portail-cfa.fr/api/problemes/"

# The machine code and French title of each status the API answers.
STATUS = {
    400: ("requete_invalide", "Requête invalide"),
    401: ("cle_invalide", "Clé d'API absente, inconnue, expirée ou révoquée"),
    403: ("interdit", "Action non autorisée"),
    404: ("introuvable", "Ressource introuvable"),
    405: ("methode_non_autorisee", "Méthode non autorisée"),
    406: ("format_non_accepte", "Format de réponse non accepté"),
    409: ("conflit", "Conflit"),
    413: ("trop_volumineux", "Requête trop volumineuse"),
    415: ("format_non_supporte", "Format de requête non supporté"),
    422: ("donnees_invalides", "Données invalides"),
    429: ("trop_de_requetes", "Trop de requêtes"),
    500: ("erreur_interne", "Erreur interne"),
    503: ("service_indisponible", "Service momentanément indisponible"),
}
DETAILS = {
    400: "La requête est mal formée.",
    401: "Fournissez une clé d'API valide dans l'en-tête X-API-KEY.",
    403: "Cette clé ne permet pas cette action.",
    404: "Cette ressource n'existe pas ou n'est pas accessible avec cette clé.",
    405: "Cette méthode n'est pas permise sur cette adresse.",
    406: "Cette adresse ne répond qu'en JSON.",
    409: "La requête entre en conflit avec l'état de la ressource.",
    413: "Le corps de la requête dépasse la taille maximale (10 Mo par fichier).",
    415: "Le corps de la requête doit être en JSON (ou multipart/form-data pour les fichiers).",
    422: "Certaines données sont invalides : voir « erreurs ».",
    429: "Trop de requêtes pour cette clé : réessayez après le délai indiqué par Retry-After.",
    500: "Une erreur inattendue est survenue ; l'équipe technique a été prévenue.",
    503: "Le service est momentanément très sollicité : réessayez dans quelques secondes.",
}

# marshmallow's and webargs's messages, in French.
FRENCH = {
    "Missing data for required field.": "Champ obligatoire.",
    "Field may not be null.": "Ce champ ne peut pas être nul.",
    "Not a valid string.": "Texte attendu.",
    "Not a valid integer.": "Nombre entier attendu.",
    "Not a valid number.": "Nombre attendu.",
    "Not a valid boolean.": "Booléen attendu (true ou false).",
    "Not a valid date.": "Date attendue au format AAAA-MM-JJ.",
    "Not a valid datetime.": "Date et heure attendues au format ISO 8601.",
    "Not a valid list.": "Liste attendue.",
    "Not a valid mapping type.": "Objet attendu.",
    "Invalid input type.": "Type de valeur invalide.",
    "Unknown field.": "Champ inconnu.",
    "Invalid value.": "Valeur invalide.",
    "Not a valid decimal.": "Montant décimal attendu (ex. \"1234.50\").",
    "Special numeric values (nan or infinity) are not permitted.": "Valeur numérique invalide.",
    "Field may not be blank.": "Ce champ ne peut pas être vide.",
    "Not a valid UUID.": "Identifiant invalide.",
    "Invalid JSON body.": "Corps JSON invalide.",
}


def french(message):
    message = str(message)
    if message in FRENCH:
        return FRENCH[message]
    if message.startswith("Must be one of"):
        return "Valeur non reconnue : " + message.split(":", 1)[-1].strip().rstrip(".")
    if message.startswith("Must be greater than or equal to") and " and less than or equal to " in message:
        low, high = message[len("Must be greater than or equal to "):].rstrip(".").split(" and less than or equal to ")
        return f"Valeur hors limites (entre {low} et {high})."
    if message.startswith("Must be greater than or equal to"):
        return "Valeur trop petite (minimum " + message.rsplit(" ", 1)[-1].rstrip(".") + ")."
    if message.startswith("Must be less than or equal to"):
        return "Valeur trop grande (maximum " + message.rsplit(" ", 1)[-1].rstrip(".") + ")."
    if message.startswith("Longer than maximum length"):
        return "Texte trop long (maximum " + message.rsplit(" ", 1)[-1].rstrip(".") + " caractères)."
    if message.startswith("Shorter than minimum length"):
        return "Texte trop court (minimum " + message.rsplit(" ", 1)[-1].rstrip(".") + " caractères)."
    if message.startswith("Length must be between"):
        return "Longueur invalide (" + message.split("between", 1)[-1].strip().rstrip(".") + ")."
    if message.startswith("String does not match expected pattern"):
        return "Format invalide."
    if message.isascii() and message[:1].isupper() and " " in message and message.endswith("."):
        return "Valeur invalide."  # any other English message of a library: never shown as is
    return message


def field_errors(messages, prefix=""):
    """Flatten marshmallow/webargs messages ({"json": {"employeur": {"siret": ["…"]}}}) into
    [{"champ": "employeur.siret", "message": "…"}]."""
    found = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if not prefix and key in ("json", "query", "form", "files", "headers", "view_args", "json_or_form",
                                       "form_and_files"):
                found.extend(field_errors(value, ""))
                continue
            name = f"{prefix}[{key}]" if isinstance(key, int) else (f"{prefix}.{key}" if prefix else str(key))
            if key == "_schema":
                name = prefix
            found.extend(field_errors(value, name))
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            found.extend({"champ": prefix, "message": french(m)} for m in messages)
        else:
            for m in messages:
                found.extend(field_errors(m, prefix))
    else:
        found.append({"champ": prefix, "message": french(messages)})
    return found


class ApiProblem(HTTPException):
    """An API refusal with its own code, French detail and field errors."""

    def __init__(self, status, detail=None, code=None, errors=None, headers=None):
        super().__init__(description=detail)
        self.code = status
        self.problem_code = code
        self.detail = detail
        self.errors = errors or []
        self.extra_headers = headers or {}


def problem_response(status, detail=None, code=None, errors=None, headers=None):
    default_code, title = STATUS.get(status, (f"http_{status}", "Erreur"))
    body = {"type": PROBLEM_TYPE + (code or default_code), "title": title, "status": status,
            "detail": detail or DETAILS.get(status, title), "code": code or default_code}
    if status != 404:  # a 404's address may carry another organisation's number: never echoed back
        body["instance"] = request.path
    if errors:
        body["erreurs"] = errors
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status,
                                          mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_exception(error):
    """Every error of an API route, as a problem document; never an HTML page, never a bare 500."""
    if isinstance(error, ApiProblem):
        return problem_response(error.code, error.detail, error.problem_code, error.errors, error.extra_headers)
    if isinstance(error, HTTPException):
        data = getattr(error, "data", None) or {}
        messages = data.get("errors") or data.get("messages")
        headers = dict(data.get("headers") or {})
        if error.code == 429:
            headers.update({k: v for k, v in (error.get_headers() or []) if k.lower() == "retry-after"})
            retry = getattr(error, "retry_after", None)
            if "Retry-After" not in headers:
                headers["Retry-After"] = str(int(retry) if retry else 60)
        if error.code == 422 and messages:
            return problem_response(422, errors=field_errors(messages), headers=headers)
        if error.code == 400 and messages:  # webargs: a body that is not JSON
            return problem_response(400, errors=field_errors(messages), headers=headers)
        return problem_response(error.code or 500, headers=headers)
    if isinstance(error, (DataError, OverflowError)):
        return problem_response(422, "Une valeur est hors des limites acceptées.", code="valeur_hors_limites")
    if isinstance(error, OperationalError):
        from infrastructure.numbering import is_busy
        if is_busy(error):
            return problem_response(503, headers={"Retry-After": "5"})
    current_app.logger.exception("Erreur de l'API sur %s %s", request.method, request.path)
    return problem_response(500)


class ProblemFieldSchema(ma.Schema):
    champ = ma.fields.String(metadata={"description": "Chemin du champ en erreur (ex. employeur.siret)."})
    message = ma.fields.String(metadata={"description": "Message en français."})


class ProblemSchema(ma.Schema):
    """Documents the error body (RFC 9457 problem details)."""

    type = ma.fields.String(metadata={"description": "URI du type d'erreur."})
    title = ma.fields.String(metadata={"description": "Intitulé de l'erreur."})
    status = ma.fields.Integer(metadata={"description": "Code HTTP."})
    detail = ma.fields.String(metadata={"description": "Explication en français."})
    code = ma.fields.String(metadata={"description": "Code machine (ex. cle_invalide, donnees_invalides)."})
    instance = ma.fields.String(metadata={"description": "Adresse de la requête."})
    erreurs = ma.fields.List(ma.fields.Nested(ProblemFieldSchema),
                             metadata={"description": "Erreurs par champ (422)."})
