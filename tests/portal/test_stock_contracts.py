"""*Mes contrats stockés* (seed 003): the menu for stock rights, the list with the stock rhythm, and *Étape 1 :
Vérifier mes contrats stockés* — confirmed or reported, stored, audited, isolated, seen by the OPCO."""
import datetime as dt
import html as html_lib
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import models
from tests.portal.test_fuzz_forms import FUZZ, changed, odd_text, table_counts
from tests.portal.world import two_cfas
from tests.querycount import count_queries

LIST = "/portail/contrats-stockes"


@pytest.fixture
def world(app, factory):
    sud, nord, employer, staff = two_cfas(app, factory)
    # a stock contract agreed by the OPCO with its schedule (rules/: 50 % from 01/01/2020, then 25 % a quarter)
    scheduled = factory.engaged_dossier(sud.organisation, is_stock=True, number="3100000010",
                                        conclusion_date=dt.date(2019, 5, 1), contract_start=dt.date(2019, 6, 1),
                                        contract_end=dt.date(2021, 5, 31), npec=Decimal("6500.00"))
    return {"sud": sud, "nord": nord, "staff": staff, "scheduled": scheduled}


def text(response):
    return html_lib.unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def listed(body):
    return re.findall(r'<tr data-number="(\d+)">', body)


def test_a_user_holding_a_stock_right_gets_the_menu_and_the_list_with_the_rhythm(world, make_client, factory):
    sud = world["sud"]
    client = make_client(sud.admin.email)
    assert 'id="nav-stock"' in client.get("/portail/").get_data(as_text=True)
    body = text(client.get(LIST))
    assert "Actions sur mes contrats stockés" in body and "Vérifier mes contrats stockés" in body
    assert "50 % du coût annuel facturable à partir du 01/01/2020" in body
    assert listed(body) == [world["scheduled"].number, sud.stock_dossier.number]  # newest first, stock only
    row = body[body.index(f'data-number="{world["scheduled"].number}"'):]
    row = row[:row.index("</tr>")]
    assert "6 500,00 €" in row and "01/05/2019" in row  # annual cost, conclusion date
    assert "3 250,00 €" in row and "à partir du 01/01/2020" in row  # the next installment of the rhythm
    assert "À vérifier" in row
    assert world["nord"].stock_dossier.number not in body and sud.dossier.number not in body


def test_only_the_stock_rights_open_the_menu_and_the_pages(world, make_client, factory):
    sud = world["sud"]
    stock_only = factory.cfa_user(sud.organisation, role="gestionnaire_of", rights=["right_stock"])
    contracts = factory.cfa_user(sud.organisation, role="gestionnaire_of",
                                 rights=["right_contracts", "right_contracts_billing"])
    client = make_client(stock_only.email)
    assert 'id="nav-stock"' in client.get("/portail/").get_data(as_text=True)
    assert listed(text(client.get(LIST))) == [world["scheduled"].number, sud.stock_dossier.number]
    client = make_client(contracts.email)
    assert 'id="nav-stock"' not in client.get("/portail/").get_data(as_text=True)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}/{sud.stock_dossier.number}").status_code == 403
    staff = make_client(world["staff"].email)
    assert staff.get(LIST).status_code == 403
    assert make_client().get(LIST).status_code == 302


def test_confirming_a_stock_contract_is_stored_audited_and_shown_to_the_cfa_and_the_opco(world, make_client):
    sud, number = world["sud"], world["scheduled"].number
    client = make_client(sud.admin.email)
    page = text(client.get(f"{LIST}/{number}"))
    assert "Étape 1 : Vérifier mes contrats stockés" in page and "3 250,00 €" in page and "À vérifier" in page
    response = client.post_form(f"{LIST}/{number}", {"answer": "confirme", "comment": ""})
    assert response.status_code == 302 and response.headers["Location"].endswith(LIST)
    answer = models.StockVerification.get()
    assert (answer.dossier_id, answer.answer, answer.comment, answer.by_id) == (
        world["scheduled"].id, "confirme", "", sud.admin.id)
    entry = models.AuditEntry.get(models.AuditEntry.action == "stock_confirme")
    assert (entry.entity, entry.entity_id, entry.actor) == ("dossier", str(world["scheduled"].id), sud.admin.email)
    assert entry.before["verification"] == "a_verifier" and entry.after["verification"] == "confirme"
    body = text(client.get(LIST))
    row = body[body.index(f'data-number="{number}"'):]
    assert "Confirmé par le CFA" in row[:row.index("</tr>")]
    assert "À vérifier" in body  # the other stock contract is still to check
    opco = text(make_client(world["staff"].email).get(f"/admin/dossier/details/?id={world['scheduled'].id}"))
    block = opco[opco.index('id="stock-verification"'):]
    assert "Confirmé par le CFA" in block[:2000] and sud.admin.email in block[:2000]


def test_reporting_needs_a_comment_which_the_opco_reads(world, make_client):
    sud, number = world["sud"], world["scheduled"].number
    client = make_client(sud.admin.email)
    before = table_counts()
    response = client.post_form(f"{LIST}/{number}", {"answer": "signale", "comment": "   "})
    assert response.status_code == 400
    body = text(response)
    assert "le commentaire est obligatoire pour un signalement" in body
    assert re.search(r'value="signale"[^>]*checked|checked[^>]*value="signale"', body)  # what was typed stays
    assert changed(before) == {}
    response = client.post_form(f"{LIST}/{number}", {"answer": "nimporte", "comment": "x"})
    assert response.status_code == 400 and "Choisissez" in text(response) and changed(before) == {}
    comment = "La date de fin est le 30/06/2021, pas le 31/05/2021."
    response = client.post_form(f"{LIST}/{number}", {"answer": "signale", "comment": comment})
    assert response.status_code == 302
    assert changed(before) == {"StockVerification": 1, "AuditEntry": 1}
    row = text(client.get(LIST))
    row = row[row.index(f'data-number="{number}"'):]
    assert "Anomalie signalée par le CFA" in row[:row.index("</tr>")]
    opco = text(make_client(world["staff"].email).get(f"/admin/dossier/details/?id={world['scheduled'].id}"))
    assert "Anomalie signalée par le CFA" in opco and comment in opco
    # the same answer again (a double click) records nothing; a new answer is kept beside the old one
    client.post_form(f"{LIST}/{number}", {"answer": "signale", "comment": comment})
    assert changed(before) == {"StockVerification": 1, "AuditEntry": 1}
    client.post_form(f"{LIST}/{number}", {"answer": "confirme", "comment": "Corrigé par l'OPCO."})
    assert changed(before) == {"StockVerification": 2, "AuditEntry": 2}
    opco = text(make_client(world["staff"].email).get(f"/admin/dossier/details/?id={world['scheduled'].id}"))
    assert opco.index("Confirmé par le CFA") < opco.index(comment)  # the latest first, the history kept
    assert "Corrigé par l'OPCO." in text(client.get(f"{LIST}/{number}"))


def test_a_post_without_its_csrf_token_writes_nothing(world, make_client):
    client = make_client(world["sud"].admin.email)
    before = table_counts()
    response = client.post(f"{LIST}/{world['scheduled'].number}", data={"answer": "confirme"})
    assert response.status_code == 400 and changed(before) == {}


def test_another_organisation_or_a_dossier_that_is_not_stock_is_out_of_reach(world, make_client):
    sud, nord = world["sud"], world["nord"]
    client = make_client(nord.admin.email)
    before = table_counts()
    for number in (sud.stock_dossier.number, world["scheduled"].number):
        assert client.get(f"{LIST}/{number}").status_code == 404
        assert client.post_form(f"{LIST}/{number}", {"answer": "confirme"}).status_code == 404
    own = make_client(sud.admin.email)
    assert own.get(f"{LIST}/{sud.dossier.number}").status_code == 404  # an ordinary contract
    assert own.post_form(f"{LIST}/{sud.loose_dossier.number}", {"answer": "confirme"}).status_code == 404
    assert changed(before) == {}
    assert world["scheduled"].number not in client.get(LIST).get_data(as_text=True)


def test_the_list_pages_by_keyset_without_a_query_per_row(world, make_client, factory, db):
    sud = world["sud"]
    made = [factory.dossier(organisation=sud.organisation, is_stock=True, state="engage", regime="stock").number
            for _ in range(23)]
    client = make_client(sud.admin.email)
    first = text(client.get(LIST))
    with count_queries(db) as statements:
        client.get(LIST)
    assert len(statements) <= 12, statements
    page_one = listed(first)
    assert page_one == list(reversed(made))[:20]
    next_url = html_lib.unescape(re.search(r'<a class="page-link" href="([^"#]+apres=\d+)">Suivant', first).group(1))
    page_two = listed(text(client.get(next_url)))
    assert page_two == list(reversed(made))[20:] + [world["scheduled"].number, sud.stock_dossier.number]
    assert 'href="#">Suivant' in text(client.get(next_url))
    assert client.get(f"{LIST}?apres=x%27").status_code == 200  # a bad cursor is the first page


@given(answer=st.one_of(st.sampled_from(["confirme", "signale", "", "a_verifier"]), odd_text),
       comment=st.one_of(odd_text, st.text(min_size=1990, max_size=2100), st.just("")))
@FUZZ
def test_the_verification_form_never_fails_and_never_writes_half(app, factory, make_client, answer, comment):
    org = models.Organisation.get_or_none(models.Organisation.name == "CFA Fuzz") or factory.organisation(
        name="CFA Fuzz")
    if not models.User.select().where(models.User.email == "fuzz@cfa.test").exists():
        factory.cfa_user(org, email="fuzz@cfa.test")
        factory.dossier(organisation=org, number="3900000001", is_stock=True, state="engage", regime="stock")
    client = make_client("fuzz@cfa.test")
    before = table_counts()
    response = client.post_form(f"{LIST}/3900000001", {"answer": answer, "comment": comment})
    assert response.status_code < 500
    delta = changed(before)
    if response.status_code == 302:
        assert delta in ({}, {"StockVerification": 1, "AuditEntry": 1})
        if delta:
            row = models.StockVerification.select().order_by(models.StockVerification.id.desc()).get()
            assert row.answer in ("confirme", "signale") and len(row.comment) <= 2000
            assert row.answer == "confirme" or row.comment.strip()
    else:
        nul = "\x00" in answer or "\x00" in comment
        assert response.status_code == 400 and delta == {}, (response.status_code, nul)


def test_step_0020_gives_an_old_database_the_table_and_the_indexes(app, db):
    from playhouse.migrate import migrate

    from models import migrations

    version = models.SchemaVersion.get().version
    migrator = migrations.SchemaMigrator.from_database(db)
    db.drop_tables([models.StockVerification])
    migrate(migrator.drop_index("dossier", "dossier_organisation_id_is_stock_id"),
            migrator.drop_index("dossier", "dossier_organisation_id_state_scheme_id"))
    before = migrations.STEPS.index(migrations._0020_stock_verification)
    models.SchemaVersion.update(version=before).execute()
    try:
        assert migrations.migrate_schema() == len(migrations.STEPS) - before
        assert "stock_verification" in db.get_tables()
        indexes = {index.name for index in db.get_indexes("dossier")}
        assert {"dossier_organisation_id_is_stock_id", "dossier_organisation_id_state_scheme_id"} <= indexes
    finally:
        db.create_tables([models.StockVerification], safe=True)
        models.SchemaVersion.update(version=version).execute()
