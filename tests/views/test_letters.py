"""Letters (courriers) issued by the dossier actions: valid PDFs naming the dossier, listed and downloadable."""
import html
import io

import pytest
from pypdf import PdfReader

import models
from infrastructure import clock


@pytest.fixture
def staff_client(make_client, factory):
    return make_client(factory.staff("conseiller", first_name="Nadia", last_name="Benali").email)


def pdf_text(data):
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\u00a0", " ")


def issue(client, action, dossier, data=None):
    client.post_form(f"/admin/dossier/action/{action}/?ids={dossier.id}", data or {})
    return models.Letter.select().where(models.Letter.dossier == dossier.id).order_by(models.Letter.id.desc()).first()


def download(client, letter):
    return client.get(f"/admin/dossier/courrier/{letter.id}/")


LETTERS = [
    ("engager", "en_instruction", {}, "accord", ["Accord de prise en charge", "Échéancier", "Montant total engagé"]),
    ("demander_pieces", "en_instruction", {"pieces": "Convention de formation signée\nCERFA complet"}, "relance",
     ["Convention de formation signée", "CERFA complet"]),
    ("refuser", "en_instruction", {"reason": "Formation hors champ de l'apprentissage"}, "refus",
     ["Refus de prise en charge", "Formation hors champ de l'apprentissage"]),
]


@pytest.mark.parametrize("action,state,data,kind,phrases", LETTERS, ids=[c[3] for c in LETTERS])
def test_each_letter_is_a_pdf_naming_the_dossier_and_its_parties(staff_client, factory, action, state, data, kind,
                                                                 phrases):
    organisation = factory.organisation(name="CFA des Métiers de Lyon")
    employer = factory.employer(name="Garage Dupuis")
    apprentice = factory.apprentice(birth_name="Moreau", first_name="Inès")
    dossier = factory.dossier(state=state, organisation=organisation, employer=employer, apprentice=apprentice)
    letter = issue(staff_client, action, dossier, data)
    assert letter is not None and letter.kind == kind
    response = download(staff_client, letter)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert dossier.number in response.headers["Content-Disposition"]
    body = response.data
    assert body.startswith(b"%PDF")
    text = pdf_text(body)
    for expected in [dossier.number, "CFA des Métiers de Lyon", "Garage Dupuis", "MOREAU Inès",
                     "OPCO Avenir Compétences", "Nadia Benali", *phrases]:
        assert expected in text, expected
    assert clock.today().strftime("%d/%m/%Y") in text


def test_the_agreement_letter_gives_the_amounts_in_french_format(staff_client, factory):
    dossier = factory.dossier(state="en_instruction", npec=7000, teaching_cost=7500)
    letter = issue(staff_client, "engager", dossier)
    text = pdf_text(download(staff_client, letter).data)
    fresh = models.Dossier.get_by_id(dossier.id)
    assert "7 000,00 €" in text
    assert f"{fresh.total_financed:,.2f} €".replace(",", " ").replace(".", ",") in text
    assert "500,00 €" in text  # teaching cost beyond the NPEC, billed to the employer


def test_letters_are_listed_on_the_dossier_page_with_their_date_and_a_download_link(staff_client, factory):
    dossier = factory.dossier(state="en_instruction")
    relance = issue(staff_client, "demander_pieces", dossier, {"pieces": "RIB"})
    staff_client.post_form(f"/admin/dossier/action/reprendre/?ids={dossier.id}", {})
    accord = issue(staff_client, "engager", dossier)
    page = html.unescape(staff_client.get(f"/admin/dossier/details/?id={dossier.id}").get_data(as_text=True))
    letters = page.split('id="letters"')[1]
    assert letters.index(accord.title) < letters.index(relance.title)  # newest first
    assert f"/admin/dossier/courrier/{relance.id}/" in letters and f"/admin/dossier/courrier/{accord.id}/" in letters
    assert relance.issued_at.strftime("%d/%m/%Y") in letters


def test_issuing_a_letter_notifies_the_cfa(staff_client, factory):
    dossier = factory.dossier(state="en_instruction")
    cfa_user = factory.cfa_user(organisation=dossier.organisation, role="gestionnaire_of", rights=["right_contracts"])
    issue(staff_client, "refuser", dossier, {"reason": "Dossier hors délai"})
    messages = {(n.user_id, n.message) for n in models.Notification.select().where(
        models.Notification.organisation == dossier.organisation_id)}
    assert messages == {(cfa_user.id, f"Dossier {dossier.number} : En instruction → Refusé."),
                        (cfa_user.id, f"Dossier {dossier.number} : courrier de refus de prise en charge disponible.")}


def test_letters_are_downloadable_by_staff_only(staff_client, make_client, factory):
    dossier = factory.dossier(state="en_instruction")
    letter = issue(staff_client, "refuser", dossier, {"reason": "Hors délai"})
    cfa_client = make_client(factory.cfa_user(organisation=dossier.organisation).email)
    assert download(cfa_client, letter).status_code == 403
    anonymous = make_client()
    assert download(anonymous, letter).status_code == 302
    accountant = make_client(factory.staff("comptable").email)
    assert download(accountant, letter).status_code == 200


def test_an_unknown_letter_is_a_404(staff_client):
    assert staff_client.get("/admin/dossier/courrier/987654/").status_code == 404
