"""The registration forms fuzzed with Hypothesis (SIRET, account, sheet, new activation link, activation link,
staff refusal): never a 5xx, and a refused form writes nothing."""
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import models
from forms.registration import ZONES
from tests.factories import make_siret

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
odd = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
long_or_odd = st.one_of(odd, st.text(min_size=250, max_size=3000), st.sampled_from(["", " ", "\x00", "CFA", "cfa"]))
emailish = st.one_of(odd, st.emails().map(str), st.sampled_from(["a@b", "@", "x@y.fr", "A@B.FR "]))
passwordish = st.one_of(odd, st.sampled_from(["Inscription-Sure-2026", "court", "Azerty123!", "x" * 300]))
yes_no = st.one_of(st.sampled_from(["1", "0", "", "oui", "2"]), odd)
SIRET = make_siret(7777)


def counts():
    return {m.__name__: m.select().count() for m in models.MODELS if m is not models.AuditEntry}


@pytest.fixture
def unlimited(app):
    app.config["REGISTRATION_RATE_LIMIT"] = "100000 per minute"


@given(siret=st.one_of(odd, st.from_regex(r"[0-9 ]{0,20}", fullmatch=True), st.just(SIRET)))
@FUZZ
def test_the_siret_form_never_fails(client, db, unlimited, siret):
    response = client.post_form("/inscription", {"siret": siret})
    assert response.status_code in (200, 302, 400)


def _start_over(client, keep_organisation):
    """Each example starts at the SIRET page of a registration nobody has made yet."""
    models.OneTimeToken.delete().execute()
    models.Membership.delete().execute()
    models.User.delete().execute()
    if not keep_organisation:
        models.Organisation.delete().execute()
    assert client.post_form("/inscription", {"siret": SIRET}).status_code == 302


@pytest.fixture
def known(factory, client, unlimited):
    return factory.organisation(siret=SIRET)


@given(data=st.fixed_dictionaries({"email": emailish, "confirm_email": emailish, "password": passwordish,
                                   "confirm": passwordish}))
@example(data={"email": "a@cfa.test", "confirm_email": "a@cfa.test", "password": "Inscription-Sure-2026",
               "confirm": "Inscription-Sure-2026"})
@FUZZ
def test_the_account_form_never_fails(client, known, data):
    _start_over(client, keep_organisation=True)
    before = counts()
    response = client.post_form("/inscription/compte", data)
    assert response.status_code in (200, 302, 400)
    if response.status_code == 400:
        assert counts() == before


SHEET_TEXT = ("opco_reference", "name", "name_suite", "street", "street_suite", "postal_code", "city", "phone",
              "org_email", "da_number", "contact_civility", "contact_last_name", "contact_first_name",
              "contact_phone", "contact_email", "contact_function", "zone", "registration_comment")
VALID = {"name": "CFA Fuzz", "street": "1 rue A", "postal_code": "75001", "city": "Paris", "org_email": "c@f.test",
         "is_fpc_provider": "1", "is_cfa": "1", "da_number": "11755555575", "for_profit": "0", "vat_liable": "0",
         "contact_civility": "M.", "contact_last_name": "Nom", "contact_first_name": "Prénom",
         "contact_phone": "0123456789", "contact_email": "n@f.test", "contact_function": "Directeur",
         "zone": ZONES[0][0], "email": "req@f.test", "confirm_email": "req@f.test",
         "password": "Inscription-Sure-2026", "confirm": "Inscription-Sure-2026"}


@given(text=st.fixed_dictionaries({}, optional={name: long_or_odd for name in SHEET_TEXT}),
       choices=st.fixed_dictionaries({}, optional={name: yes_no for name in
                                                   ("is_fpc_provider", "is_cfa", "for_profit", "vat_liable")}),
       account=st.fixed_dictionaries({}, optional={"email": emailish, "password": passwordish}))
@example(text={}, choices={}, account={})  # the accepted path
@FUZZ
def test_the_registration_sheet_never_fails(client, db, unlimited, text, choices, account):
    _start_over(client, keep_organisation=False)
    before = counts()
    response = client.post_form("/inscription/fiche", {**VALID, **text, **choices, **account})
    assert response.status_code in (200, 302, 400)
    if response.status_code == 400:
        assert counts() == before


@given(email=emailish)
@FUZZ
def test_the_new_activation_link_form_never_fails(client, db, unlimited, email):
    assert client.post_form("/activation/nouveau-lien", {"email": email}).status_code in (200, 400)


@given(token=st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300),
                       st.from_regex(r"[A-Za-z0-9_\-\.]{1,200}", fullmatch=True)))
@FUZZ
def test_the_activation_link_never_fails(client, db, token):
    from urllib.parse import quote
    path = "/activer/" + quote(token, safe="")
    assert client.get(path).status_code in (404, 410, 308)
    assert client.post_form(path).status_code in (404, 410, 308)


@pytest.fixture
def staff(make_client, factory):
    factory.organisation(status="pending")
    return make_client(factory.staff("admin").email)


@given(reason=st.one_of(odd, st.text(min_size=1900, max_size=2200)), ids=st.one_of(odd, st.just("1")))
@FUZZ
def test_the_staff_refusal_form_never_fails(staff, reason, ids):
    response = staff.post_form("/admin/organisation/refus-inscription/?ids=1", {"ids": ids, "reason": reason})
    assert response.status_code in (302, 400)
