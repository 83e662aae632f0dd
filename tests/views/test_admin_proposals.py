"""Back-office contract proposals (issue 12, item 9): every state, filters, search, export, details with history."""
import csv
import html
import datetime as dt
import io

import pytest

import models


@pytest.fixture
def proposals(factory):
    sud = factory.organisation(name="CFA Sud")
    nord = factory.organisation(name="CFA Nord")
    cfa_user = factory.cfa_user(sud, first_name="Camille", last_name="Saisie")
    employer_user = factory.employer_user(first_name="Claire", last_name="Employeur")
    rows = {}
    for key, org, siret, last, state in (
            ("draft", sud, "11111111111111", "BROUILLON", "brouillon"),
            ("sent", sud, "22222222222222", "ENVOYE", "envoye"),
            ("refused", nord, "22222222222222", "REFUSE", "refuse_entreprise"),
            ("accepted", nord, "33333333333333", "ACCEPTE", "accepte")):
        rows[key] = models.ContractProposal.create(
            organisation=org, employer_siret=siret, employer_name=f"Employeur {siret[:2]}",
            apprentice_last_name=last, apprentice_first_name="Léa", state=state,
            data={"apprenti.nom": last, "apprenti.prenom": "Léa", "contrat.dateDebutContrat": "2026-09-01",
                  "contrat.dateFinContrat": "2028-08-31"})
    old = rows["draft"]
    old.created_at = dt.datetime(2025, 1, 15, 9, 0)
    old.save()
    sent = rows["sent"]
    models.ProposalStep.create(proposal=sent, state="brouillon", by=cfa_user, note="Saisie",
                               at=dt.datetime(2026, 5, 2, 10, 0))
    models.ProposalStep.create(proposal=sent, state="envoye", by=cfa_user, note="Envoi à l'entreprise",
                               at=dt.datetime(2026, 5, 3, 11, 30))
    models.ProposalStep.create(proposal=rows["refused"], state="refuse_entreprise", by=employer_user,
                               note="Poste supprimé", at=dt.datetime(2026, 5, 4, 9, 0))
    dossier = factory.dossier(organisation=nord, number="2026555001")
    rows["accepted"].dossier = dossier
    rows["accepted"].save()
    rows["dossier"] = dossier
    return rows


@pytest.fixture
def staff(factory, make_client):
    return make_client(factory.staff("conseiller").email)


def _filter(app, label):
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == "contractproposal")
    return next(i for i, f in enumerate(view._filters) if str(f.name) == label)


def shown(page, rows):
    return {key for key, row in rows.items() if key != "dossier" and row.apprentice_last_name in page}


def test_the_list_shows_every_state_with_its_french_label_and_dossier(staff, proposals):
    page = html.unescape(staff.get("/admin/contractproposal/").get_data(as_text=True))
    assert shown(page, proposals) == {"draft", "sent", "refused", "accepted"}
    for label in ("En cours de saisie", "Envoyé à l'entreprise", "Refusé par l'entreprise", "Accepté (dossier créé)"):
        assert label in page
    assert "2026555001" in page and "01/09/2026" in page


def test_filters_by_state_cfa_employer_siret_and_date(app, staff, proposals):
    state = staff.get(f"/admin/contractproposal/?flt0_{_filter(app, 'État')}=envoye").get_data(as_text=True)
    assert shown(state, proposals) == {"sent"}
    cfa = staff.get(f"/admin/contractproposal/?flt0_{_filter(app, 'Nom du CFA')}=Nord").get_data(as_text=True)
    assert shown(cfa, proposals) == {"refused", "accepted"}
    siret_filter = _filter(app, "SIRET de l'employeur")
    siret = staff.get(f"/admin/contractproposal/?flt0_{siret_filter}=22222222222222")
    assert shown(siret.get_data(as_text=True), proposals) == {"sent", "refused"}
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == "contractproposal")
    before = next(i for i, f in enumerate(view._filters)
                  if str(f.name) == "Créé le" and type(f).__name__ == "DateTimeSmallerFilter")
    old = staff.get(f"/admin/contractproposal/?flt0_{before}=2025-06-01 00:00:00").get_data(as_text=True)
    assert shown(old, proposals) == {"draft"}


def test_search_finds_an_apprentice_or_an_employer(staff, proposals):
    assert shown(staff.get("/admin/contractproposal/?search=refuse").get_data(as_text=True), proposals) == {"refused"}
    assert shown(staff.get("/admin/contractproposal/?search=33333333333333").get_data(as_text=True),
                 proposals) == {"accepted"}


def test_the_csv_export_honours_the_filters(app, staff, proposals):
    response = staff.get(f"/admin/contractproposal/export/csv/?flt0_{_filter(app, 'Nom du CFA')}=Nord")
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert "État" in header and "Nom de l'apprenti" in header and "Dossier" in header and "CFA" in header
    names = {row[header.index("Nom de l'apprenti")] for row in body}
    assert names == {"REFUSE", "ACCEPTE"}
    accepted = next(row for row in body if row[header.index("Nom de l'apprenti")] == "ACCEPTE")
    assert accepted[header.index("Dossier")] == "2026555001"
    assert accepted[header.index("État")] == "Accepté (dossier créé)"


def test_details_show_the_history_with_who_and_when(staff, proposals):
    sent = proposals["sent"]
    page = html.unescape(staff.get(f"/admin/contractproposal/details/?id={sent.id}").get_data(as_text=True))
    assert 'id="proposal-history"' in page
    history = page[page.index('id="proposal-history"'):]
    assert history.index("02/05/2026 10:00") < history.index("03/05/2026 11:30")
    assert "Camille Saisie" in history and "Envoi à l'entreprise" in history and "Envoyé à l'entreprise" in history
    assert f"/admin/contractproposal/{sent.id}/cerfa.pdf" in page
    refused = html.unescape(staff.get(f"/admin/contractproposal/details/?id={proposals['refused'].id}")
                            .get_data(as_text=True))
    assert "Claire Employeur" in refused and "Poste supprimé" in refused


def test_the_proposal_links_to_its_dossier_and_back(staff, proposals):
    accepted, dossier = proposals["accepted"], proposals["dossier"]
    page = staff.get(f"/admin/contractproposal/details/?id={accepted.id}").get_data(as_text=True)
    assert f"/admin/dossier/details/?id={dossier.id}" in page
    back = staff.get(f"/admin/dossier/details/?id={dossier.id}").get_data(as_text=True)
    assert f"/admin/contractproposal/details/?id={accepted.id}" in back


def test_the_proposal_cerfa_downloads_from_the_back_office(staff, proposals):
    response = staff.get(f"/admin/contractproposal/{proposals['sent'].id}/cerfa.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert staff.get("/admin/contractproposal/999999/cerfa.pdf").status_code == 404


def test_the_list_is_read_only_and_staff_only(staff, proposals, make_client, factory):
    page = staff.get("/admin/contractproposal/").get_data(as_text=True)
    assert "/admin/contractproposal/new/" not in page and "/admin/contractproposal/edit/" not in page
    cfa = make_client(factory.cfa_user().email)
    assert cfa.get("/admin/contractproposal/").status_code == 403
    assert cfa.get(f"/admin/contractproposal/{proposals['sent'].id}/cerfa.pdf").status_code == 403
