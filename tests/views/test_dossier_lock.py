"""Once the financing is agreed, what the schedule was computed from cannot be edited freely."""
import datetime as dt
import re

import pytest
from playhouse.shortcuts import model_to_dict

import models
from views.admin.dossiers import CONTRACT_FACTS, FINANCING_INPUTS


def edit_data(dossier, **changes):
    data = {"number": dossier.number, "deca_number": dossier.deca_number, "scheme": dossier.scheme,
            "organisation": str(dossier.organisation_id), "employer": str(dossier.employer_id),
            "apprentice": str(dossier.apprentice_id), "level": str(dossier.level),
            "conclusion_date": dossier.conclusion_date.isoformat(), "contract_start": dossier.contract_start.isoformat(),
            "contract_end": dossier.contract_end.isoformat(), "contract_type": dossier.contract_type,
            "job_title": "Vendeur", "training_hours": "800", "distance_percent": "0", "subrogated": "y"}
    data.update(changes)
    return data


def test_an_engaged_dossier_keeps_its_contract_dates_and_says_to_use_an_amendment(make_client, factory, db):
    client = make_client(factory.staff("conseiller").email)
    dossier = factory.dossier(state="engage")
    response = client.post_form(f"/admin/dossier/edit/?id={dossier.id}",
                                edit_data(dossier, contract_end="2028-08-31"))
    assert response.status_code == 400
    assert "avenant" in response.get_data(as_text=True)
    assert models.Dossier.get_by_id(dossier.id).contract_end == dt.date(2027, 8, 31)


def test_descriptive_fields_of_an_engaged_dossier_remain_editable(make_client, factory, db):
    client = make_client(factory.staff("conseiller").email)
    dossier = factory.dossier(state="engage")
    response = client.post_form(f"/admin/dossier/edit/?id={dossier.id}", edit_data(dossier, job_title="Conseiller de vente"))
    assert response.status_code == 302
    assert models.Dossier.get_by_id(dossier.id).job_title == "Conseiller de vente"


def test_a_dossier_in_instruction_can_still_be_corrected(make_client, factory, db):
    client = make_client(factory.staff("conseiller").email)
    dossier = factory.dossier(state="en_instruction")
    response = client.post_form(f"/admin/dossier/edit/?id={dossier.id}",
                                edit_data(dossier, contract_end="2028-08-31"))
    assert response.status_code == 302
    assert models.Dossier.get_by_id(dossier.id).contract_end == dt.date(2028, 8, 31)


def test_the_details_page_of_an_engaged_dossier_links_to_rupture_and_amendment(make_client, factory, db):
    client = make_client(factory.staff("conseiller").email)
    dossier = factory.dossier(state="engage")
    html = client.get(f"/admin/dossier/details/?id={dossier.id}").get_data(as_text=True)
    assert f"/admin/rupture/{dossier.id}/" in html and f"/admin/avenant/{dossier.id}/" in html
    comptable = make_client(factory.staff("comptable").email)
    html = comptable.get(f"/admin/dossier/details/?id={dossier.id}").get_data(as_text=True)
    assert f"/admin/rupture/{dossier.id}/" not in html


def _contract_facts_post(dossier, **changes):
    """What a browser posts from the edit form of an agreed dossier: the disabled (frozen) inputs are left out."""
    data = edit_data(dossier, **changes)
    frozen = set(FINANCING_INPUTS + CONTRACT_FACTS) - set(changes)
    return {k: v for k, v in data.items() if k not in frozen}


def test_the_edit_form_of_an_engaged_dossier_shows_the_contract_facts_read_only(make_client, factory, db):
    client = make_client(factory.staff("conseiller").email)
    dossier = factory.dossier(state="engage")
    html = client.get(f"/admin/dossier/edit/?id={dossier.id}").get_data(as_text=True)
    for name in ("number", "subrogated", "without_contract", "scheme", "apprentice", "training_end", "contract_end"):
        tag = re.search(rf'<(?:input|select)[^>]*\bname="{name}"[^>]*>', html)
        assert tag and "disabled" in tag.group(0), name
    tag = re.search(r'<input[^>]*\bname="job_title"[^>]*>', html)
    assert "disabled" not in tag.group(0)


def test_saving_the_edit_form_as_a_browser_sends_it_keeps_the_frozen_facts(make_client, factory, db):
    client = make_client(factory.staff("conseiller").email)
    dossier = factory.dossier(state="engage", subrogated=True)
    response = client.post_form(f"/admin/dossier/edit/?id={dossier.id}",
                                _contract_facts_post(dossier, job_title="Vendeuse conseil"))
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    stored = models.Dossier.get_by_id(dossier.id)
    assert stored.job_title == "Vendeuse conseil"
    assert (stored.number, stored.subrogated, stored.apprentice_id) == (dossier.number, True, dossier.apprentice_id)


@pytest.mark.parametrize("field,value", [
    ("number", "2099000001"), ("subrogated", "false"), ("without_contract", "y"), ("scheme", "professionnalisation"),
    ("training_end", "2027-12-31"), ("deca_number", "DECA99999999"), ("complete_date", "2025-12-01"),
    ("rncp_code", "RNCP12345"),
])
def test_a_forged_post_that_rewrites_a_contract_fact_is_refused_and_changes_nothing(make_client, factory, db, field,
                                                                                  value):
    client = make_client(factory.staff("admin").email)
    dossier = factory.dossier(state="engage", subrogated=True)
    before = model_to_dict(models.Dossier.get_by_id(dossier.id), recurse=False)
    data = edit_data(dossier, job_title="Changé aussi", training_end="2027-06-30", complete_date="2025-09-05",
                     rncp_code=dossier.rncp_code, diploma_code=dossier.diploma_code,
                     training_start="2025-09-01", deposit_date="2025-09-05")
    data[field] = value  # an omitted (disabled) input keeps its stored value: see the test above
    response = client.post_form(f"/admin/dossier/edit/?id={dossier.id}", data)
    assert response.status_code == 400
    assert "Corriger les données du contrat" in response.get_data(as_text=True)
    assert model_to_dict(models.Dossier.get_by_id(dossier.id), recurse=False) == before


def test_a_forged_change_of_the_apprentice_is_refused(make_client, factory, db):
    client = make_client(factory.staff("conseiller").email)
    dossier = factory.dossier(state="solde")
    other = factory.apprentice()
    response = client.post_form(f"/admin/dossier/edit/?id={dossier.id}",
                                edit_data(dossier, apprentice=str(other.id)))
    assert response.status_code == 400
    assert models.Dossier.get_by_id(dossier.id).apprentice_id == dossier.apprentice_id


def _correction_body(dossier, **changes):
    body = {"number": dossier.number, "deca_number": dossier.deca_number, "scheme": dossier.scheme,
            "employer": str(dossier.employer_id), "apprentice": str(dossier.apprentice_id), "subrogated": "y",
            "diploma_code": dossier.diploma_code, "rncp_code": dossier.rncp_code,
            "training_start": dossier.training_start.isoformat(), "training_end": dossier.training_end.isoformat(),
            "deposit_date": dossier.deposit_date.isoformat(), "complete_date": dossier.complete_date.isoformat()}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_the_correction_action_rewrites_a_fact_with_a_reason_and_one_audit_entry(make_client, factory, db):
    agent = factory.staff("conseiller")
    client = make_client(agent.email)
    dossier = factory.dossier(state="engage", subrogated=True)
    details = client.get(f"/admin/dossier/details/?id={dossier.id}").get_data(as_text=True)
    assert f"/admin/dossier/{dossier.id}/corriger/" in details
    url = f"/admin/dossier/{dossier.id}/corriger/"
    assert client.get(url).status_code == 200
    response = client.post_form(url, _correction_body(dossier, subrogated=None, reason="Erreur de saisie du CERFA"))
    assert response.status_code == 302
    stored = models.Dossier.get_by_id(dossier.id)
    assert stored.subrogated is False and stored.state == "engage"
    entry = models.AuditEntry.get((models.AuditEntry.entity == "dossier")
                                  & (models.AuditEntry.action == "correct_contract"))
    assert entry.entity_id == str(dossier.id) and entry.user_id == agent.id
    assert entry.before == {"subrogated": True} and entry.after == {"subrogated": False}
    assert entry.note == "Erreur de saisie du CERFA"


def test_a_correction_without_a_reason_is_refused_and_redisplays_what_was_typed(make_client, factory, db):
    client = make_client(factory.staff("conseiller").email)
    dossier = factory.dossier(state="engage")
    response = client.post_form(f"/admin/dossier/{dossier.id}/corriger/",
                                _correction_body(dossier, deca_number="DECA55555555", reason=""))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Indiquez le motif de la correction." in html and "DECA55555555" in html
    assert models.Dossier.get_by_id(dossier.id).deca_number == dossier.deca_number
    assert not models.AuditEntry.select().where(models.AuditEntry.entity == "dossier").exists()


def test_the_correction_cannot_touch_the_financing_inputs(make_client, factory, db):
    client = make_client(factory.staff("conseiller").email)
    dossier = factory.dossier(state="engage")
    client.post_form(f"/admin/dossier/{dossier.id}/corriger/",
                     _correction_body(dossier, contract_end="2029-08-31", deca_number="DECA12121212",
                                      reason="Essai"))
    stored = models.Dossier.get_by_id(dossier.id)
    assert stored.contract_end == dt.date(2027, 8, 31) and stored.deca_number == "DECA12121212"


def test_a_duplicate_number_in_a_correction_gets_a_french_message(make_client, factory, db):
    client = make_client(factory.staff("conseiller").email)
    other = factory.dossier()
    dossier = factory.dossier(state="engage")
    response = client.post_form(f"/admin/dossier/{dossier.id}/corriger/",
                                _correction_body(dossier, number=other.number, reason="Numéro"))
    assert response.status_code == 400 and "déjà pris" in response.get_data(as_text=True)
    assert models.Dossier.get_by_id(dossier.id).number == dossier.number


def test_only_conseillers_and_admins_correct_and_only_agreed_dossiers(make_client, factory, db):
    comptable = make_client(factory.staff("comptable").email)
    dossier = factory.dossier(state="engage")
    assert comptable.get(f"/admin/dossier/{dossier.id}/corriger/").status_code == 403
    body = _correction_body(dossier, deca_number="DECA77777777", reason="x")
    assert comptable.post_form(f"/admin/dossier/{dossier.id}/corriger/", body).status_code == 403
    assert models.Dossier.get_by_id(dossier.id).deca_number == dossier.deca_number
    conseiller = make_client(factory.staff("conseiller").email)
    fresh = factory.dossier(state="en_instruction")
    response = conseiller.get(f"/admin/dossier/{fresh.id}/corriger/")
    assert response.status_code == 302 and "/admin/dossier/edit/" in response.headers["Location"]
