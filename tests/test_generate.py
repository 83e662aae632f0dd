"""The large-data generator: many valid dossiers quickly, spread out or piled into one organisation."""
from collections import Counter as Tally

import pytest

import rules
from rules.double_funding import identity_key
from models import Apprentice, Dossier, Employer, Installment, Membership, Organisation, User
from models.user import RIGHTS
from commands.generate import GenerationError, generate, make_siret

TARGET_SIRET = make_siret(12_345_678)


def test_generating_500_dossiers_creates_500_with_unique_numbers_over_several_organisations(db):
    result = generate(500)
    dossiers = list(Dossier.select())
    assert result["dossiers"] == len(dossiers) == 500
    assert len({d.number for d in dossiers}) == 500
    per_organisation = Tally(d.organisation_id for d in dossiers)
    assert len(per_organisation) >= 5
    assert max(per_organisation.values()) < 250
    assert all(d.apprentice_name == f"{d.apprentice.birth_name} {d.apprentice.first_name}" for d in dossiers)
    assert {d.state for d in dossiers} == {"recu", "en_instruction", "en_attente", "engage", "solde", "refuse",
                                           "annule", "supprime"}
    assert {d.regime for d in dossiers if d.state in ("engage", "solde")} == {"stock", "2019", "2021", "2025"}
    assert len({d.scheme for d in dossiers}) >= 2


def test_generated_identifiers_pass_our_own_checks(db):
    generate(200)
    assert all(rules.check_siret(o.siret) is None and rules.check_uai(o.uai) is None for o in Organisation.select())
    assert all(rules.check_siret(e.siret) is None for e in Employer.select())
    assert all(rules.check_nir(a.nir) is None for a in Apprentice.select())
    assert all(rules.check_rncp(d.rncp_code) is None for d in Dossier.select())
    # double-funding detection finds generated apprentices by identity too (rules/double_funding.py)
    assert all(a.identity_key == identity_key(a.birth_name, a.first_name, a.birth_date) != ""
               for a in Apprentice.select())


def test_generated_financing_is_the_rules_own(db):
    generate(300, with_installments=True)
    engaged = list(Dossier.select().where(Dossier.state.in_(("engage", "solde"))))
    assert engaged
    from workflows.dossier_rules import contract_from_dossier
    for dossier in engaged[:60]:
        financing = rules.compute_financing(contract_from_dossier(dossier))
        assert (dossier.regime, dossier.total_financed, dossier.employer_share) == \
               (financing.regime, financing.total, financing.employer_share)
        amounts = [i.amount for i in Installment.select().where(Installment.dossier == dossier.id)
                   .order_by(Installment.number)]
        assert amounts == [i.amount for i in financing.installments]
    assert not Installment.select().join(Dossier).where(Dossier.state.not_in(("engage", "solde"))).exists()


def test_the_whole_share_can_go_to_one_target_organisation(db, factory):
    existing = factory.organisation(siret=TARGET_SIRET, name="CFA du banc d'essai")
    result = generate(300, target_siret=TARGET_SIRET, share=1.0)
    assert result["target_organisation"] == existing.id
    assert Dossier.select().where(Dossier.organisation == existing.id).count() == 300
    assert Dossier.select().count() == 300


def test_a_partial_share_goes_to_a_target_created_on_the_fly(db):
    generate(400, target_siret=TARGET_SIRET, share=0.5)
    target = Organisation.get(Organisation.siret == TARGET_SIRET)
    per_organisation = Tally(d.organisation_id for d in Dossier.select())
    assert per_organisation[target.id] == 200
    assert len(per_organisation) > 2


def test_generating_twice_appends_without_clashing_and_the_app_can_still_create_rows(db, factory):
    generate(150)
    generate(150)
    assert Dossier.select().count() == len({d.number for d in Dossier.select()}) == 300
    dossier = factory.dossier()  # ids and PostgreSQL sequences moved past the generated rows
    assert dossier.id > max(d.id for d in Dossier.select().where(Dossier.id != dossier.id))


def test_a_portal_benchmark_user_administers_the_target_organisation(db, client):
    generate(50, target_siret=TARGET_SIRET, share=1.0, target_user_email="Banc@CFA-Essai.test")
    membership = Membership.select().join(User).where(User.email == "banc@cfa-essai.test").get()
    assert membership.organisation.siret == TARGET_SIRET and membership.role == "admin_of"
    assert membership.rights == {name for name, _ in RIGHTS}
    assert "/portail" in client.login("banc@cfa-essai.test").headers["Location"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(n=0), "positif"),
    (dict(n=10, target_siret="12345678901234"), "SIRET"),
    (dict(n=10, target_siret=TARGET_SIRET, share=1.5), "entre 0 et 1"),
    (dict(n=10, share=0.5), "--organisation-siret"),
    (dict(n=10, target_siret=TARGET_SIRET, target_user_email="pas-une-adresse"), "électronique"),
])
def test_bad_requests_are_refused_in_french_before_writing_anything(db, kwargs, message):
    with pytest.raises(GenerationError, match=message):
        generate(**kwargs)
    assert Organisation.select().count() == 0 and Dossier.select().count() == 0


def test_the_generate_command_reports_what_it_created(app, db):
    result = app.test_cli_runner().invoke(args=["generate", "--dossiers", "120", "--organisation-siret",
                                                TARGET_SIRET, "--share", "0.25"])
    assert result.exit_code == 0, result.output
    assert "120 dossiers générés" in result.output
    target = Organisation.get(Organisation.siret == TARGET_SIRET)
    assert Dossier.select().where(Dossier.organisation == target.id).count() == 30


def test_the_generate_command_refuses_a_bad_siret_with_a_french_message(app, db):
    result = app.test_cli_runner().invoke(args=["generate", "--dossiers", "10", "--organisation-siret", "123"])
    assert result.exit_code == 1
    assert "SIRET invalide" in result.output
    assert Dossier.select().count() == 0


def test_the_generation_benchmark_times_a_throw_away_sqlite_database(capsys):
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "bench" / "generate.py"
    spec = importlib.util.spec_from_file_location("bench_generate", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    elapsed = bench.main(["--dossiers", "300", "--with-installments", "--target-share", "0.5"])
    output = capsys.readouterr().out
    assert elapsed > 0
    assert "300 dossiers, 300 apprentices" in output and "generated in" in output


def test_generated_dossiers_carry_their_normalised_name_for_the_search(app, db):
    from commands.generate import generate
    from models import Dossier
    from rules.double_funding import name_key

    generate(30)
    rows = list(Dossier.select(Dossier.apprentice_name, Dossier.apprentice_name_key).tuples())
    assert rows and all(key == name_key(name) and key for name, key in rows)
