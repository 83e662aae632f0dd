"""`POST /api/v1/contrats`: a CERFA deposited by a CFA's software becomes a proposal *transmis par API* the
employer sees in its space, or — under a management mandate — a dossier *reçu*; a refused CERFA lists its
errors per field in French and creates nothing."""
import base64

import models
from models.states import ProposalState
from rules import cerfa_fields as cerfa
from tests.factories import make_pdf
from tests.portal.proposals_data import complete_data

from .conftest import ApiClient

PROBLEM = "application/problem+json"


def payload(flat):
    """The API's nested JSON from the catalogue's {dotted key: stored string} (booleans and integers typed)."""
    body = {}
    for key, value in flat.items():
        spec = cerfa.FIELDS_BY_KEY[key]
        if spec.kind == "bool":
            value = value == cerfa.YES
        elif spec.kind == "int":
            value = int(value)
        *parents, leaf = key.split(".")
        node = body
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return body


def cerfa_of(organisation_name="CFA Sud", employer_siret="44120907900017", **overrides):
    """A complete CERFA of the demo's organisation for the demo employer Garage Central."""
    organisation = models.Organisation.get(models.Organisation.name == organisation_name)
    employer = models.Employer.get(models.Employer.siret == employer_siret)
    flat = complete_data(organisation, employer, **{"contrat.salaireEmbauche": "800.00", "formation.rncp": known_rncp(),
                                                    **overrides})
    for key in [k for k, spec in cerfa.FIELDS_BY_KEY.items() if spec.by_employer]:
        flat.pop(key, None)  # without a mandate the employer fills its own fields
    return flat


def known_rncp():
    """An RNCP code of the demo's NPEC referential (the mandate path checks codes against it)."""
    return models.NpecReference.select(models.NpecReference.rncp_code).order_by(models.NpecReference.rncp_code).scalar()


def counts():
    return {m.__name__: m.select().count() for m in (models.ContractProposal, models.ProposalStep, models.Dossier,
                                                      models.Document, models.AuditEntry, models.Employer,
                                                      models.User, models.Notification, models.IdempotencyRecord)}


def test_a_valid_cerfa_becomes_a_proposal_transmitted_by_api_that_the_employer_sees(sud_api, make_client):
    response = sud_api.post("/api/v1/contrats", json=payload(cerfa_of()))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    proposal = models.ContractProposal.get_by_id(body["numeroProposition"])
    assert body == {"numeroProposition": proposal.id, "etatProposition": "transmis_api",
                    "libelleEtatProposition": "Transmis par API CFA", "numeroInterneDossier": None,
                    "etatDossier": None, "destinataires": ["rh@garage-central.test"]}
    assert response.headers["Location"].endswith(f"/portail/propositions/{proposal.id}")
    assert proposal.organisation.name == "CFA Sud" and proposal.state == ProposalState.FROM_API.value
    assert proposal.data["employeur.siret"] == "44120907900017" and proposal.api_key_id is not None
    assert [s.state for s in proposal.steps.order_by(models.ProposalStep.id)] == ["brouillon", "transmis_api"]

    employer = make_client("rh@garage-central.test")
    listing = employer.get("/portail/").get_data(as_text=True)
    assert "LEBLANC" in listing and "Transmis par API CFA" in listing
    page = employer.get(f"/portail/entreprise/propositions/{proposal.id}")
    assert page.status_code == 200 and "Accepter" in page.get_data(as_text=True)
    assert models.OutboxEmail.select().where(models.OutboxEmail.recipient == "rh@garage-central.test").exists()

    cfa = make_client("admin@cfa-sud.test")
    assert cfa.get(response.headers["Location"]).status_code == 200


def test_every_write_is_audited_with_the_keys_prefix_and_name(demo, make_key, api_client):
    key, raw = make_key("CFA Sud", "Ypareo production")
    response = api_client(raw).post("/api/v1/contrats", json=payload(cerfa_of()))
    assert response.status_code == 201
    entries = list(models.AuditEntry.select().where(models.AuditEntry.entity == "contract_proposal")
                   .order_by(models.AuditEntry.id))
    assert [e.action for e in entries][-2:] == ["create", "send_from_api"]
    assert {e.actor for e in entries[-2:]} == {f"clé API {key.prefix} « Ypareo production »"}
    assert all(e.user_id is None for e in entries[-2:])


def test_an_invalid_cerfa_is_refused_field_by_field_in_french_and_creates_nothing(sud_api):
    flat = cerfa_of(**{"employeur.siret": "12345678900000", "contrat.dateFinContrat": "2026-10-01",
                       "contrat.remunerationsAnnuelles.1.taux": "20"})
    del flat["apprenti.nom"]
    before = counts()
    response = sud_api.post("/api/v1/contrats", json=payload(flat))
    assert response.status_code == 422 and response.mimetype == PROBLEM
    body = response.get_json()
    assert body["code"] == "contrat_refuse"
    fields = {e["champ"]: e["message"] for e in body["erreurs"]}
    assert fields["apprenti.nom"] == "Champ obligatoire"
    assert "SIRET" in fields["employeur.siret"]
    assert "contrat.dateFinContrat" in fields and "6 mois" in fields["contrat.dateFinContrat"]
    assert fields["contrat.remunerationsAnnuelles.1.taux"].startswith("Au moins 43 % du SMIC")
    assert counts() == before


def test_a_payload_of_the_wrong_types_is_refused_with_french_messages_and_dotted_paths(sud_api):
    body = payload(cerfa_of())
    body["contrat"]["dateDebutContrat"] = "01/09/2026"
    body["employeur"]["nombreDeSalaries"] = "beaucoup"
    body["apprenti"]["sexe"] = "X"
    body["employeur"]["inconnu"] = "?"
    before = counts()
    response = sud_api.post("/api/v1/contrats", json=body)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    fields = {e["champ"]: e["message"] for e in response.get_json()["erreurs"]}
    assert fields["contrat.dateDebutContrat"] == "Date attendue au format AAAA-MM-JJ."
    assert fields["employeur.nombreDeSalaries"] == "Nombre entier attendu."
    assert fields["apprenti.sexe"].startswith("Valeur non reconnue")
    assert fields["employeur.inconnu"] == "Champ inconnu."
    assert counts() == before
    assert sud_api.post("/api/v1/contrats", data="pas du json", content_type="application/json").status_code in (400, 422)
    assert sud_api.post("/api/v1/contrats", json=[1, 2]).status_code == 422
    assert counts() == before


def test_under_a_management_mandate_the_cerfa_becomes_a_received_dossier_shown_as_deposited_by_api(
        demo, make_key, api_client, make_client):
    key, raw = make_key("CFA Sud", "Gesti")
    flat = complete_data(models.Organisation.get(models.Organisation.name == "CFA Sud"),
                         models.Employer.get(models.Employer.siret == "44120907900017"),
                         **{"attestation.mandatGestion": "oui", "contrat.salaireEmbauche": "800.00",
                            "formation.rncp": known_rncp()})
    body = payload(flat)
    body["attestationMandat"] = base64.b64encode(make_pdf("Mandat de gestion")).decode()
    response = api_client(raw).post("/api/v1/contrats", json=body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    dossier = models.Dossier.get(models.Dossier.number == answer["numeroInterneDossier"])
    assert (answer["etatProposition"], answer["etatDossier"]) == ("accepte", "recu")
    assert dossier.state == "recu" and dossier.under_mandate and dossier.organisation.name == "CFA Sud"
    assert response.headers["Location"] == f"/api/v1/dossiers/{dossier.number}"
    mandate = models.Document.get(models.Document.doc_type == "mandat", models.Document.dossier == dossier.id)
    assert mandate.original_name == "attestation-mandat.pdf"

    page = make_client("admin@cfa-sud.test").get(f"/portail/dossiers/{dossier.number}").get_data(as_text=True)
    assert "Déposé par API" in page and key.prefix in page and "Gesti" in page
    staff = make_client("conseiller@opco.test").get(f"/admin/dossier/details/?id={dossier.id}")
    assert "Déposé par API" in staff.get_data(as_text=True)
    deposit = models.AuditEntry.get((models.AuditEntry.entity == "dossier") & (models.AuditEntry.action == "deposit")
                                    & (models.AuditEntry.entity_id == str(dossier.id)))
    assert deposit.actor == f"clé API {key.prefix} « Gesti »"


def test_a_mandate_needs_its_attestation_and_a_bad_one_is_refused(sud_api):
    flat = complete_data(models.Organisation.get(models.Organisation.name == "CFA Sud"),
                         models.Employer.get(models.Employer.siret == "44120907900017"),
                         **{"attestation.mandatGestion": "oui", "contrat.salaireEmbauche": "800.00",
                            "formation.rncp": known_rncp()})
    before = counts()
    missing = sud_api.post("/api/v1/contrats", json=payload(flat))
    assert missing.status_code == 422
    assert [e["champ"] for e in missing.get_json()["erreurs"]] == ["attestationMandat"]
    body = dict(payload(flat), attestationMandat=base64.b64encode(b"<html>pas un pdf</html>").decode())
    fake = sud_api.post("/api/v1/contrats", json=body)
    assert fake.status_code == 422 and "PDF" in fake.get_json()["erreurs"][0]["message"]
    body["attestationMandat"] = "%%% pas du base64"
    assert sud_api.post("/api/v1/contrats", json=body).status_code == 422
    assert counts() == before


def test_a_dossier_from_the_portal_is_not_shown_as_deposited_by_api(demo, make_client):
    number = models.Dossier.select().where(models.Dossier.state == "recu").first().number
    page = make_client("admin@cfa-ouest.test").get(f"/portail/dossiers/{number}").get_data(as_text=True)
    assert "Déposé par API" not in page


def test_the_schema_of_the_cerfa_is_generated_from_the_catalogue(app, db):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/contrats"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    schemas = spec["components"]["schemas"]

    def leaves(name, prefix=""):
        for key, prop in schemas[name]["properties"].items():
            target = prop.get("$ref") or next((p["$ref"] for p in prop.get("anyOf", []) if "$ref" in p), None)
            if target:
                yield from leaves(target.rsplit("/", 1)[-1], f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}"

    assert set(leaves(ref)) == set(cerfa.FIELDS_BY_KEY) | {"attestationMandat"}
    assert "201" in operation["responses"] and "422" in operation["responses"]


def test_a_key_without_organisation_rights_on_proposals_gets_nothing(demo, make_key, api_client):
    assert isinstance(api_client(None), ApiClient)
    before = counts()
    response = api_client("pcfa_" + "y" * 43).post("/api/v1/contrats", json=payload(cerfa_of()))
    assert response.status_code == 401
    assert counts() == before
