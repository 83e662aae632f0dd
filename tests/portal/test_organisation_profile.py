"""Fiche OF (/portail/organisation, seed 003): the admin OF edits the organisation picked in the header, every
change is audited with the changed fields only, other members read it, and nobody edits another organisation."""
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models
from tests.factories import make_uai

URL = "/portail/organisation"
FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def current_form(org):
    """What the page posts back when nothing is touched."""
    return {
        "name": org.name, "name_suite": org.name_suite, "street": org.street, "street_suite": org.street_suite,
        "postal_code": org.postal_code, "city": org.city, "phone": org.phone, "email": org.email, "uai": org.uai,
        "da_number": org.da_number, "vat_liable": "1" if org.vat_liable else "0",
        "contact_civility": org.contact_civility, "contact_last_name": org.contact_last_name,
        "contact_first_name": org.contact_first_name, "contact_function": org.contact_function,
        "contact_phone": org.contact_phone, "contact_email": org.contact_email,
        "esignature": "1" if org.esignature else "0",
    }


def fresh(org):
    return models.Organisation.get_by_id(org.id)


def profile_audit(org):
    return list(models.AuditEntry.select().where(
        (models.AuditEntry.entity == "organisation") & (models.AuditEntry.entity_id == str(org.id))
        & (models.AuditEntry.action == "update_profile")))


@pytest.fixture
def nord_org(factory):
    org = factory.organisation(name="CFA Nord", opco_reference="OPCO-EP-0042", phone="03 20 00 00 00",
                               street="1 rue de Lille", postal_code="59000", city="Lille", contact_last_name="Durand")
    factory.cfa_user(org, email="admin@cfa-nord.test")
    factory.cfa_user(org, email="gestion@cfa-nord.test", role="gestionnaire_of", rights=["right_contracts"])
    return org


def test_admin_changes_the_phone_and_the_contact_and_sees_them(nord_org, make_client):
    client = make_client("admin@cfa-nord.test")
    page = client.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="profile-form"' in html and nord_org.siret in html and "OPCO-EP-0042" in html
    assert 'href="/portail/organisation"' in html  # the navigation link

    data = current_form(nord_org) | {"phone": "03 20 12 34 56", "contact_civility": "Mme",
                                     "contact_last_name": "Lefebvre", "contact_first_name": "Inès",
                                     "contact_function": "Directrice", "contact_phone": "06 12 34 56 78",
                                     "contact_email": "Ines.Lefebvre@CFA-Nord.test"}
    response = client.post_form(URL, data)
    assert response.status_code == 302
    html = client.get(URL).get_data(as_text=True)
    assert "Fiche de l&#39;organisme enregistrée." in html or "Fiche de l'organisme enregistrée." in html
    for shown in ("03 20 12 34 56", "Lefebvre", "Inès", "Directrice", "06 12 34 56 78", "ines.lefebvre@cfa-nord.test"):
        assert shown in html
    org = fresh(nord_org)
    assert (org.phone, org.contact_last_name, org.contact_civility) == ("03 20 12 34 56", "Lefebvre", "Mme")

    [entry] = profile_audit(nord_org)
    assert entry.actor == "admin@cfa-nord.test"
    assert entry.before == {"phone": "03 20 00 00 00", "contact_civility": "", "contact_last_name": "Durand",
                            "contact_first_name": "", "contact_function": "", "contact_phone": "",
                            "contact_email": ""}
    assert entry.after["phone"] == "03 20 12 34 56" and entry.after["contact_last_name"] == "Lefebvre"
    assert set(entry.after) == set(entry.before)  # the changed fields only


def test_saving_an_unchanged_form_writes_no_audit_entry(nord_org, make_client):
    client = make_client("admin@cfa-nord.test")
    assert client.post_form(URL, current_form(nord_org)).status_code == 302
    assert profile_audit(nord_org) == []


def test_vat_and_esignature_are_yes_no_answers(nord_org, make_client):
    client = make_client("admin@cfa-nord.test")
    client.post_form(URL, current_form(nord_org) | {"vat_liable": "1", "esignature": "1"})
    org = fresh(nord_org)
    assert org.vat_liable is True and org.esignature is True
    client.post_form(URL, current_form(org) | {"vat_liable": "0"})
    assert fresh(nord_org).vat_liable is False


@pytest.mark.parametrize("field, value, message", [
    ("uai", "0751234A", "UAI invalide (lettre de contrôle)"),
    ("uai", "ABC", "UAI invalide : 7 chiffres et une lettre attendus"),
    ("postal_code", "5900", "Code postal invalide : 5 chiffres attendus"),
    ("email", "contact@", "Adresse électronique invalide"),
    ("contact_email", "pas une adresse", "Adresse électronique invalide"),
    ("phone", "12345", "Numéro de téléphone invalide"),
    ("contact_phone", "06 12 34", "Numéro de téléphone invalide"),
    ("name", "   ", "Saisissez la raison sociale."),
])
def test_an_invalid_value_is_refused_in_french_with_what_was_typed_and_nothing_changes(
        nord_org, make_client, field, value, message):
    client = make_client("admin@cfa-nord.test")
    before = models.Organisation.select().where(models.Organisation.id == nord_org.id).dicts().get()
    data = current_form(nord_org) | {field: value, "city": "Roubaix"}
    response = client.post_form(URL, data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="Roubaix"' in html  # what was typed is shown again
    if value.strip():
        assert re.search(rf'name="{field}"[^>]*value="{re.escape(value)}"', html)
    assert models.Organisation.select().where(models.Organisation.id == nord_org.id).dicts().get() == before
    assert profile_audit(nord_org) == []


def test_a_valid_uai_and_postal_code_with_spaces_are_stored_compact(nord_org, make_client):
    client = make_client("admin@cfa-nord.test")
    uai = make_uai(4242)
    response = client.post_form(URL, current_form(nord_org) | {"uai": f" {uai[:4]} {uai[4:].lower()} ",
                                                               "postal_code": " 59 100 "})
    assert response.status_code == 302
    assert (fresh(nord_org).uai, fresh(nord_org).postal_code) == (uai, "59100")


def test_siret_opco_reference_and_status_cannot_be_changed_even_if_posted(nord_org, make_client):
    client = make_client("admin@cfa-nord.test")
    data = current_form(nord_org) | {"siret": "73282932000074", "opco_reference": "PIRATE", "status": "inactive",
                                     "credit_note_mode": "refund", "city": "Douai"}
    assert client.post_form(URL, data).status_code == 302
    org = fresh(nord_org)
    assert (org.siret, org.opco_reference, org.status, org.credit_note_mode) == (
        nord_org.siret, "OPCO-EP-0042", "active", "deduction")
    assert org.city == "Douai"
    [entry] = profile_audit(nord_org)
    assert set(entry.after) == {"city"}


def test_a_gestionnaire_reads_the_profile_and_a_forged_post_is_refused(nord_org, make_client):
    client = make_client("gestion@cfa-nord.test")
    page = client.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="profile-read-only"' in html and "<form method=\"post\" id=\"profile-form\"" not in html
    assert "03 20 00 00 00" in html and "Durand" in html and nord_org.siret in html
    before = models.Organisation.select().where(models.Organisation.id == nord_org.id).dicts().get()
    response = client.post_form(URL, current_form(nord_org) | {"phone": "01 02 03 04 05"})
    assert response.status_code == 403
    assert models.Organisation.select().where(models.Organisation.id == nord_org.id).dicts().get() == before
    assert profile_audit(nord_org) == []


def test_a_post_without_csrf_token_changes_nothing(nord_org, make_client):
    client = make_client("admin@cfa-nord.test")
    response = client.post(URL, data=current_form(nord_org) | {"phone": "01 02 03 04 05"})
    assert response.status_code == 400
    assert fresh(nord_org).phone == "03 20 00 00 00"


def test_cfa_nord_admin_cannot_change_cfa_sud(nord_org, factory, make_client):
    sud = factory.organisation(name="CFA Sud", phone="04 91 00 00 00")
    factory.cfa_user(sud, email="admin@cfa-sud.test")
    client = make_client("admin@cfa-nord.test")
    # switching to an organisation outside one's memberships is refused
    assert client.post_form(f"/portail/organisation/{sud.siret}").status_code == 404
    # whatever is posted, the page works on the organisation of the current scope
    response = client.post_form(URL, current_form(nord_org) | {"phone": "01 99 99 99 99", "siret": sud.siret,
                                                           "id": str(sud.id), "organisation_id": str(sud.id)})
    assert response.status_code == 302
    assert fresh(sud).phone == "04 91 00 00 00" and profile_audit(sud) == []
    assert fresh(nord_org).phone == "01 99 99 99 99"
    html = client.get(URL).get_data(as_text=True)
    assert "CFA Sud" not in html and sud.siret not in html


def test_a_member_of_two_organisations_edits_the_one_picked_in_the_header(nord_org, factory, make_client):
    other = factory.organisation(name="CFA Nord Annexe", phone="03 21 00 00 00")
    admin = models.User.get(models.User.email == "admin@cfa-nord.test")
    models.Membership.create(user=admin, organisation=other, role="gestionnaire_of", right_contracts=True)
    client = make_client("admin@cfa-nord.test")
    assert client.post_form(f"/portail/organisation/{other.siret}").status_code == 302
    html = client.get(URL).get_data(as_text=True)
    assert "CFA Nord Annexe" in html and 'id="profile-read-only"' in html  # only gestionnaire there
    assert client.post_form(URL, current_form(other) | {"phone": "01 02 03 04 05"}).status_code == 403
    assert fresh(other).phone == "03 21 00 00 00"
    assert client.post_form(f"/portail/organisation/{nord_org.siret}").status_code == 302
    assert client.post_form(URL, current_form(nord_org) | {"phone": "01 02 03 04 05"}).status_code == 302
    assert fresh(nord_org).phone == "01 02 03 04 05" and fresh(other).phone == "03 21 00 00 00"


def test_staff_and_anonymous_do_not_reach_the_portal_profile(nord_org, factory, make_client):
    assert make_client().get(URL).status_code == 302
    staff = factory.staff(role="admin")
    assert make_client(staff.email).get(URL).status_code == 403


def test_the_workflow_itself_refuses_whoever_is_not_the_admin_of_that_organisation(nord_org, factory):
    """The check lives in the workflow, not only in the view: a script or a command cannot bypass it."""
    from access.scope import Scope, scope_for_user
    from workflows.organisation_profile import ProfileRefused, update_profile

    sud = factory.organisation(name="CFA Sud", phone="04 91 00 00 00")
    admin = models.User.get(models.User.email == "admin@cfa-nord.test")
    gestion = models.User.get(models.User.email == "gestion@cfa-nord.test")
    attempts = [(scope_for_user(admin, nord_org.id), sud), (scope_for_user(gestion, nord_org.id), nord_org),
                (Scope(kind="anonymous"), nord_org), (Scope.of_staff(factory.staff(role="admin")), nord_org)]
    for scope, organisation in attempts:
        with pytest.raises(ProfileRefused):
            update_profile(scope, organisation, {"phone": "01 02 03 04 05", "siret": "73282932000074"})
    assert fresh(sud).phone == "04 91 00 00 00" and fresh(nord_org).phone == "03 20 00 00 00"
    assert models.AuditEntry.select().where(models.AuditEntry.action == "update_profile").count() == 0
    assert update_profile(scope_for_user(admin, nord_org.id), nord_org, {"phone": "01 02 03 04 05"}) == ["phone"]


odd_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300)
FIELDS = list(current_form(models.Organisation(name="x")).keys())


@FUZZ
@given(st.booleans(), st.dictionaries(st.sampled_from(FIELDS + ["siret", "status"]), odd_text,
                                      max_size=len(FIELDS) + 2))
def test_fuzz_never_a_500_and_a_refused_form_writes_nothing(nord_org, make_client, over_valid_form, posted):
    """Odd values over an otherwise valid form (so that accepted saves happen too), or alone."""
    client = make_client("admin@cfa-nord.test")
    if over_valid_form:
        posted = current_form(fresh(nord_org)) | posted
    before = models.Organisation.select().where(models.Organisation.id == nord_org.id).dicts().get()
    audit_before = len(profile_audit(nord_org))
    response = client.post_form(URL, posted)
    assert response.status_code in (302, 400)
    after = models.Organisation.select().where(models.Organisation.id == nord_org.id).dicts().get()
    assert after["siret"] == before["siret"] and after["status"] == before["status"]
    if response.status_code == 400:
        assert after == before and len(profile_audit(nord_org)) == audit_before
    else:
        assert after["name"].strip()
