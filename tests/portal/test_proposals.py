"""Contract pre-entry by a CFA through the real URLs: drafts, the nine tabs and their error counts, sending to
the employer (email, notification, invitation), duplicate, delete, history."""
import re

import pytest

import models
from models.settings import seed_smic_rates
from rules import cerfa_fields as fields
from tests.proposal_data import EMPLOYER_SIRET, complete_data


@pytest.fixture
def cfa(factory, make_client):
    seed_smic_rates()
    org = factory.organisation(name="CFA des Métiers", siret="35600000000048", uai="0751234J",
                               street="1 avenue du CFA", postal_code="69007", city="Lyon")
    user = factory.cfa_user(org, email="admin@cfa-metiers.test", first_name="Camille", last_name="Martin")
    return make_client(user.email), org, user


def form_of(tab, data):
    """The POST body of one tab for the catalogue `data` (dates typed jj/mm/aaaa, booleans as checkboxes)."""
    body = {}
    for spec in fields.fields_of(tab):
        value = data.get(spec.key, "")
        name = spec.key.replace(".", "__")
        if spec.kind == "date" and value:
            y, m, d = value.split("-")
            body[name] = f"{d}/{m}/{y}"
        elif spec.kind == "bool":
            if value == "oui":
                body[name] = "y"
        else:
            body[name] = value
    return body


def new_draft(client, **values):
    body = {k.replace(".", "__"): v for k, v in values.items()}
    return client.post_form("/portail/propositions/nouvelle", body)


def proposal_id_of(response):
    return int(re.search(r"/propositions/(\d+)/", response.headers["Location"]).group(1))


def fill_everything(client, pid, data):
    for tab in fields.TAB_KEYS:
        if fields.fields_of(tab):
            response = client.post_form(f"/portail/propositions/{pid}/saisie?onglet={tab}", form_of(tab, data))
            assert response.status_code == 302, (tab, response.get_data(as_text=True)[:3000])


def tab_counts(html):
    return {key: int(count) for key, count in
            re.findall(r'id="tab-(\w+)"[^>]*>[^<]*(?:<span class="badge badge-danger" data-errors="(\d+)")?', html)
            if count}


def test_a_draft_with_the_employer_siret_takes_the_cfa_siret_from_the_organisation(cfa):
    client, org, _ = cfa
    response = new_draft(client, **{"employeur.siret": "732 829 320 00074"})
    assert response.status_code == 302
    proposal = models.ContractProposal.get_by_id(proposal_id_of(response))
    assert proposal.state == "brouillon" and proposal.organisation_id == org.id
    assert proposal.data["employeur.siret"] == EMPLOYER_SIRET
    assert proposal.data["organismeFormation.siret"] == org.siret
    assert proposal.data["organismeFormation.uaiCfa"] == "0751234J"
    assert [s.state for s in proposal.steps] == ["brouillon"]
    assert models.AuditEntry.select().where((models.AuditEntry.entity == "contract_proposal")
                                            & (models.AuditEntry.action == "create")).count() == 1


def test_a_draft_with_the_employer_name_and_the_apprentice_name(cfa):
    client, _, _ = cfa
    response = new_draft(client, **{"employeur.denomination": "Garage Central", "apprenti.nom": "Martin",
                                    "apprenti.prenom": "Lucas"})
    assert response.status_code == 302
    proposal = models.ContractProposal.get_by_id(proposal_id_of(response))
    assert (proposal.employer_name, proposal.apprentice_last_name, proposal.apprentice_first_name) == (
        "Garage Central", "Martin", "Lucas")


def test_a_draft_without_either_minimum_is_refused_and_what_was_typed_stays(cfa, factory, make_client):
    org = factory.organisation(name="CFA sans SIRET saisi")
    client = make_client(factory.cfa_user(org).email)
    models.Organisation.update(siret="").where(models.Organisation.id == org.id).execute()
    response = new_draft(client, **{"employeur.denomination": "Garage Central", "apprenti.nom": "Martin"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "SIRET de l&#39;employeur et du CFA, ou raison sociale" in html
    assert 'value="Garage Central"' in html
    assert models.ContractProposal.select().count() == 0


def test_a_bad_siret_is_a_field_error_not_a_draft(cfa):
    client, _, _ = cfa
    response = new_draft(client, **{"employeur.siret": "12345678901234"})
    assert response.status_code == 400
    assert "SIRET invalide (clé de contrôle)" in response.get_data(as_text=True)
    assert models.ContractProposal.select().count() == 0


def test_a_half_filled_proposal_shows_its_errors_counted_on_each_tab(cfa):
    client, _, _ = cfa
    pid = proposal_id_of(new_draft(client, **{"employeur.siret": EMPLOYER_SIRET}))
    data = complete_data()
    for tab in ("employeur", "formation"):
        assert client.post_form(f"/portail/propositions/{pid}/saisie?onglet={tab}", form_of(tab, data)).status_code == 302
    young_master = {**data, "maitre1.dateNaissance": "2012-01-01"}
    partial = {k: v for k, v in young_master.items() if k.startswith("maitre1.") and k != "maitre1.courriel"}
    assert client.post_form(f"/portail/propositions/{pid}/saisie?onglet=maitres", form_of("maitres", partial)).status_code == 302
    html = client.get(f"/portail/propositions/{pid}/saisie?onglet=maitres").get_data(as_text=True)
    counts = tab_counts(html)
    assert "employeur" not in counts and "formation" not in counts  # complete tabs: no badge
    assert counts["apprenti"] >= 10  # nothing typed there yet
    assert counts["maitres"] == 1  # the e-mail (the age is checked once the contract's start is known)
    assert "Champ obligatoire" in html and 'class="invalid-feedback d-block rule-error"' in html
    client.post_form(f"/portail/propositions/{pid}/saisie?onglet=contrat", form_of("contrat", data))
    html = client.get(f"/portail/propositions/{pid}/saisie?onglet=maitres").get_data(as_text=True)
    assert tab_counts(html)["maitres"] == 2
    assert "doit avoir au moins 18 ans" in html


def test_a_format_error_re_displays_the_tab_with_what_was_typed(cfa):
    client, _, _ = cfa
    pid = proposal_id_of(new_draft(client, **{"employeur.siret": EMPLOYER_SIRET}))
    body = form_of("employeur", complete_data(**{"employeur.naf": "45", "employeur.denomination": "Garage <Central>"}))
    response = client.post_form(f"/portail/propositions/{pid}/saisie?onglet=employeur", body)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Code NAF invalide" in html and "Garage &lt;Central&gt;" in html
    assert "employeur.naf" not in models.ContractProposal.get_by_id(pid).data


def test_sending_is_refused_with_the_failing_rules_listed(cfa):
    client, _, _ = cfa
    pid = proposal_id_of(new_draft(client, **{"employeur.siret": EMPLOYER_SIRET}))
    fill_everything(client, pid, complete_data(**{"contrat.remunerationsAnnuelles.1.taux": "40",
                                                  "contrat.dateFinContrat": "2030-01-01"}))
    response = client.post_form(f"/portail/propositions/{pid}/envoyer")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    table = html[html.index('id="send-errors"'):]
    assert "Au moins 53 % du SMIC" in table and "Le contrat doit durer au plus 3 ans" in table
    assert "Contrat" in table
    assert models.ContractProposal.get_by_id(pid).state == "brouillon"
    assert models.OutboxEmail.select().count() == 0


def test_sending_to_an_employer_with_users_emails_and_notifies_them(cfa, factory):
    client, org, user = cfa
    employer = factory.employer(siret=EMPLOYER_SIRET, name="Garage Central")
    rh = factory.employer_user(employer, email="rh@garage-central.test")
    other = factory.employer_user(email="rh@ailleurs.test")
    pid = proposal_id_of(new_draft(client, **{"employeur.siret": EMPLOYER_SIRET}))
    fill_everything(client, pid, complete_data(**{"attestation.exactitude": ""}))  # the employer's to give
    response = client.post_form(f"/portail/propositions/{pid}/envoyer")
    assert response.status_code == 302
    proposal = models.ContractProposal.get_by_id(pid)
    assert proposal.state == "envoye"
    assert [s.state for s in proposal.steps.order_by(models.ProposalStep.id)] == ["brouillon", "envoye"]
    emails = list(models.OutboxEmail.select())
    assert [e.recipient for e in emails] == ["rh@garage-central.test"]
    assert "CFA des Métiers vous propose un contrat d'apprentissage pour Lucas Martin" in emails[0].body
    notes = list(models.Notification.select())
    assert [n.user_id for n in notes] == [rh.id] and other.id not in [n.user_id for n in notes]
    entry = models.AuditEntry.get((models.AuditEntry.entity == "contract_proposal")
                                  & (models.AuditEntry.action == "send"))
    assert entry.user_id == user.id and entry.after == {"state": "envoye"}
    # still editable by the CFA once sent
    body = form_of("contrat", complete_data(**{"contrat.dureeTravailHebdoHeures": "32"}))
    assert client.post_form(f"/portail/propositions/{pid}/saisie?onglet=contrat", body).status_code == 302
    assert models.ContractProposal.get_by_id(pid).data["contrat.dureeTravailHebdoHeures"] == "32"
    # sent twice (double click): one step, one email
    assert client.post_form(f"/portail/propositions/{pid}/envoyer").status_code == 409
    assert models.OutboxEmail.select().count() == 1


def test_an_employer_without_account_is_invited_to_create_one(cfa, app):
    client, _, _ = cfa
    pid = proposal_id_of(new_draft(client, **{"employeur.siret": EMPLOYER_SIRET}))
    fill_everything(client, pid, complete_data(**{"employeur.courriel": "Contact@Garage-Central.test"}))
    assert client.post_form(f"/portail/propositions/{pid}/envoyer").status_code == 302
    employer = models.Employer.get(models.Employer.siret == EMPLOYER_SIRET)
    assert employer.name == "Garage Central" and employer.idcc == "1090"
    invited = models.User.get(models.User.email == "contact@garage-central.test")
    assert invited.kind == "employer" and invited.employer_id == employer.id and invited.password_hash == ""
    email = models.OutboxEmail.get()
    assert email.recipient == "contact@garage-central.test"
    assert "n'a pas encore de compte" in email.body
    link = re.search(r"http://localhost(/invitation/\S+)", email.body).group(1)
    anonymous = app.test_client()
    page = anonymous.get(link)
    assert page.status_code == 200


def test_duplicate_copies_everything_but_the_apprentice(cfa):
    client, _, _ = cfa
    pid = proposal_id_of(new_draft(client, **{"employeur.siret": EMPLOYER_SIRET}))
    fill_everything(client, pid, complete_data())
    response = client.post_form(f"/portail/propositions/{pid}/dupliquer")
    assert response.status_code == 302
    copy = models.ContractProposal.get_by_id(proposal_id_of(response))
    assert copy.id != pid and copy.state == "brouillon"
    assert copy.data["employeur.siret"] == EMPLOYER_SIRET and copy.data["formation.rncp"] == "RNCP35823"
    assert not any(k.startswith("apprenti.") for k in copy.data)
    assert copy.apprentice_last_name == "" and copy.apprentice_first_name == ""
    assert "Copie de la proposition" in copy.steps.get().note


def test_only_a_draft_is_deleted_after_confirmation(cfa, factory):
    client, _, _ = cfa
    pid = proposal_id_of(new_draft(client, **{"employeur.siret": EMPLOYER_SIRET}))
    page = client.get(f"/portail/propositions/{pid}/supprimer")
    assert page.status_code == 200 and "Confirmer la suppression" in page.get_data(as_text=True)
    assert client.post_form(f"/portail/propositions/{pid}/supprimer").status_code == 302
    assert not models.ContractProposal.select().where(models.ContractProposal.id == pid).exists()
    assert models.AuditEntry.select().where(models.AuditEntry.action == "delete").count() == 1
    factory.employer_user(factory.employer(siret=EMPLOYER_SIRET))
    sent = proposal_id_of(new_draft(client, **{"employeur.siret": EMPLOYER_SIRET}))
    fill_everything(client, sent, complete_data())
    assert client.post_form(f"/portail/propositions/{sent}/envoyer").status_code == 302
    assert client.post_form(f"/portail/propositions/{sent}/supprimer").status_code == 409
    assert models.ContractProposal.get_by_id(sent).state == "envoye"


def test_the_list_tabs_filter_and_search_and_the_history(cfa, factory):
    client, _, user = cfa
    factory.employer_user(factory.employer(siret=EMPLOYER_SIRET))
    first = proposal_id_of(new_draft(client, **{"employeur.siret": EMPLOYER_SIRET}))
    fill_everything(client, first, complete_data())
    client.post_form(f"/portail/propositions/{first}/envoyer")
    new_draft(client, **{"employeur.denomination": "Boulangerie Dupain", "apprenti.nom": "Petit",
                         "apprenti.prenom": "Zoé"})
    drafts = client.get("/portail/propositions").get_data(as_text=True)
    assert "Petit" in drafts and "Lucas" not in drafts
    sent = client.get("/portail/propositions?onglet=transmis").get_data(as_text=True)
    assert "Lucas" in sent and "01/09/2026" in sent and "Petit" not in sent
    assert "Lucas" not in client.get("/portail/propositions?onglet=transmis&etat=en_examen").get_data(as_text=True)
    assert "Lucas" in client.get("/portail/propositions?onglet=transmis&q=garage").get_data(as_text=True)
    assert "Petit" not in client.get("/portail/propositions?q=garage").get_data(as_text=True)
    history = client.get(f"/portail/propositions/{first}").get_data(as_text=True)
    table = history[history.index('id="proposal-history"'):]
    assert "En cours de saisie" in table and "Envoyé à l&#39;entreprise" in table and user.full_name in table
    assert client.get("/portail/").status_code == 200
    assert "/portail/propositions/nouvelle" in client.get("/portail/").get_data(as_text=True)


def test_synthese_proposes_the_npec_of_the_referential_and_shows_pay_in_euros(cfa):
    client, _, _ = cfa
    models.IdccCpne.create(idcc="1090", idcc_label="Services de l'automobile", cpne_code="0021", cpne_label="Auto")
    models.NpecReference.create(rncp_code="RNCP35823", cpne_code="0021", training_label="BTS MV", npec="8500",
                                applicable_from="2024-01-01", status="A")
    pid = proposal_id_of(new_draft(client, **{"employeur.siret": EMPLOYER_SIRET}))
    fill_everything(client, pid, complete_data())
    html = client.get(f"/portail/propositions/{pid}/saisie?onglet=synthese").get_data(as_text=True)
    assert "8\u00a0500,00\u00a0€" in html
    assert f'href="/portail/propositions/{pid}/cerfa.pdf"' in html  # printable from Synthèse
    assert client.get(f"/portail/propositions/{pid}/cerfa.pdf").data.startswith(b"%PDF-")
    contract = client.get(f"/portail/propositions/{pid}/saisie?onglet=contrat").get_data(as_text=True)
    assert "soit 966,21\u00a0€ brut par mois" in contract  # 53 % of the SMIC of 01/01/2026 (1 823,03 €)


def test_a_user_without_contract_rights_and_other_cfas_cannot_reach_proposals(cfa, factory, make_client):
    client, org, _ = cfa
    pid = proposal_id_of(new_draft(client, **{"employeur.siret": EMPLOYER_SIRET}))
    stock_only = make_client(factory.cfa_user(org, role="gestionnaire_of", rights=["right_stock"]).email)
    assert stock_only.get("/portail/propositions").status_code == 403
    assert stock_only.get(f"/portail/propositions/{pid}").status_code == 403
    stranger = make_client(factory.cfa_user(factory.organisation()).email)
    assert stranger.get(f"/portail/propositions/{pid}").status_code == 404
    assert stranger.post_form(f"/portail/propositions/{pid}/supprimer").status_code == 404
    assert models.ContractProposal.select().count() == 1


def test_an_invited_employer_who_never_chose_a_password_is_invited_again(cfa, factory):
    client, _, _ = cfa
    employer = factory.employer(siret=EMPLOYER_SIRET)
    pending = factory.employer_user(employer, email="rh@garage-central.test", password_hash="")
    pid = proposal_id_of(new_draft(client, **{"employeur.siret": EMPLOYER_SIRET}))
    fill_everything(client, pid, complete_data())
    assert client.post_form(f"/portail/propositions/{pid}/envoyer").status_code == 302
    email = models.OutboxEmail.get()
    assert email.recipient == "rh@garage-central.test" and "/invitation/" in email.body
    assert models.User.select().where(models.User.employer == employer.id).count() == 1
    assert models.OneTimeToken.select().where(models.OneTimeToken.user == pending.id).count() == 1
