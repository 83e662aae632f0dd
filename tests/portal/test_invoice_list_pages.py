"""The portal's invoice list at any depth: keyset pages through the real links, a constant number of queries."""
import html as html_module
import re

import models
from tests.querycount import count_queries


def _invoice_ids(page_html):
    return [int(i) for i in re.findall(r'/portail/factures/(\d+)"', page_html)]


def _link(page_html, label):
    found = re.search(r'<a class="page-link" href="([^"]*)">' + label, page_html)
    return html_module.unescape(found.group(1)) if found else None


def _invoices(org, dossier, count):
    return [models.Invoice.create(organisation=org, dossier=dossier, number=1000 + i, state="en_traitement").id
            for i in range(count)]


def test_next_and_previous_walk_every_invoice_once_newest_first(sud_client, factory, org, db):
    dossier = factory.dossier(organisation=org)
    made = _invoices(org, dossier, 120)
    factory.dossier(organisation=factory.organisation())
    url, pages, counts = "/portail/factures", [], []
    while url:
        with count_queries(db) as sql:
            page_html = sud_client.get(url).get_data(as_text=True)
        counts.append(len(sql))
        pages.append(_invoice_ids(page_html))
        url = _link(page_html, "Suivant")
    assert [len(p) for p in pages] == [50, 50, 20] and sum(pages, []) == made[::-1]
    assert len(set(counts)) == 1, counts  # page 3 costs what page 1 does
    counts_sql = [q for q in sql if "COUNT(" in q.upper() and "invoice" in q]
    # capped (no further than 1 001 rows: "plus de 1 000"), never a count of the organisation's invoices
    assert counts_sql and all(re.search(r'LIMIT (\?|%s)\) AS "_wrapped"', q) for q in counts_sql), counts_sql
    back, url = [], _link(page_html, "Précédent")
    while url:
        page_html = sud_client.get(url).get_data(as_text=True)
        back.append(_invoice_ids(page_html))
        url = _link(page_html, "Précédent")
    assert back == pages[-2::-1]


def test_the_filters_follow_the_pages_and_other_organisations_stay_out(sud_client, factory, org):
    dossier = factory.dossier(organisation=org)
    other = factory.organisation()
    foreign = models.Invoice.create(organisation=other, dossier=factory.dossier(organisation=other), number=1,
                                    state="en_traitement")
    made = _invoices(org, dossier, 60)
    models.Invoice.update(state="validee").where(models.Invoice.id.in_(made[:55])).execute()
    first = sud_client.get("/portail/factures?state=validee").get_data(as_text=True)
    assert "state=validee" in _link(first, "Suivant")
    second = sud_client.get(_link(first, "Suivant")).get_data(as_text=True)
    assert _invoice_ids(first) + _invoice_ids(second) == made[:55][::-1]
    assert foreign.id not in _invoice_ids(sud_client.get(f"/portail/factures?apres={foreign.id + 1000}")
                                          .get_data(as_text=True))
    assert sud_client.get("/portail/factures?apres=x&avant=%C2%B3").status_code == 200
