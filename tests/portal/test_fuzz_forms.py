"""Every portal form fuzzed with Hypothesis: odd strings, huge or negative numbers, bad dates, missing or fake
files. Never a 5xx; a request is either fully accepted or writes nothing at all."""
import io
import string
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import models
from tests.factories import make_pdf

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FEW = settings(FUZZ, max_examples=40)  # forms whose every example creates an invoice or a draft first
PDF = make_pdf("Fuzz")

odd_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
numberish = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
    st.decimals(min_value=-10**6, max_value=10**6, places=2).map(lambda d: str(d).replace(".", ",")),
    st.sampled_from(["", " ", "1e400", "-0", "1 234,56", "12,345,6", "€", "--1", "0x10", "١٢٣", "NaN", "inf"]),
    odd_text,
)
dateish = st.one_of(
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["", "31/02/2026", "00/00/0000", "01/09/2025", "28/02/2026", "1/1/1", "99/99/9999",
                     "2026-13-01", "01/09/25"]),
    odd_text,
)
fileish = st.one_of(
    st.none(),
    st.just(PDF),
    st.binary(max_size=300),
    st.binary(max_size=200).map(lambda b: b"%PDF-1.4\n" + b),
    st.just(b""),
)


def table_counts():
    return {m.__name__: m.select().count() for m in models.MODELS}


def changed(before):
    after = table_counts()
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


@pytest.fixture
def setup(factory, make_client):
    org = factory.organisation(name="CFA Sud", vat_liable=True)  # the TTC field is there to fuzz
    factory.cfa_user(org, email="admin@cfa-sud.test")
    dossier = factory.engaged_dossier(org)
    small = factory.organisation(name="Petit CFA")
    factory.cfa_user(small, email="admin@petit-cfa.test")  # told of each request, once
    return make_client("admin@cfa-sud.test"), dossier, small


@given(data=st.fixed_dictionaries({
    "period_start": dateish, "period_end": dateish, "teaching_amount": numberish, "nights": numberish,
    "lodging_amount": numberish, "meals": numberish, "meals_amount": numberish,
    "first_equipment_amount": numberish, "mobility_amount": numberish, "cfa_reference": odd_text,
    "terms": st.sampled_from(["y", "", "on", "false"]), "submission_key": st.one_of(st.just(""), odd_text),
    "cfa_invoice_date": dateish, "amount_ht": st.one_of(st.just(""), numberish),
    "amount_ttc": st.one_of(st.just(""), numberish), "comment": st.one_of(odd_text, st.text(min_size=1990,
                                                                                           max_size=2010)),
}), invoice=fileish, certificate=fileish, supporting=st.lists(fileish, max_size=3))
@example(data={"period_start": "01/09/2025", "period_end": "28/02/2026", "teaching_amount": "1 234,56", "nights": "",
               "lodging_amount": "", "meals": "2", "meals_amount": "6", "first_equipment_amount": "",
               "mobility_amount": "", "cfa_reference": "FAC-1", "terms": "y", "submission_key": "",
               "cfa_invoice_date": "", "amount_ht": "", "amount_ttc": "", "comment": ""},
         invoice=PDF, certificate=None, supporting=[PDF])  # the accepted path is always exercised too
@example(data={"period_start": "01/09/2025", "period_end": "28/02/2026", "teaching_amount": "1 234,56", "nights": "",
               "lodging_amount": "", "meals": "2", "meals_amount": "6", "first_equipment_amount": "",
               "mobility_amount": "", "cfa_reference": "FAC-1", "terms": "y", "submission_key": "",
               "cfa_invoice_date": "05/09/2025", "amount_ht": "1 240,56", "amount_ttc": "1 488,67", "comment": "TVA"},
         invoice=PDF, certificate=None, supporting=[])  # HT + 20 %: accepted for the VAT-liable CFA
@FUZZ
def test_reimbursement_form_never_fails_and_never_writes_half(setup, data, invoice, certificate, supporting):
    client, dossier, _ = setup
    body = dict(data)
    if invoice is not None:
        body["invoice_pdf"] = (io.BytesIO(invoice), "facture.pdf")
    if certificate is not None:
        body["certificate_pdf"] = (io.BytesIO(certificate), "certificat.pdf")
    files = [(io.BytesIO(content), f"piece-{i}.pdf") for i, content in enumerate(supporting) if content is not None]
    if files:
        body["supporting_pdfs"] = files
    before = table_counts()
    response = client.post_form(f"/portail/dossiers/{dossier.number}/remboursement", body,
                                content_type="multipart/form-data")
    assert response.status_code < 500
    delta = changed(before)
    if response.status_code == 302 and "/portail/factures/" in response.headers["Location"]:
        if delta:  # a new request (not the replay of an earlier submission key)
            assert delta["Invoice"] == 1 and delta["InvoiceLine"] >= 1 and 2 <= delta["Document"] <= 6
            invoice_row = models.Invoice.select().order_by(models.Invoice.id.desc()).get()
            assert invoice_row.receipt_number and invoice_row.state == "en_traitement"
    else:
        assert response.status_code in (400, 409, 413), response.status_code
        assert delta == {}, delta


@given(doc_type=st.one_of(st.sampled_from(["convention", "cerfa", "certificat", "facture", "autre", "rib", ""]),
                          odd_text),
       content=fileish, name=odd_text)
@FUZZ
def test_document_upload_never_fails_and_never_writes_half(setup, doc_type, content, name):
    client, dossier, _ = setup
    body = {"doc_type": doc_type}
    if content is not None:
        body["file"] = (io.BytesIO(content), name or "x.pdf")
    before = table_counts()
    response = client.post_form(f"/portail/dossiers/{dossier.number}/documents", body,
                                content_type="multipart/form-data")
    assert response.status_code < 500
    delta = changed(before)
    if response.status_code == 302:
        assert delta == {"Document": 1, "AuditEntry": 1}
    else:
        assert response.status_code == 400 and delta == {}


@given(siret=st.one_of(odd_text, st.text(string.digits, min_size=14, max_size=14), st.just("SMALL")),
       name=st.one_of(odd_text, st.just("Petit CFA"), st.just("PETIT cfa")))
@FUZZ
def test_delegation_form_never_fails_and_never_writes_half(setup, siret, name):
    client, _, small = setup
    siret = small.siret if siret == "SMALL" else siret
    before = table_counts()
    response = client.post_form("/portail/delegations", {"siret": siret, "name": name})
    assert response.status_code < 500
    delta = changed(before)
    if response.status_code == 302:
        assert delta == {"Delegation": 1, "AuditEntry": 1, "Notification": 1}
        models.Delegation.delete().execute()
    else:
        assert response.status_code == 400 and delta == {}


@given(siret=odd_text)
@FUZZ
def test_organisation_picker_never_fails(setup, siret):
    client, _, _ = setup
    before = table_counts()
    response = client.post_form(f"/portail/organisation/{quote(siret, safe='')}")
    assert response.status_code in (302, 404, 405, 308)
    assert changed(before) == {}


@given(params=st.dictionaries(st.sampled_from(["apprenti", "numero", "deca", "state", "scheme", "regime", "year",
                                                 "sort", "dir", "page", "per_page", "to_invoice", "status",
                                                 "category"]),
                              st.one_of(odd_text, numberish), max_size=8))
@FUZZ
def test_search_forms_never_fail(setup, params):
    client, _, _ = setup
    for url in ("/portail/dossiers", "/portail/factures", "/portail/notifications"):
        response = client.get(url, query_string=params)
        # 400 only for what no database can store (NUL characters are refused before any view runs)
        nul = any("\x00" in value for value in params.values())
        assert response.status_code == 200 or (response.status_code == 400 and nul), (url, params)


@given(state=st.sampled_from(["en_traitement", "en_attente", "validee", "payee", "rejetee"]),
       doc_type=st.one_of(st.sampled_from(["facture", "certificat", "justificatif", "autre", ""]), odd_text),
       content=fileish, name=odd_text)
@FEW
def test_supplementary_document_form_never_fails_and_never_writes_half(setup, state, doc_type, content, name):
    from tests.factories import make_invoice

    client, dossier, _ = setup
    invoice = make_invoice(dossier.organisation, dossier, state=state)
    body = {"doc_type": doc_type}
    if content is not None:
        body["document"] = (io.BytesIO(content), name or "x.pdf")
    before = table_counts()
    response = client.post_form(f"/portail/factures/{invoice.id}/document", body, content_type="multipart/form-data")
    assert response.status_code < 500
    delta = changed(before)
    if response.status_code == 302:
        assert state not in ("payee", "rejetee")
        assert delta["Document"] == 1 and delta["InvoiceEvent"] == 1
    else:
        assert response.status_code in (400, 409, 413) and delta == {}


@given(data=st.fixed_dictionaries({
    "cfa_reference": odd_text, "cfa_invoice_date": dateish, "amount_ht": st.one_of(st.just(""), numberish),
    "amount_ttc": st.one_of(st.just(""), numberish), "comment": odd_text,
    "terms": st.sampled_from(["y", ""]), "action": st.sampled_from(["send", "save", ""]),
}), invoice=fileish, supporting=st.lists(fileish, max_size=2))
@FEW
def test_mass_invoicing_send_form_never_fails_and_never_writes_half(setup, data, invoice, supporting):
    client, dossier, _ = setup
    draft = models.Invoice.select().where(models.Invoice.state == "brouillon").first()
    if draft is None:
        assert client.post_form("/portail/facturation", {"fees": ["teaching"], "dossiers": [dossier.id],
                                                          "action": "next"}).status_code == 302
        draft = models.Invoice.get(models.Invoice.state == "brouillon")
        item = models.Installment.select().where((models.Installment.dossier == dossier.id)
                                                 & (models.Installment.status == "to_invoice")).first()
        client.post_form(f"/portail/facturation/{draft.id}/echeances", {f"inst-{dossier.id}": [item.id]})
    body = dict(data)
    if invoice is not None:
        body["document"] = (io.BytesIO(invoice), "facture.pdf")
    files = [(io.BytesIO(content), f"piece-{i}.pdf") for i, content in enumerate(supporting) if content is not None]
    if files:
        body["supporting_pdfs"] = files
    before = table_counts()
    response = client.post_form(f"/portail/facturation/{draft.id}/envoi", body, content_type="multipart/form-data")
    assert response.status_code < 500
    delta = changed(before)
    if response.status_code != 302:
        assert response.status_code in (400, 409, 413) and delta == {}, (response.status_code, delta)
@given(columns=st.lists(st.one_of(st.sampled_from(["apprenti", "cfa", "budget", "remboursements", "deca"]), odd_text),
                        max_size=20),
       back=st.one_of(odd_text, st.dictionaries(st.sampled_from(["apprenti", "state", "sort", "per_page", "evil"]),
                                                odd_text, max_size=4).map(lambda d: "&".join(
                                                    f"{quote(k)}={quote(v)}" for k, v in d.items()))),
       default=st.sampled_from(["", "1", "x"]))
@FUZZ
def test_column_choice_never_fails_and_keeps_only_known_columns(setup, columns, back, default):
    from views.portal.dossiers import CHOICE_KEYS
    client, _, _ = setup
    before = models.User.get(models.User.email == "admin@cfa-sud.test").list_columns
    response = client.post_form("/portail/dossiers/colonnes", {"colonnes": columns, "retour": back, "defaut": default})
    if any("\x00" in text for text in [*columns, back]):  # refused at the door (app.py)
        assert response.status_code == 400
        assert models.User.get(models.User.email == "admin@cfa-sud.test").list_columns == before
        return
    assert response.status_code == 302 and response.headers["Location"].startswith("/portail/dossiers")
    kept = models.User.get(models.User.email == "admin@cfa-sud.test").list_columns
    if default:
        assert not kept
    else:
        assert kept["dossiers"] == [key for key in CHOICE_KEYS if key in columns]
    listed = client.get(response.headers["Location"])
    assert listed.status_code == 200 or (listed.status_code == 400 and "%00" in response.headers["Location"])
