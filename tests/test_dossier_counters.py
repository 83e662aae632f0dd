"""Dashboard counters (models/counters.py): kept in the transaction of every dossier creation and move, read by
the portal and back-office dashboards through the scope, verified by `flask --app app check` and rebuilt by
`flask --app app rebuild-counters`. The figures a user reads are compared with a fresh COUNT(*)."""
import datetime as dt
import re
from decimal import Decimal

import pytest
from peewee import fn

import models
from access import scope as scoped
from access.scope import scope_for_user
from models import Dossier, DossierCounter
from models.dossier import DOSSIER_STATES, SCHEMES
from workflows.dossier_workflow import Params, perform
from workflows.state_machines import DOSSIER
from workflows.transitions import apply

STOCK_RIGHTS = ["right_contracts", "right_contracts_billing", "right_stock", "right_stock_billing"]


def page_figures(html, param):
    """{code: n} of the portal dashboard grid's totals by state (`param` "state") or by scheme ("scheme")."""
    state_total = r'data-state="([a-z_0-9]+)" data-scheme=""'
    scheme_total = r'data-state="" data-scheme="([a-z_0-9]+)"'
    found = re.findall((state_total if param == "state" else scheme_total) + r'[^>]*>(\d+)</a>', html)
    return {code: int(n) for code, n in found}


def counted(scope, column):
    """{code: n} counted now over the dossiers the scope shows, every code present (0 when none)."""
    found = dict(scoped.dossiers(scope, Dossier.select(column, fn.COUNT(Dossier.id))).group_by(column).tuples())
    codes = DOSSIER_STATES if column is Dossier.state else SCHEMES
    return {code: found.get(code, 0) for code, _ in codes}


def assert_counters_true():
    assert DossierCounter.kept_counts() == DossierCounter.fresh_counts()


def run_check(app):
    result = app.test_cli_runner().invoke(args=["check"])
    return result.exit_code, result.output


# --- kept with every change ----------------------------------------------------------------------------

def test_a_created_dossier_is_counted_in_its_organisation_state_scheme_and_kind(factory):
    org = factory.organisation()
    factory.dossier(organisation=org)
    factory.dossier(organisation=org, scheme="professionnalisation", is_stock=True)
    assert DossierCounter.kept_counts() == {(org.id, "recu", "apprentissage", False, False): 1,
                                            (org.id, "recu", "professionnalisation", True, False): 1}


def test_each_transition_moves_one_dossier_from_its_old_state_to_its_new_one(factory, app):
    org = factory.organisation()
    advisor = factory.staff("conseiller")
    first, second = factory.dossier(organisation=org), factory.dossier(organisation=org)
    with app.test_request_context():
        assert perform("instruire", first.id, advisor, Params()).ok
        assert perform("instruire", second.id, advisor, Params()).ok
        assert perform("demander_pieces", second.id, advisor, Params(pieces=["RIB"])).ok
        assert perform("engager", first.id, advisor, Params(npec=Decimal("7000.00"))).ok
    assert DossierCounter.kept_counts() == {(org.id, "engage", "apprentissage", False, False): 1,
                                            (org.id, "en_attente", "apprentissage", False, False): 1}
    assert_counters_true()


def test_a_refused_transition_leaves_the_counters_as_they_were(factory, app):
    dossier = factory.dossier(state="engage")
    before = DossierCounter.kept_counts()
    with app.test_request_context():
        outcome = perform("supprimer", dossier.id, factory.staff("conseiller"), Params())
    assert not outcome.ok
    assert DossierCounter.kept_counts() == before


def test_a_transition_that_fails_after_its_update_is_rolled_back_with_its_counters(factory, app):
    """The state moved and the counters moved, then the work inside the transaction failed: all of it goes."""
    dossier = factory.dossier()
    before = DossierCounter.kept_counts()

    def fails(row):
        assert DossierCounter.kept_counts() != before  # the counters had moved inside the transaction
        raise RuntimeError("stockage indisponible")

    with app.test_request_context(), pytest.raises(RuntimeError):
        apply(DOSSIER, "instruire", dossier, factory.staff("conseiller"), within=fails)
    assert Dossier.get_by_id(dossier.id).state == "recu"
    assert DossierCounter.kept_counts() == before


def test_a_correction_of_scheme_and_kind_in_the_back_office_moves_the_counter(factory, make_client):
    org = factory.organisation()
    dossier = factory.dossier(organisation=org, state="en_instruction")
    admin = make_client(factory.staff("admin").email)
    page = admin.get(f"/admin/dossier/edit/?id={dossier.id}")
    assert page.status_code == 200
    form = {name: value for name, value in re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', page.get_data(as_text=True))}
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    stored = Dossier.get_by_id(dossier.id)
    data = {name: value for name, value in form.items() if name != "without_contract" and name != "is_stock"}
    data.update(csrf_token=csrf, scheme="pro_a", organisation=str(org.id), employer=str(stored.employer_id),
                apprentice=str(stored.apprentice_id), is_stock="y", conclusion_date="2025-08-20",
                contract_start="2025-09-01", contract_end="2027-08-31")
    response = admin.post(f"/admin/dossier/edit/?id={dossier.id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert Dossier.get_by_id(dossier.id).scheme == "pro_a"
    assert DossierCounter.kept_counts() == {(org.id, "en_instruction", "pro_a", True, False): 1}
    assert_counters_true()


def test_the_generator_counts_what_it_inserts(app):
    from commands.generate import generate

    generate(300, seed=3, organisations=4)
    assert sum(DossierCounter.kept_counts().values()) == 300
    assert_counters_true()


# --- read by the dashboards -----------------------------------------------------------------------------

def _mixed_organisation(factory):
    """Ordinary, stock and "without contract" dossiers of one CFA in several states and schemes."""
    org = factory.organisation()
    factory.dossier(organisation=org)
    factory.dossier(organisation=org, state="en_attente")
    factory.dossier(organisation=org, state="en_attente", is_stock=True)
    factory.dossier(organisation=org, state="engage", scheme="professionnalisation", is_stock=True)
    factory.dossier(organisation=org, state="engage", scheme="pro_a", without_contract=True)
    factory.dossier(organisation=factory.organisation())  # another CFA's, never counted
    return org


@pytest.mark.parametrize("rights, expected_states, expected_schemes", [
    (STOCK_RIGHTS, {"recu": 1, "en_attente": 2, "engage": 1}, {"apprentissage": 3, "professionnalisation": 1}),
    (["right_contracts"], {"recu": 1, "en_attente": 1, "engage": 0}, {"apprentissage": 2, "professionnalisation": 0}),
])
def test_the_portal_dashboard_counts_the_kinds_the_users_rights_show(factory, make_client, rights, expected_states,
                                                                        expected_schemes):
    org = _mixed_organisation(factory)
    user = factory.cfa_user(organisation=org, rights=rights)
    html = make_client(user.email).get("/portail/").get_data(as_text=True)
    states, schemes = page_figures(html, "state"), page_figures(html, "scheme")
    assert {code: states[code] for code in expected_states} == expected_states
    assert {code: schemes[code] for code in expected_schemes} == expected_schemes
    assert schemes["pro_a"] == 0  # the "without contract" dossier needs its own right
    scope = scope_for_user(user)
    assert states == counted(scope, Dossier.state) and schemes == counted(scope, Dossier.scheme)
    assert re.search(r"Dossiers en attente de pièces</a>\s*<span[^>]*>" + str(expected_states["en_attente"]) + "<",
                     html)


def test_an_action_past_its_cap_reads_100_plus(factory, make_client, monkeypatch):
    monkeypatch.setattr("views.portal.dashboard.ACTIONS_CAP", 2)
    org = factory.organisation()
    user = factory.cfa_user(organisation=org)
    for number in range(3):
        factory.dossier(organisation=org)
        models.CreditNote.create(number=number + 1, organisation=org, dossier=Dossier.select().order_by(
            Dossier.id.desc()).first(), amount=Decimal("10"), reason="rupture", settlement_mode="refund",
            state="a_emettre", issued_on=dt.date(2026, 1, 5), due_date=dt.date(2026, 1, 20))
    html = make_client(user.email).get("/portail/").get_data(as_text=True)
    assert re.search(r"Remboursements d&#39;avoirs à effectuer</a>\s*<span[^>]*>2\+<", html)


def test_the_demo_dashboards_show_what_a_fresh_count_gives(demo, make_client, factory):
    for email in ("admin@cfa-sud.test", "gestion@cfa-sud.test"):
        user = models.User.get(models.User.email == email)
        html = make_client(email).get("/portail/").get_data(as_text=True)
        scope = scope_for_user(user)
        assert page_figures(html, "state") == counted(scope, Dossier.state), email
        assert page_figures(html, "scheme") == counted(scope, Dossier.scheme), email
    html = make_client(factory.staff("admin").email).get("/admin/").get_data(as_text=True)
    every = dict(Dossier.select(Dossier.state, fn.COUNT(Dossier.id)).group_by(Dossier.state).tuples())
    for code, label in DOSSIER_STATES:
        assert re.search(re.escape(label) + r'</a></td><td class="amount">' + str(every.get(code, 0)) + "<", html), label
    assert_counters_true()


# --- truth: check and rebuild-counters ------------------------------------------------------------------

def test_check_reports_a_tampered_counter_in_french_and_rebuild_counters_mends_it(factory, app, db):
    org = factory.organisation(name="CFA Compté")
    factory.dossier(organisation=org, state="en_instruction")
    assert run_check(app)[0] == 0
    DossierCounter.update(count=DossierCounter.count + 2).execute()
    code, output = run_check(app)
    assert code == 1
    assert ("Compteur du tableau de bord faux pour CFA Compté (état « En instruction », dispositif « Apprentissage ») : "
            "3 compté(s), 1 dossier(s) en base.") in output
    assert "flask --app app rebuild-counters" in output
    DossierCounter.delete().execute()
    assert "1 dossier(s) en base" in run_check(app)[1]
    result = app.test_cli_runner().invoke(args=["rebuild-counters"])
    assert result.exit_code == 0 and "1 dossier(s) comptés" in result.output
    assert run_check(app)[0] == 0


def test_concurrent_transitions_in_the_same_counter_add_up(factory, app, db):
    """Eight threads, each with its own connection, move eight dossiers of one counter at once: the UPSERT adds
    every move (a read-then-write would lose some)."""
    import threading

    org = factory.organisation()
    advisor = factory.staff("conseiller")
    dossiers = [factory.dossier(organisation=org) for _ in range(8)]
    db.close()
    barrier, outcomes = threading.Barrier(len(dossiers)), []

    def move(dossier_id):
        with app.test_request_context():
            barrier.wait()
            outcomes.append(perform("instruire", dossier_id, advisor, Params()).ok)
            db.close()

    threads = [threading.Thread(target=move, args=(d.id,)) for d in dossiers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes == [True] * len(dossiers)
    assert DossierCounter.kept_counts() == {(org.id, "en_instruction", "apprentissage", False, False): 8}
    assert_counters_true()
