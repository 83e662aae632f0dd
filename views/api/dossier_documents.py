"""`POST /api/v1/dossiers/{numero}/documents`: a typed PDF joined to a dossier, as the portal's *Joindre un
document* (the same types, the same content checks, 10 MB at most)."""
from functools import wraps

import marshmallow as ma
from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from access import scope as scoped
from infrastructure.numbering import immediate_transaction
from models import Dossier
from views.portal.dossiers import UPLOAD_TYPES
from workflows.documents import DocumentError, DocumentTooLarge, store_upload

from . import api_blueprint
from .auth import current_api_scope
from .idempotency import idempotent
from .problems import ApiProblem

MULTIPART = "form_and_files"  # one schema for a multipart body's fields and files: one documented requestBody


@Blueprint.ARGUMENTS_PARSER.location_loader(MULTIPART)
def _form_and_files(request, schema):
    return MultiDictProxy(CombinedMultiDict([request.form, request.files]), schema)


def multipart(blueprint):
    """Let `blueprint` document the MULTIPART location as a multipart/form-data request body."""
    blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                                       MULTIPART: "multipart/form-data"}
    return blueprint


blp = multipart(api_blueprint("api_documents", __name__, "Pièces jointes aux dossiers (PDF)."))


def dossier_in_scope(number):
    """The dossier of this number among the key's (its organisation's and its delegators'), else a 404 problem:
    another organisation's number is answered exactly like an unknown one."""
    dossier = scoped.dossiers(current_api_scope()).where(Dossier.number == str(number)[:20]).first()
    if dossier is None:
        raise ApiProblem(404, "Aucun dossier de ce numéro n'est accessible avec cette clé.")
    return dossier


def with_dossier(view):
    """Load the path's dossier in the key's scope before the body is read: outside it, 404 whatever the body."""

    @wraps(view)
    def wrapper(*args, numero, **kwargs):
        return view(*args, dossier=dossier_in_scope(numero), **kwargs)

    return wrapper


class DocumentUploadSchema(ma.Schema):
    typeDocument = ma.fields.String(required=True, validate=ma.validate.OneOf([code for code, _ in UPLOAD_TYPES]),
                                    metadata={"description": "Type du document : " + " ; ".join(
                                        f"{code} = {label}" for code, label in UPLOAD_TYPES) + ".",
                                        "example": "convention"})

    fichier = Upload(required=True, metadata={"description": "Le document : un PDF authentique (contrôlé sur son "
                                                             "contenu), 10 Mo au plus."})


class DocumentSchema(ma.Schema):
    identifiant = ma.fields.Integer(metadata={"description": "Identifiant du document."})
    typeDocument = ma.fields.String(metadata={"example": "convention"})
    libelleType = ma.fields.String(metadata={"example": "Convention de formation"})
    nomFichier = ma.fields.String(metadata={"description": "Nom du fichier déposé.", "example": "convention.pdf"})
    taille = ma.fields.Integer(metadata={"description": "Taille en octets."})
    numeroInterneDossier = ma.fields.String(metadata={"example": "2026000123"})


@blp.route("/dossiers/<numero>/documents")
class DossierDocumentsView(MethodView):
    @idempotent
    @with_dossier
    @blp.arguments(DocumentUploadSchema, location=MULTIPART)
    @blp.response(201, DocumentSchema, headers={"Location": {
        "description": "Adresse de téléchargement du document sur le portail.", "schema": {"type": "string"}}})
    @blp.alt_response(404, description="Dossier inconnu ou hors du périmètre de la clé.")
    @blp.alt_response(413, description="Fichier de plus de 10 Mo.")
    @blp.alt_response(422, description="Type inconnu, fichier absent ou qui n'est pas un PDF.")
    def post(self, form, dossier):
        """Joindre un document à un dossier

        Envoi en multipart/form-data : `typeDocument` et `fichier` (PDF, 10 Mo au plus). Le fichier est
        contrôlé sur son contenu (un fichier renommé en .pdf ou un PDF contenant du HTML est refusé). Le
        document apparaît aussitôt sur la page du dossier du portail."""
        try:
            with immediate_transaction():  # the document and its audit entry, or nothing
                document = store_upload(form["fichier"], dossier.organisation, form["typeDocument"], dossier=dossier,
                                        label="Le document", user=current_api_scope())
        except DocumentTooLarge as error:
            raise ApiProblem(413, str(error)) from None
        except DocumentError as error:
            raise ApiProblem(422, errors=[{"champ": "fichier", "message": str(error)}]) from None
        body = {"identifiant": document.id, "typeDocument": document.doc_type,
                "libelleType": document.get_type_display(), "nomFichier": document.original_name,
                "taille": document.size, "numeroInterneDossier": dossier.number}
        return body, 201, {"Location": url_for("portal.document_download", document_id=document.id)}
