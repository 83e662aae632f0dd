"""The bank details page (seed 003 *3.3*): UAI and SIRET shown, the RIB rules, each RIB file downloadable again by
the entitled only; the OPCO's BIC beside its IBAN in the refund instructions."""
import io

from pypdf import PdfReader

import models
from workflows.credit_notes import create_credit_note
from tests.factories import BIC, IBAN, make_pdf

URL = "/portail/organisation/banque"
RIB = make_pdf("RIB du CFA Sud")


def _submit(client, name="rib-cfa-sud.pdf"):
    data = {"iban": IBAN, "bic": BIC, "holder": "CFA Sud", "third_party": "0", "rib": (io.BytesIO(RIB), name)}
    response = client.post_form(URL, data, content_type="multipart/form-data")
    assert response.status_code == 302
    return models.BankDetails.select().order_by(models.BankDetails.id.desc()).first()


def test_the_form_shows_the_uai_and_siret_and_the_rib_rules(factory, make_client):
    org = factory.organisation(name="CFA Sud", uai="0751234J", siret="51234567900017")
    page = make_client(factory.cfa_user(org).email).get(URL).get_data(as_text=True)
    identity = page.split('id="bank-identity"')[1].split('</div>\n    <div class="form-group">')[0]
    assert 'value="0751234J"' in identity and 'value="51234567900017"' in identity
    assert "Numéro UAI" in identity and "Mon SIRET" in identity
    rules = page.split('id="rib-rules"')[1].split("</div>")[0]
    for text in ("original émis par votre banque", "raison sociale et l'adresse", "banque en ligne",
                 "daté, cacheté et signé", "courrier sur papier à en-tête", "nom d'un particulier",
                 "aucune facture n'est en cours de traitement"):
        assert text in rules, text
    assert "Je facture moi-même mes contrats" in page and "J&#39;utilise un tiers pour la facturation" in page


def test_the_rib_file_is_listed_and_downloaded_again_by_the_entitled(factory, make_client):
    org = factory.organisation(name="CFA Sud")
    admin = make_client(factory.cfa_user(org).email)
    details = _submit(admin)
    page = admin.get(URL).get_data(as_text=True)
    history = page.split('id="bank-history"')[1]
    link = f"/portail/organisation/banque/{details.id}/rib"
    assert f'href="{link}"' in history and "rib-cfa-sud.pdf" in history
    response = admin.get(link)
    assert response.status_code == 200 and response.data == RIB
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert models.AuditEntry.select().where((models.AuditEntry.action == "download")
                                            & (models.AuditEntry.entity == "document")).count() == 1
    biller = make_client(factory.billing_user(org).email)  # a gestionnaire with a billing right
    assert biller.get(link).data == RIB
    no_billing = make_client(factory.cfa_user(org, role="gestionnaire_of", rights=["right_contracts"]).email)
    assert no_billing.get(link).status_code == 403
    assert make_client(factory.cfa_user(factory.organisation()).email).get(link).status_code == 404
    assert admin.get("/portail/organisation/banque/999999/rib").status_code == 404


def test_the_approved_rib_links_its_file(factory, make_client):
    org = factory.organisation()
    client = make_client(factory.cfa_user(org).email)
    details = _submit(client)
    from workflows import bank_details as bank_service
    bank_service.approve(details, factory.staff("comptable"))
    approved = client.get(URL).get_data(as_text=True).split('id="approved-rib"')[1].split("</p>")[0]
    assert f"/portail/organisation/banque/{details.id}/rib" in approved and "Télécharger le RIB" in approved


def test_a_delegate_never_gets_the_delegators_rib(factory, make_client):
    delegator, delegate = factory.organisation(name="CFA Ouest"), factory.organisation(name="CFA Sud")
    models.Delegation.create(delegate=delegate, delegator=delegator, state="approuvee")
    details = _submit(make_client(factory.cfa_user(delegator).email))
    document = models.Document.get(models.Document.bank_details == details.id)
    client = make_client(factory.cfa_user(delegate).email)
    assert client.get(f"/portail/organisation/banque/{details.id}/rib").status_code == 404
    assert client.get(f"/portail/documents/{document.id}").status_code == 404
    assert "rib-cfa-sud.pdf" not in client.get(URL).get_data(as_text=True)


def test_the_refund_instructions_give_the_opco_iban_and_bic(app, factory, make_client):
    org = factory.organisation(credit_note_mode="refund")
    note = create_credit_note(factory.dossier(organisation=org, state="engage"), "300.00", "rupture")
    client = make_client(factory.cfa_user(org).email)
    instructions = client.get("/portail/organisation/avoirs").get_data(as_text=True).split(
        'id="refund-instructions"')[1].split("</div>")[0]
    assert app.config["OPCO_IBAN"] in instructions and f"BIC <b>{app.config['OPCO_BIC']}</b>" in instructions
    assert app.config["OPCO_BIC"] == "AGRIFRPPXXX"
    pdf = client.get(f"/portail/avoirs/{note.number}/pro-forma.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "AGRIFRPPXXX" in text and app.config["OPCO_IBAN"] in text and "AVCAP PRO-1" in text
