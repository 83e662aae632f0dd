"""The dossiers as the CFA's software reads them: the key's scope, the portal's figures, pages, filters, letters."""
import datetime as dt

import pytest

from infrastructure.formatting import montant
from models import (AuditEntry, ContractProposal, Dossier, Letter, Organisation, PaymentLine)
from models.states import DossierState, ProposalState
from tests.querycount import count_queries
from workflows.dossier_rules import dossier_balance, dossier_financing, stored_installments
from workflows.installments import invoiced_and_paid

from .openapi_check import assert_matches_schema

PROBLEM = "application/problem+json"


def numbers_of(organisation_name):
    return {d.number for d in Dossier.select(Dossier.number).join(Organisation)
            .where(Organisation.name == organisation_name)}


def every_page(client, url, key="dossiers"):
    items, page = [], 1
    while True:
        body = client.get(f"{url}{'&' if '?' in url else '?'}page={page}&parPage=100").get_json()
        items += body[key]
        if not body["pagination"]["suivante"]:
            return items
        page += 1


def paid_dossier_of(organisation_name):
    """A demo dossier of the organisation with payments, installments and a letter."""
    return (Dossier.select().join(Organisation).where(
        (Organisation.name == organisation_name) & Dossier.id.in_(PaymentLine.select(PaymentLine.dossier))
        & Dossier.id.in_(Letter.select(Letter.dossier))).order_by(Dossier.id).first())


@pytest.fixture
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def test_the_list_holds_the_keys_dossiers_and_its_delegators_and_nothing_else(sud_api, spec):
    listed = every_page(sud_api, "/api/v1/dossiers")
    assert {d["numeroInterneDossier"] for d in listed} == numbers_of("CFA Sud") | numbers_of("CFA Ouest")
    assert len(listed) == len({d["numeroInterneDossier"] for d in listed})
    response = sud_api.get("/api/v1/dossiers?parPage=100")
    assert_matches_schema(spec, "/api/v1/dossiers", response)


def test_other_organisations_keys_see_none_of_cfa_suds_own_dossiers(demo, make_key, api_client):
    ouest = api_client(make_key("CFA Ouest")[1])  # Ouest delegates to Sud, not the other way round
    assert {d["numeroInterneDossier"] for d in every_page(ouest, "/api/v1/dossiers")} == numbers_of("CFA Ouest")
    nord = api_client(make_key("CFA Nord")[1])
    assert {d["numeroInterneDossier"] for d in every_page(nord, "/api/v1/dossiers")} == numbers_of("CFA Nord")
    for number in sorted(numbers_of("CFA Sud"))[:5]:
        for client in (ouest, nord):
            response = client.get(f"/api/v1/dossiers/{number}")
            assert response.status_code == 404 and response.mimetype == PROBLEM
            assert response.get_json()["code"] == "introuvable"


def test_an_item_names_its_dossier_in_the_norms_fields(sud_api):
    dossier = Dossier.select().join(Organisation).where(Organisation.name == "CFA Ouest").order_by(Dossier.id.desc()).first()
    item = next(d for d in every_page(sud_api, "/api/v1/dossiers") if d["numeroInterneDossier"] == dossier.number)
    assert item["etat"] == dossier.state and item["etatLibelle"] == DossierState(dossier.state).label
    assert item["employeur"] == {"siret": dossier.employer.siret, "denomination": dossier.employer.name}
    assert item["apprenti"]["nom"] == dossier.apprentice.birth_name.upper()
    assert item["apprenti"]["prenom"] == dossier.apprentice.first_name
    assert item["contrat"]["dateDebutContrat"] == dossier.contract_start.isoformat()
    assert item["contrat"]["dateFinContrat"] == dossier.contract_end.isoformat()
    assert item["formation"]["rncp"] == dossier.rncp_code and item["formation"]["codeDiplome"] == dossier.diploma_code
    assert item["organismeFormation"]["denomination"] == "CFA Ouest"
    assert item["organismeFormation"]["uaiCfa"] == dossier.organisation.uai
    assert item["numeroDeca"] == dossier.deca_number and item["deposeParApi"] is False
    assert item["modifieLe"] == dossier.updated_at.astimezone().isoformat()


def test_the_dossier_page_figures_are_the_portals(sud_api, spec, make_client):
    dossier = paid_dossier_of("CFA Sud")
    response = sud_api.get(f"/api/v1/dossiers/{dossier.number}")
    assert response.status_code == 200
    assert_matches_schema(spec, f"/api/v1/dossiers/{dossier.number}", response)
    body = response.get_json()
    balance = dossier_balance(dossier)
    financing = dossier_financing(dossier, balance.annual_budget)
    assert body["engagement"]["npecAnnuel"] == f"{financing['teaching']:.2f}"
    assert body["engagement"]["budgetAnnuel"] == f"{balance.annual_budget:.2f}"
    assert body["engagement"]["coutPedagogiqueTotal"] == f"{financing['total_financed']:.2f}"
    assert body["engagement"]["fraisAnnexes"]["hebergement"] == f"{financing['caps'].lodging:.2f}"
    assert body["solde"]["total"]["regle"] == f"{balance.total.paid:.2f}"
    assert body["solde"]["coutPedagogique"]["engage"] == f"{balance.teaching.committed:.2f}"
    assert body["solde"]["fraisAnnexes"]["resteAFacturer"] == f"{balance.annexes.remaining:.2f}"
    installments = stored_installments(dossier, include_cancelled=True)
    assert [e["numero"] for e in body["echeances"]] == [i.number for i in installments]
    for item, installment in zip(body["echeances"], installments):
        invoiced, paid = invoiced_and_paid(installment)
        assert (item["montantTotal"], item["montantFacture"], item["montantRegle"], item["etat"]) == (
            f"{installment.amount:.2f}", f"{invoiced:.2f}", f"{paid:.2f}", installment.status)
    lines = list(PaymentLine.select().where(PaymentLine.dossier == dossier.id))
    assert sorted(r["referenceVirement"] for r in body["reglements"]) == sorted(line.payment.reference for line in lines)
    assert sum(float(r["montant"]) for r in body["reglements"]) == pytest.approx(float(balance.total.paid))
    # the portal's dossier page shows the same balance
    page = make_client("admin@cfa-sud.test").get(f"/portail/dossiers/{dossier.number}").get_data(as_text=True)
    for name, figure in (("engage", "committed"), ("facture", "invoiced"), ("regle", "paid"),
                         ("resteAFacturer", "remaining")):
        row = page.split(f'data-figure="{figure}"')[1].split("</tr>")[0]
        assert montant(body["solde"]["total"][name]) in row


def test_a_delegators_dossier_is_read_through_the_delegate_key(sud_api):
    number = sorted(numbers_of("CFA Ouest"))[0]
    response = sud_api.get(f"/api/v1/dossiers/{number}")
    assert response.status_code == 200
    assert response.get_json()["organismeFormation"]["denomination"] == "CFA Ouest"


def test_the_state_filter_keeps_that_state_only(sud_api):
    engaged = every_page(sud_api, "/api/v1/dossiers?etat=engage")
    expected = {d.number for d in Dossier.select().join(Organisation).where(
        Organisation.name.in_(["CFA Sud", "CFA Ouest"]) & (Dossier.state == DossierState.ENGAGED))}
    assert engaged and {d["numeroInterneDossier"] for d in engaged} == expected
    assert {d["etat"] for d in engaged} == {"engage"}


def test_modified_since_keeps_the_dossiers_changed_from_that_moment(sud_api):
    changed = sorted(numbers_of("CFA Sud"))[:2]
    moment = dt.datetime(2030, 1, 2, 9, 30)
    Dossier.update(updated_at=moment).where(Dossier.number.in_(changed)).execute()
    body = sud_api.get("/api/v1/dossiers?modifieDepuis=2030-01-02T09:30:00").get_json()
    assert sorted(d["numeroInterneDossier"] for d in body["dossiers"]) == changed
    assert sud_api.get("/api/v1/dossiers?modifieDepuis=2030-01-02T09:30:01").get_json()["dossiers"] == []
    # with an offset, the moment is read in the server's time (that of the dates answered)
    in_utc = moment.astimezone(dt.timezone.utc)
    aware = sud_api.get("/api/v1/dossiers", query_string={"modifieDepuis": in_utc.isoformat()}).get_json()
    assert sorted(d["numeroInterneDossier"] for d in aware["dossiers"]) == changed
    later = (in_utc + dt.timedelta(seconds=1)).isoformat()
    assert sud_api.get("/api/v1/dossiers", query_string={"modifieDepuis": later}).get_json()["dossiers"] == []


def test_pages_follow_each_other_newest_first(sud_api):
    first = sud_api.get("/api/v1/dossiers?parPage=5").get_json()
    second = sud_api.get("/api/v1/dossiers?page=2&parPage=5").get_json()
    ten = sud_api.get("/api/v1/dossiers?parPage=10").get_json()
    fifth = Dossier.get(Dossier.number == first["dossiers"][-1]["numeroInterneDossier"]).id
    assert first["pagination"] == {"page": 1, "parPage": 5, "suivante": True, "curseurSuivant": fifth}
    assert second["pagination"]["page"] == 2
    assert [d["numeroInterneDossier"] for d in first["dossiers"] + second["dossiers"]] == [
        d["numeroInterneDossier"] for d in ten["dossiers"]]
    ids = [Dossier.get(Dossier.number == d["numeroInterneDossier"]).id for d in ten["dossiers"]]
    assert ids == sorted(ids, reverse=True)
    beyond = sud_api.get("/api/v1/dossiers?page=1000&parPage=100").get_json()
    assert beyond["dossiers"] == [] and beyond["pagination"]["suivante"] is False


def test_following_the_cursor_reads_every_dossier_of_the_scope_once_across_organisations(sud_api):
    seen, url = [], "/api/v1/dossiers?parPage=7"
    while True:
        body = sud_api.get(url).get_json()
        seen += [d["numeroInterneDossier"] for d in body["dossiers"]]
        cursor = body["pagination"]["curseurSuivant"]
        assert (cursor is None) == (not body["pagination"]["suivante"])
        if cursor is None:
            break
        url = f"/api/v1/dossiers?parPage=7&apres={cursor}"
    assert sorted(seen) == sorted(numbers_of("CFA Sud") | numbers_of("CFA Ouest"))
    assert len(seen) == len(set(seen))
    ids = [Dossier.get(Dossier.number == n).id for n in seen]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize("query,field", [("parPage=101", "parPage"), ("parPage=0", "parPage"), ("page=0", "page"),
                                         ("page=deux", "page"), ("etat=valide", "etat"),
                                         ("modifieDepuis=hier", "modifieDepuis")])
def test_a_bad_query_gets_a_422_problem_naming_the_field_in_french(sud_api, spec, query, field):
    response = sud_api.get(f"/api/v1/dossiers?{query}")
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert_matches_schema(spec, "/api/v1/dossiers", response)
    errors = response.get_json()["erreurs"]
    assert [e["champ"] for e in errors] == [field]
    message = errors[0]["message"]
    assert message and not message.startswith(("Must", "Not a valid")), message
    if field == "parPage":
        assert message == "Valeur hors limites (entre 1 et 100)."


def test_a_list_page_costs_the_same_sql_statements_whatever_its_size(sud_api, db):
    sud_api.get("/api/v1/dossiers?parPage=1")  # the key's first use writes its date
    with count_queries(db) as few:
        assert len(sud_api.get("/api/v1/dossiers?parPage=2").get_json()["dossiers"]) == 2
    with count_queries(db) as many:
        assert len(sud_api.get("/api/v1/dossiers?parPage=30").get_json()["dossiers"]) == 30
    assert len(many) == len(few), many


def test_deposited_by_api_is_true_for_a_dossier_whose_proposal_a_key_deposited(sud_api, make_key):
    by_key, by_hand = sorted(numbers_of("CFA Sud"))[:2]
    key, _ = make_key("CFA Sud")
    for number, key_id in ((by_key, key.id), (by_hand, None)):
        dossier = Dossier.get(Dossier.number == number)
        ContractProposal.create(organisation=dossier.organisation_id, state=ProposalState.ACCEPTED,
                                dossier=dossier.id, api_key_id=key_id)
    flags = {d["numeroInterneDossier"]: d["deposeParApi"] for d in every_page(sud_api, "/api/v1/dossiers")}
    assert flags[by_key] is True and flags[by_hand] is False
    assert sum(flags.values()) == 1
    assert sud_api.get(f"/api/v1/dossiers/{by_key}").get_json()["deposeParApi"] is True
    assert sud_api.get(f"/api/v1/dossiers/{by_hand}").get_json()["deposeParApi"] is False


def test_a_letter_is_served_as_a_pdf_in_scope_only_and_its_download_is_logged(sud_api, nord_api, spec):
    dossier = paid_dossier_of("CFA Sud")
    body = sud_api.get(f"/api/v1/dossiers/{dossier.number}").get_json()
    letter = Letter.select().where(Letter.dossier == dossier.id).order_by(Letter.id).first()
    item = next(c for c in body["courriers"] if c["id"] == letter.id)
    assert item["type"] == letter.kind and item["url"] == f"/api/v1/dossiers/{dossier.number}/courriers/{letter.id}"
    response = sud_api.get(item["url"])
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    entry = AuditEntry.select().where((AuditEntry.entity == "letter") & (AuditEntry.entity_id == str(letter.id))
                                      & (AuditEntry.action == "download")).order_by(AuditEntry.id.desc()).first()
    assert entry is not None and entry.actor.startswith("clé API pcfa_")
    assert nord_api.get(item["url"]).status_code == 404
    other = Letter.select().join(Dossier).where((Dossier.id != dossier.id)
                                                & (Dossier.organisation == dossier.organisation_id)).first()
    wrong_pair = sud_api.get(f"/api/v1/dossiers/{dossier.number}/courriers/{other.id}")
    assert wrong_pair.status_code == 404 and wrong_pair.mimetype == PROBLEM
    assert sud_api.get(f"/api/v1/dossiers/{dossier.number}/courriers/99999999").status_code == 404
    nord_letter = Letter.select().join(Dossier).join(Organisation).where(Organisation.name == "CFA Nord").first()
    assert sud_api.get(f"/api/v1/dossiers/{nord_letter.dossier.number}/courriers/{nord_letter.id}").status_code == 404


def test_the_openapi_document_describes_the_read_operations_in_french(spec):
    summaries = {(path, method): op.get("summary") for path, item in spec["paths"].items()
                 for method, op in item.items() if method in ("get", "post")}
    assert summaries[("/api/v1/dossiers", "get")] == "Liste des dossiers"
    assert summaries[("/api/v1/dossiers/{numero}", "get")] == "Un dossier"
    assert summaries[("/api/v1/dossiers/{numero}/courriers/{courrier_id}", "get")] == "Le PDF d'un courrier"
    assert summaries[("/api/v1/factures", "get")] == "Liste des factures"
    assert summaries[("/api/v1/factures/{numero}", "get")] == "Une facture"
    assert summaries[("/api/v1/reglements", "get")] == "Liste des règlements"
    money = spec["components"]["schemas"]["Echeance"]["properties"]["montantRegle"]
    assert (money["type"], money["format"]) == ("string", "decimal")
    params = {p["name"]: p for p in spec["paths"]["/api/v1/dossiers"]["get"]["parameters"]}
    assert params["etat"]["schema"]["enum"] == list(DossierState.values())
    assert params["parPage"]["schema"]["maximum"] == 100
    pdf = spec["paths"]["/api/v1/dossiers/{numero}/courriers/{courrier_id}"]["get"]["responses"]["200"]
    assert list(pdf["content"]) == ["application/pdf"]
