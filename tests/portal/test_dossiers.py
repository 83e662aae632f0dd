"""Dossiers list (search, filters, sorting, pagination without COUNT, exports) and the dossier page."""
import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

import models
from tests.factories import make_pdf
from tests.querycount import count_queries


@pytest.fixture
def client(sud_client):
    return sud_client


def numbers(page_html):
    import re
    return re.findall(r'/portail/dossiers/(\d+)"', page_html)


def test_search_by_apprentice_name_action_number_and_deca_number(client, factory, org):
    martin = factory.dossier(organisation=org, apprentice=factory.apprentice(birth_name="MARTIN", first_name="Zoé"),
                             apprentice_name="MARTIN Zoé", number="2011303654", deca_number="DECA-77")
    other = factory.dossier(organisation=org, apprentice_name="DURAND Paul", number="2011309999")
    assert numbers(client.get("/portail/dossiers?apprenti=martin").get_data(as_text=True)) == [martin.number]
    assert numbers(client.get("/portail/dossiers?numero=2011303").get_data(as_text=True)) == [martin.number]
    assert numbers(client.get("/portail/dossiers?deca=DECA-77").get_data(as_text=True)) == [martin.number]
    assert set(numbers(client.get("/portail/dossiers").get_data(as_text=True))) == {martin.number, other.number}


def test_filters_by_state_scheme_regime_and_year(client, factory, org):
    a = factory.dossier(organisation=org, state="engage", scheme="apprentissage", regime="2025")
    b = factory.dossier(organisation=org, state="recu", scheme="pro_a", regime="2021",
                        contract_start=dt.date(2023, 9, 1), conclusion_date=dt.date(2023, 8, 1))
    assert numbers(client.get("/portail/dossiers?state=engage").get_data(as_text=True)) == [a.number]
    assert numbers(client.get("/portail/dossiers?scheme=pro_a").get_data(as_text=True)) == [b.number]
    assert numbers(client.get("/portail/dossiers?regime=2025").get_data(as_text=True)) == [a.number]
    assert numbers(client.get("/portail/dossiers?year=2023").get_data(as_text=True)) == [b.number]
    # unknown values are ignored rather than failing
    response = client.get("/portail/dossiers?state=bidon&year=abc&sort=drop&page=-3&per_page=7")
    assert response.status_code == 200 and set(numbers(response.get_data(as_text=True))) == {a.number, b.number}


@pytest.mark.parametrize("key,attribute", [("numero", "number"), ("apprenti", "apprentice_name"),
                                           ("debut", "contract_start"), ("budget", "total_financed"),
                                           ("etat", "state"), ("fin", "contract_end"), ("employeur", None)])
def test_every_indexed_column_sorts_both_ways(client, factory, org, key, attribute):
    """The employer's name would sort through a join over the whole organisation: it is no sort any more (the
    list keeps its default order, newest first)."""
    rows = [factory.dossier(organisation=org, number=f"20990000{i}", apprentice_name=name, state=state,
                            contract_start=dt.date(2025, 9, i + 1), total_financed=Decimal(1000 * (3 - i)),
                            contract_end=dt.date(2027, 9, 3 - i),
                            employer=factory.employer(name=f"Entreprise {chr(67 - i)}"))
            for i, (name, state) in enumerate([("BERNARD Luc", "recu"), ("ABEL Ana", "solde"), ("CYR Max", "engage")])]
    asc = numbers(client.get(f"/portail/dossiers?sort={key}&dir=asc").get_data(as_text=True))
    desc = numbers(client.get(f"/portail/dossiers?sort={key}&dir=desc").get_data(as_text=True))
    if attribute is None:
        expected = [d.number for d in sorted(rows, key=lambda d: d.id)]
        assert asc == desc == expected[::-1]
        return
    else:
        expected = [d.number for d in sorted(rows, key=lambda d: getattr(d, attribute))]
    assert asc == expected and desc == expected[::-1]


def _link(html, label):
    import html as html_module
    import re
    found = re.search(r'<li class="page-item( disabled)?"><a class="page-link" href="([^"]*)">' + label, html)
    return None if found.group(1) else html_module.unescape(found.group(2))


def test_pages_follow_each_other_without_overlap_and_without_count(client, factory, org, db):
    """Keyset pages through the real links: Suivant to the end, Précédent back to the start, same rows."""
    created = {factory.dossier(organisation=org).number for _ in range(45)}
    url, pages = "/portail/dossiers", []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(numbers(html))
        url = _link(html, "Suivant")
    assert [len(p) for p in pages] == [20, 20, 5] and set(sum(pages, [])) == created
    assert "apres=" in _link(client.get("/portail/dossiers").get_data(as_text=True), "Suivant")
    assert "Page 3" in html and _link(html, "Suivant") is None
    back = []
    url = _link(html, "Précédent")
    while url:
        html = client.get(url).get_data(as_text=True)
        back.append(numbers(html))
        url = _link(html, "Précédent")
    assert back == pages[-2::-1] and "Page 1" in html
    with count_queries(db) as sql:
        client.get(_link(client.get("/portail/dossiers").get_data(as_text=True), "Suivant"))
    assert not any("COUNT" in q.upper() and 'FROM "dossier"' in q for q in sql)


def test_keyset_pages_keep_the_sort_and_the_filters(client, factory, org):
    for i in range(50):
        factory.dossier(organisation=org, apprentice_name=f"NOM{i % 5} Prénom", state="engage" if i % 2 else "recu")
    expected = [d.number for d in models.Dossier.select().where(models.Dossier.state == "engage")
                .order_by(models.Dossier.apprentice_name_key, models.Dossier.id)]
    url, seen = "/portail/dossiers?state=engage&sort=apprenti&dir=asc&per_page=20", []
    html = client.get(url).get_data(as_text=True)
    seen += numbers(html)
    html = client.get(_link(html, "Suivant")).get_data(as_text=True)
    seen += numbers(html)
    assert len(expected) == 25 and seen == expected and _link(html, "Suivant") is None


def test_a_cursor_outside_the_scope_is_no_position(client, factory, org):
    """Another organisation's dossier as `apres` answers nothing about it: no row of it, no error."""
    mine = factory.dossier(organisation=org, apprentice_name="MOI Même")
    foreign = factory.dossier(organisation=factory.organisation(), apprentice_name="AUTRE Secret")
    html = client.get(f"/portail/dossiers?sort=apprenti&apres={foreign.id}").get_data(as_text=True)
    assert numbers(html) == [] and "AUTRE" not in html
    assert numbers(client.get(f"/portail/dossiers?apres=abc&avant=-1").get_data(as_text=True)) == [mine.number]


def test_name_search_ignores_accents_and_case_and_matches_a_prefix_in_either_order(client, factory, org):
    """The name starts with the term (last name first, as stored), or the term is "first name + last name"."""
    lea = factory.dossier(organisation=org, apprentice_name="DUPONT-MARTIN Léa")
    leandre = factory.dossier(organisation=org, apprentice_name="LÉANDRE Marc")
    factory.dossier(organisation=org, apprentice_name="DURAND Paul")
    for term in ("dupont", "DUPONT MARTIN LEA", "Dupont-Martin Lé", "Léa Dupont-Martin", "dúpo"):
        assert numbers(client.get("/portail/dossiers", query_string={"apprenti": term}).get_data(as_text=True)) \
            == [lea.number], term
    assert numbers(client.get("/portail/dossiers?apprenti=Lea").get_data(as_text=True)) == [leandre.number]
    for term in ("pont", "Lea Durand", "%", "_", "!!"):
        assert numbers(client.get("/portail/dossiers", query_string={"apprenti": term}).get_data(as_text=True)) \
            == [], term


def test_the_name_key_follows_the_name_on_creation_and_rename(db, factory, org):
    dossier = factory.dossier(organisation=org, apprentice_name="ÉLOÏSE Zoë")
    assert models.Dossier.get_by_id(dossier.id).apprentice_name_key == "eloise zoe"
    dossier.apprentice_name = "NGUYỄN Anh"
    dossier.save()
    assert models.Dossier.get_by_id(dossier.id).apprentice_name_key == "nguyen anh"


def test_the_list_reads_each_organisations_index_range_in_order(client, factory, org, db):
    """A scope of two organisations (delegation): no page sorts all their dossiers (EXPLAIN has no temporary
    sort of the organisations' rows); both organisations' dossiers are listed, newest first."""
    from access.scope import Scope
    from views.portal.dossiers import list_page
    other = factory.organisation()
    made = [factory.dossier(organisation=o) for o in (org, other, org, other)]
    scope = Scope(kind="cfa", organisation_id=org.id, organisation_ids=frozenset({org.id, other.id}),
                  role="admin_of", rights=frozenset({"right_contracts"}))
    filters = {"apprenti": "", "numero": "", "deca": "", "state": "", "scheme": "", "regime": "", "year": "",
               "a_facturer": ""}
    assert [r["id"] for r in list_page(scope, filters, "", "desc", 3)] == [d.id for d in made[::-1]][:3]
    assert [r["id"] for r in list_page(scope, filters, "", "desc", 3, after=made[2].id)] == [made[1].id, made[0].id]


def test_the_list_costs_the_same_few_queries_at_20_and_100_rows(client, factory, org, db):
    for _ in range(120):
        factory.dossier(organisation=org, employer=factory.employer())
    counts = {}
    for per_page in (20, 100):
        with count_queries(db) as sql:
            response = client.get(f"/portail/dossiers?per_page={per_page}")
        assert len(numbers(response.get_data(as_text=True))) == per_page
        counts[per_page] = len(sql)
        # the amounts: one grouped query over the page's ids; the count: a few counter rows, no COUNT(*)
        assert sum('FROM "payment_line"' in q and "GROUP BY" in q for q in sql) == 1
        assert sum('FROM "dossier_counter"' in q for q in sql) == 1
        assert not any("COUNT" in q.upper() and 'FROM "dossier"' in q for q in sql)
    assert counts[20] == counts[100] <= 7, counts  # 7: the footer's helpdesk contact (settings)


def test_csv_and_xlsx_exports_follow_the_filters_and_mask_the_nir(client, factory, org):
    kept = factory.dossier(organisation=org, state="engage", apprentice_name="KEPT Anne",
                           total_financed=Decimal("14600.05"), regime="2021")
    factory.dossier(organisation=org, state="recu", apprentice_name="OTHER Bob")
    response = client.get("/portail/dossiers/export.csv?state=engage")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf") and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "N° de dossier" and len(rows) == 2 and rows[1][0] == kept.number
    nir = kept.apprentice.nir
    assert nir not in body.decode("utf-8-sig") and rows[1][3].startswith(f"{nir[0]} {nir[1:3]} {nir[3:5]} ")
    assert "•" in rows[1][3]
    assert rows[1][6:] == ["Apprentissage", "Contrats 2021-2025", "Engagé", "01/09/2025", "31/08/2027", "14\u00a0600,05\u00a0€",
                           "CFA Sud", "BTS Management commercial opérationnel"]
    xlsx = client.get("/portail/dossiers/export.xlsx?state=engage")
    sheet = load_workbook(io.BytesIO(xlsx.get_data()), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 2 and values[1][0] == kept.number and nir not in str(values)
    logged = [e.note for e in models.AuditEntry.select().where(models.AuditEntry.action == "download")]
    assert logged == ["Export CSV des dossiers (state=engage)", "Export XLSX des dossiers (state=engage)"]


def test_stock_and_no_contract_dossiers_need_their_rights(make_client, factory, org):
    normal = factory.dossier(organisation=org)
    stock = factory.dossier(organisation=org, is_stock=True)
    loose = factory.dossier(organisation=org, without_contract=True)
    only_contracts = factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts"])
    client = make_client(only_contracts.email)
    assert numbers(client.get("/portail/dossiers").get_data(as_text=True)) == [normal.number]
    assert client.get(f"/portail/dossiers/{stock.number}").status_code == 404
    assert client.get(f"/portail/dossiers/{loose.number}").status_code == 404
    stock_user = factory.cfa_user(org, role="gestionnaire_of", rights=["right_stock"])
    client = make_client(stock_user.email)
    assert numbers(client.get("/portail/dossiers").get_data(as_text=True)) == [stock.number]
    csv_text = client.get("/portail/dossiers/export.csv").get_data(as_text=True)
    assert stock.number in csv_text and normal.number not in csv_text and loose.number not in csv_text


def test_the_dossier_page_shows_training_contract_financing_schedule_balance_payments_letters(client, factory, org,
                                                                                               app):
    from infrastructure.storage import LocalStorage
    d = factory.engaged_dossier(org, npec=Decimal("7000.00"), teaching_cost=Decimal("7600.00"), cap_nights=10,
                                cap_meals=20, disability_uplift=Decimal("1000.00"))
    name, sha, size = LocalStorage(app.config["UPLOAD_DIR"]).save(make_pdf())
    models.Letter.create(dossier=d, kind="accord", title="Courrier d'accord", stored_name=name, sha256=sha, size=size)
    html = client.get(f"/portail/dossiers/{d.number}").get_data(as_text=True).replace("\u00a0", " ")
    assert "BTS Management commercial opérationnel" in html and d.employer.name in html
    assert d.apprentice.nir not in html and "••" in html
    financing = html[html.index('id="financing"'):html.index('id="schedule"')]
    assert "7 000,00 €" in financing and "60,00 €" in financing and "60,00 €" in financing
    # The yearly budget (NPEC + uplift) is labelled as such, apart from the caps engaged for the whole contract.
    assert "Budget annuel" in financing and "8 000,00 €" in financing and "8 620,00 €" not in financing
    assert "Financement engagé (toute la durée)" in html[html.index('id="balance"'):]
    assert "600,00 €" in html[html.index('id="delta"'):]  # 7 600 cost − 7 000 NPEC, billed to the employer
    schedule = html[html.index('id="schedule"'):html.index('id="balance"')]
    assert schedule.count("<tr") == 9 and "À facturer" in schedule
    assert "Courrier d&#39;accord" in html and 'data-action="reimbursement"' in html


def test_actions_follow_the_state(client, factory, org):
    pending = factory.dossier(organisation=org, state="en_attente")
    html = client.get(f"/portail/dossiers/{pending.number}").get_data(as_text=True)
    assert 'data-action="document"' in html and 'data-action="reimbursement"' not in html
    unsubrogated = factory.engaged_dossier(org, subrogated=False)
    assert 'data-action="reimbursement"' not in client.get(f"/portail/dossiers/{unsubrogated.number}").get_data(as_text=True)


def test_a_user_of_two_organisations_switches_in_the_header_and_lists_follow(make_client, factory, org):
    nord = factory.organisation(name="CFA Nord")
    user = factory.cfa_user(org, email="multi@cfa.test")
    models.Membership.create(user=user, organisation=nord, role="admin_of", right_contracts=True)
    sud_dossier = factory.dossier(organisation=org)
    nord_dossier = factory.dossier(organisation=nord)
    client = make_client("multi@cfa.test")
    first = numbers(client.get("/portail/dossiers").get_data(as_text=True))
    assert len(first) == 1
    target = nord if first == [sud_dossier.number] else org
    response = client.post_form(f"/portail/organisation/{target.siret}")
    assert response.status_code == 302
    after = numbers(client.get("/portail/dossiers").get_data(as_text=True))
    assert after == [nord_dossier.number if target is nord else sud_dossier.number]
    assert target.name in client.get("/portail/").get_data(as_text=True)
    stranger = factory.organisation(name="CFA Ailleurs")
    assert client.post_form(f"/portail/organisation/{stranger.siret}").status_code == 404
