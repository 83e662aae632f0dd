"""Back-office forms never answer 5xx, whatever is typed (Hypothesis)."""
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models

odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "99999999999999999999", "31/02/2025", "2025-13-45",
                     "<script>alert(1)</script>", "' OR 1=1 --", "\x00", "é" * 300, "12345678901234"]),
)

FORMS = {
    "organisation": ["siret", "name", "uai", "email", "postal_code", "credit_note_mode", "parent"],
    "employer": ["siret", "name", "naf", "idcc", "headcount", "email"],
    "apprentice": ["birth_name", "first_name", "birth_date", "nir", "sex", "email"],
    "dossier": ["number", "organisation", "employer", "apprentice", "conclusion_date", "contract_start",
                "contract_end", "level", "training_hours", "distance_percent", "scheme"],
    "user": ["email", "kind", "staff_role", "new_password", "memberships-0-organisation", "memberships-0-role"],
    "opconews": ["title", "body", "all_cfas", "sirets"],
    "helpdeskcontact": ["phone", "email", "hours"],
}


def form_field_names(html):
    return set(re.findall(r'name="([^"]+)"', html))


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_back_office_create_forms_never_answer_5xx(make_client, factory, db, endpoint):
    client = make_client(factory.staff("admin").email)
    factory.dossier()
    names = form_field_names(client.get(f"/admin/{endpoint}/new/").get_data(as_text=True))
    for field in FORMS[endpoint]:
        assert field in names or field.startswith("memberships"), (endpoint, field)
    before = {m.__name__: m.select().count() for m in (models.Organisation, models.Employer, models.Apprentice,
                                                        models.Dossier, models.User)}

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({field: odd_text for field in FORMS[endpoint]}))
    def post(data):
        response = client.post_form(f"/admin/{endpoint}/new/", data)
        assert response.status_code < 500, (data, response.status_code)

    post()
    after = {m.__name__: m.select().count() for m in (models.Organisation, models.Employer, models.Apprentice,
                                                       models.Dossier, models.User)}
    # Random text never makes a valid SIRET/NIR/date: nothing half-saved either.
    assert after == before


def test_an_id_too_large_for_the_database_answers_400(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    response = client.post_form("/admin/organisation/new/", {"siret": "73282932000074", "name": "CFA",
                                                             "status": "active", "credit_note_mode": "deduction",
                                                             "parent": "9223372036854775808"})
    assert response.status_code == 400
    assert not models.Organisation.select().where(models.Organisation.siret == "73282932000074").exists()
    assert client.get("/admin/dossier/details/?id=99999999999999999999999").status_code in (302, 400, 404)


def test_a_nul_character_is_refused_with_400_before_reaching_the_database(make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    response = client.post_form("/admin/organisation/new/", {"siret": "73282932000074", "name": "CFA\x00X",
                                                             "status": "active", "credit_note_mode": "deduction"})
    assert response.status_code == 400
    assert client.get("/admin/dossier/?search=a%00b").status_code == 400
    assert not models.Organisation.select().exists()
