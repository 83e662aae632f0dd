"""Once the financing is agreed, what the schedule was computed from cannot be edited freely."""
import datetime as dt

import models


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
