"""OPCO news (back office → portal dashboard and notifications), the notifications' seed 004 columns, the help page
and the footer's helpdesk contact (a back-office setting), the favicon."""
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models
from models.states import DossierState, InvoiceState
from tests.querycount import count_queries
from views.portal.help import GLOSSARY, MEANINGS


@pytest.fixture
def cfas(factory):
    """Three CFAs, each with an administrator; Sud has a gestionnaire too."""
    orgs = {name: factory.organisation(name=f"CFA {name}") for name in ("Sud", "Nord", "Est")}
    users = {name: factory.cfa_user(org, email=f"admin@cfa-{name.lower()}.test") for name, org in orgs.items()}
    users["Sud gestion"] = factory.cfa_user(orgs["Sud"], email="gestion@cfa-sud.test", role="gestionnaire_of",
                                            rights=["right_contracts"])
    return orgs, users


def publish(client, title, body="Le portail sera fermé samedi de 8 h à 12 h.", all_cfas=False, sirets=""):
    data = {"title": title, "body": body, "sirets": sirets}
    if all_cfas:
        data["all_cfas"] = "y"
    return client.post_form("/admin/opconews/new/", data)


def dashboard(make_client, email):
    return make_client(email).get("/portail/").get_data(as_text=True)


def test_a_broadcast_to_a_selection_reaches_exactly_the_chosen_cfas(make_client, factory, cfas):
    orgs, users = cfas
    conseiller = make_client(factory.staff("conseiller").email)
    response = publish(conseiller, "Fermeture exceptionnelle",
                       sirets=f"{orgs['Sud'].siret}\n {orgs['Nord'].siret[:9]} {orgs['Nord'].siret[9:]} \n")
    assert response.status_code == 302
    news = models.OpcoNews.get()
    assert not news.all_cfas
    assert {t.organisation_id for t in news.targets} == {orgs["Sud"].id, orgs["Nord"].id}
    for email in ("admin@cfa-sud.test", "gestion@cfa-sud.test", "admin@cfa-nord.test"):
        assert "Fermeture exceptionnelle" in dashboard(make_client, email), email
    assert "Fermeture exceptionnelle" not in dashboard(make_client, "admin@cfa-est.test")
    assert make_client("admin@cfa-est.test").get("/portail/notifications?category=actualite").get_data(
        as_text=True).count("Fermeture exceptionnelle") == 0
    entry = models.AuditEntry.get(models.AuditEntry.entity == "opco_news")
    assert entry.action == "create" and entry.note == "Actualité diffusée à 2 CFA"
    assert sorted(entry.after["organisation_ids"]) == sorted([orgs["Sud"].id, orgs["Nord"].id])
    assert models.OpcoNewsRead.select().count() == 0  # nothing written per user


def test_a_broadcast_to_every_cfa_writes_one_row_and_reaches_a_cfa_created_later(make_client, factory, cfas):
    admin = make_client(factory.staff("admin").email)
    assert publish(admin, "Nouveau barème", all_cfas=True).status_code == 302
    assert (models.OpcoNews.select().count(), models.OpcoNewsTarget.select().count()) == (1, 0)
    later = factory.organisation(name="CFA Ouest")
    factory.cfa_user(later, email="admin@cfa-ouest.test")
    for email in ("admin@cfa-sud.test", "admin@cfa-nord.test", "admin@cfa-est.test", "admin@cfa-ouest.test"):
        assert "Nouveau barème" in dashboard(make_client, email), email


def test_a_news_stays_on_the_dashboard_until_the_user_marks_it_read(make_client, factory, cfas):
    publish(make_client(factory.staff("admin").email), "Actualité à lire", all_cfas=True)
    news = models.OpcoNews.get()
    admin = make_client("admin@cfa-sud.test")
    assert "Actualité à lire" in admin.get("/portail/").get_data(as_text=True)
    response = admin.post_form(f"/portail/actualites/{news.id}/lue", {"next": "/portail/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/portail/")
    assert "Actualité à lire" not in admin.get("/portail/").get_data(as_text=True)
    # still listed, as read, with the notifications; the colleague has not read it
    listed = admin.get("/portail/notifications").get_data(as_text=True)
    assert "Actualité à lire" in listed and "non lue" not in listed
    assert "Actualité à lire" in admin.get("/portail/notifications?status=read").get_data(as_text=True)
    assert "Actualité à lire" not in admin.get("/portail/notifications?status=unread").get_data(as_text=True)
    assert "Actualité à lire" in dashboard(make_client, "gestion@cfa-sud.test")
    assert admin.post_form(f"/portail/actualites/{news.id}/lue").status_code == 302  # twice: one mark
    assert models.OpcoNewsRead.select().count() == 1


def test_mark_all_read_and_the_category_filter(make_client, factory, cfas):
    staff = make_client(factory.staff("admin").email)
    publish(staff, "Première actualité", all_cfas=True)
    publish(staff, "Seconde actualité", all_cfas=True)
    models.Notification.create(organisation=cfas[0]["Sud"], user=cfas[1]["Sud"], message="Un courrier déposé",
                               category="courrier")
    admin = make_client("admin@cfa-sud.test")
    only_news = admin.get("/portail/notifications?category=actualite").get_data(as_text=True)
    assert "Première actualité" in only_news and "Un courrier déposé" not in only_news
    only_letters = admin.get("/portail/notifications?category=courrier").get_data(as_text=True)
    assert "Un courrier déposé" in only_letters and "Première actualité" not in only_letters
    response = admin.post_form("/portail/actualites/toutes-lues", {"next": "/portail/"})
    assert response.status_code == 302
    home = admin.get("/portail/").get_data(as_text=True)
    assert "2 actualité(s) marquée(s) comme lue(s)." in home
    assert "Première actualité" not in home and "Seconde actualité" not in home


def test_a_news_of_another_cfa_or_withdrawn_cannot_be_marked_and_is_not_shown(make_client, factory, cfas):
    orgs, _ = cfas
    staff = make_client(factory.staff("conseiller").email)
    publish(staff, "Pour le Nord", sirets=orgs["Nord"].siret)
    publish(staff, "Pour tous, retirée", all_cfas=True)
    north, withdrawn = models.OpcoNews.select().order_by(models.OpcoNews.id)
    south = make_client("admin@cfa-sud.test")
    assert south.post_form(f"/portail/actualites/{north.id}/lue").status_code == 404
    assert staff.post_form("/admin/opconews/action/", {"action": "withdraw", "rowid": [str(withdrawn.id)]}
                           ).status_code == 302
    assert models.OpcoNews.get_by_id(withdrawn.id).withdrawn_at is not None
    assert "Pour tous, retirée" not in south.get("/portail/").get_data(as_text=True)
    assert south.post_form(f"/portail/actualites/{withdrawn.id}/lue").status_code == 404
    assert models.OpcoNewsRead.select().count() == 0
    assert models.AuditEntry.select().where((models.AuditEntry.entity == "opco_news")
                                            & (models.AuditEntry.note == "Actualité retirée")).count() == 1


@pytest.mark.parametrize("data,field,message", [
    ({"title": "", "body": "Texte", "all_cfas": "y"}, "title", "Le titre est obligatoire."),
    ({"title": "Titre", "body": " ", "all_cfas": "y"}, "body", "Le texte de l&#39;actualité est obligatoire."),
    ({"title": "Titre", "body": "Texte", "sirets": ""}, "sirets", "Choisissez « Tous les CFA »"),
    ({"title": "Titre", "body": "Texte", "sirets": "12345678901234"}, "sirets",
     "SIRET sans CFA actif connu de l&#39;OPCO : 12345678901234."),
])
def test_a_bad_broadcast_is_refused_in_french_and_keeps_what_was_typed(make_client, factory, cfas, data, field,
                                                                        message):
    client = make_client(factory.staff("admin").email)
    response = client.post_form("/admin/opconews/new/", data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    if data["title"]:
        assert 'value="Titre"' in html
    assert models.OpcoNews.select().count() == 0 and models.AuditEntry.select().where(
        models.AuditEntry.entity == "opco_news").count() == 0


def test_a_comptable_reads_the_news_but_cannot_publish(make_client, factory, cfas):
    client = make_client(factory.staff("comptable").email)
    assert client.get("/admin/opconews/").status_code == 200
    response = publish(client, "Par le comptable", all_cfas=True)
    assert response.status_code in (302, 403)
    assert models.OpcoNews.select().count() == 0
    assert make_client(cfas[1]["Sud"].email).get("/admin/opconews/").status_code == 403


def test_the_back_office_list_shows_audience_and_readers(make_client, factory, cfas):
    orgs, _ = cfas
    staff = make_client(factory.staff("admin").email)
    publish(staff, "Ciblée", sirets=f"{orgs['Sud'].siret};{orgs['Est'].siret}")
    news = models.OpcoNews.get()
    make_client("admin@cfa-sud.test").post_form(f"/portail/actualites/{news.id}/lue")
    listed = staff.get("/admin/opconews/").get_data(as_text=True)
    assert "Ciblée" in listed and "2 CFA" in listed
    row = re.search(r"Ciblée.*?</tr>", listed, re.S).group(0)
    assert re.search(r">\s*1\s*<", row)  # one reader
    details = staff.get(f"/admin/opconews/details/?id={news.id}").get_data(as_text=True)
    assert f"{orgs['Sud'].siret} – CFA Sud" in details and f"{orgs['Est'].siret} – CFA Est" in details


# --- notifications: the seed 004 columns -------------------------------------------------------------------------

def test_notifications_show_number_siret_organisation_and_apprentice(make_client, factory):
    org = factory.organisation(name="CFA Sud", siret="41857203800010")
    user = factory.cfa_user(org, email="admin@cfa-sud.test")
    apprentice = factory.apprentice(birth_name="ROBIN", usage_name="", first_name="Sarah")
    dossier = factory.engaged_dossier(org, number="2026000003", apprentice=apprentice)
    models.Notification.create(organisation=org, user=user, dossier=dossier, category="courrier",
                               message="Un nouveau courrier a été déposé dans votre dossier.")
    models.Notification.create(organisation=org, user=user, category="compte", message="Compte modifié.")
    html = make_client("admin@cfa-sud.test").get("/portail/notifications").get_data(as_text=True)
    for header in ("N° de dossier", "SIRET", "Raison sociale", "Prénom de l'apprenti", "Nom de l'apprenti"):
        assert header in html.replace("&#39;", "'")
    row = re.search(r"<tr[^>]*>\s*<td[^>]*>2026000003</td>.*?</tr>", html, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[:6] == ["2026000003", "Un nouveau courrier a été déposé dans votre dossier.", "41857203800010",
                         "CFA Sud", "Sarah", "ROBIN"]
    assert "Compte modifié." in html  # without a dossier: the organisation told, no apprentice


def test_the_notifications_list_costs_the_same_queries_for_2_or_12_rows(make_client, factory, db):
    org = factory.organisation()
    user = factory.cfa_user(org, email="admin@cfa-sud.test")
    client = make_client("admin@cfa-sud.test")

    def add(n):
        for _ in range(n):
            models.Notification.create(organisation=org, user=user, dossier=factory.dossier(organisation=org),
                                       message="Courrier")

    add(2)
    with count_queries(db) as few:
        assert client.get("/portail/notifications").status_code == 200
    add(10)
    with count_queries(db) as many:
        assert client.get("/portail/notifications").status_code == 200
    assert len(many) == len(few)


# --- help: the footer's contact, the guide, the glossary -----------------------------------------------------------

def test_every_portal_page_footer_gives_the_contact_kept_in_the_back_office(make_client, factory, cfas):
    models.HelpdeskContact.create(phone="04 13 68 00 15", email="relation@opco.test", hours="de 9 h à 17 h")
    cfa = make_client("admin@cfa-sud.test")
    for url in ("/portail/", "/portail/dossiers", "/portail/notifications", "/portail/compte", "/portail/aide"):
        html = cfa.get(url).get_data(as_text=True)
        footer = html[html.index('id="portal-footer"'):]
        assert "04 13 68 00 15" in footer and "mailto:relation@opco.test" in footer, url
        assert "numéro de dossier" in footer and "/portail/aide#guide" in footer, url
    employer = make_client(factory.employer_user().email)
    assert "04 13 68 00 15" in employer.get("/portail/").get_data(as_text=True)

    contact = models.HelpdeskContact.get()
    admin = make_client(factory.staff("admin").email)
    response = admin.post_form(f"/admin/helpdeskcontact/edit/?id={contact.id}",
                               {"phone": "01 49 68 10 10", "email": "crc@opco.test", "hours": ""})
    assert response.status_code == 302
    assert "01 49 68 10 10" in cfa.get("/portail/").get_data(as_text=True)
    assert models.AuditEntry.select().where(models.AuditEntry.entity == "helpdesk_contact").count() == 1
    refused = admin.post_form(f"/admin/helpdeskcontact/edit/?id={contact.id}",
                              {"phone": "12", "email": "pas-une-adresse", "hours": ""})
    assert refused.status_code == 400
    assert "Numéro de téléphone invalide" in refused.get_data(as_text=True)
    assert models.HelpdeskContact.get().phone == "01 49 68 10 10"
    conseiller = make_client(factory.staff("conseiller").email)
    conseiller.post_form(f"/admin/helpdeskcontact/edit/?id={contact.id}",
                         {"phone": "01 00 00 00 00", "email": "x@opco.test", "hours": ""})
    assert models.HelpdeskContact.get().phone == "01 49 68 10 10"


def test_the_help_page_holds_the_guide_and_the_glossary_of_every_state(make_client, cfas):
    html = make_client("admin@cfa-sud.test").get("/portail/aide").get_data(as_text=True).replace("&#39;", "'")
    assert "Guide utilisateur" in html and "Demande de remboursement" in html and "3 € par repas" in html
    for state in DossierState:
        assert state.label in html and MEANINGS[DossierState][state].replace("&#39;", "'") in html
    assert InvoiceState.ON_HOLD.label in html
    assert "Dossier incomplet : un courrier de relance liste les pièces manquantes" in html


def test_every_state_of_the_glossary_has_a_meaning():
    for _, _, machine in GLOSSARY:
        assert all(MEANINGS[machine].get(state) for state in machine), machine
    assert MEANINGS[DossierState][DossierState.AWAITING_DOCUMENTS] != MEANINGS[InvoiceState][InvoiceState.ON_HOLD]


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.get_data()[:4] == b"\x00\x00\x01\x00"
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and b"<svg" in svg.get_data()


# --- the broadcast form, fuzzed: never a 5xx, and a news is published whole (row, targets, audit) or not at all ---

typed = st.one_of(st.text(max_size=80), st.sampled_from(["", " ", "\x00", "é" * 200, "x" * 6000, "<b>gras</b>"]))


def test_the_broadcast_form_never_fails_and_never_writes_half(make_client, factory, cfas):
    orgs, _ = cfas
    client = make_client(factory.staff("conseiller").email)
    known = [orgs["Sud"].siret, orgs["Nord"].siret[:9] + " " + orgs["Nord"].siret[9:], "12345678901234", "abc"]
    sirets = st.lists(st.one_of(st.sampled_from(known), st.text(max_size=20)), max_size=4).map("\n".join)

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(title=typed, body=typed, all_cfas=st.sampled_from(["", "y", "on", "false"]), sirets=sirets)
    def post(title, body, all_cfas, sirets):
        before = models.OpcoNews.select().count()
        response = client.post_form("/admin/opconews/new/", {"title": title, "body": body, "all_cfas": all_cfas,
                                                             "sirets": sirets})
        assert response.status_code in (302, 400), response.status_code
        created = models.OpcoNews.select().count() - before
        assert created == (1 if response.status_code == 302 else 0)
        for news in models.OpcoNews.select():
            audited = models.AuditEntry.get((models.AuditEntry.entity == "opco_news")
                                            & (models.AuditEntry.entity_id == str(news.id)))
            assert sorted(audited.after["organisation_ids"]) == sorted(t.organisation_id for t in news.targets)
            assert news.all_cfas or news.targets.count() >= 1

    post()
