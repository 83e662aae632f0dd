"""Dossier lifecycle in the back office, through the real Flask-Admin URLs (SPEC §4, §6)."""
import datetime as dt
import html
import re
from decimal import Decimal
from pathlib import Path

import pytest

import models
import rules
from workflows.dossier_rules import contract_from_dossier
from infrastructure.pdf import PdfError
from tests.factories import contract
from tests.querycount import count_queries
from infrastructure import clock

ACTION_URL = "/admin/dossier/action/"


def workflow_url(name, *dossiers):
    return f"/admin/dossier/action/{name}/?ids=" + ",".join(str(d.id) for d in dossiers)


@pytest.fixture
def advisor(factory):
    return factory.staff("conseiller")


@pytest.fixture
def staff_client(make_client, advisor):
    return make_client(advisor.email)


@pytest.fixture
def npec_referential(db):
    """Two editions of one RNCP × CPNE, and the IDCC → CPNE link, as an import would leave them."""
    models.IdccCpne.create(idcc="1090", cpne_code="0115", idcc_label="Services de l'automobile")
    for applicable_from, npec in ((dt.date(2024, 7, 15), "7100.00"), (dt.date(2025, 9, 1), "7400.00")):
        models.NpecReference.create(rncp_code="RNCP35320", cpne_code="0115", npec=Decimal(npec),
                                    applicable_from=applicable_from, training_label="BTS MCO")


def list_action(client, name, *dossiers, follow=True):
    return client.post_form(ACTION_URL, {"action": name, "rowid": [str(d.id) for d in dossiers]},
                            follow_redirects=follow)


def reload(dossier):
    return models.Dossier.get_by_id(dossier.id)


def audit_entries(dossier):
    return list(models.AuditEntry.select().where((models.AuditEntry.entity == "dossier")
                                                 & (models.AuditEntry.entity_id == str(dossier.id)))
                .order_by(models.AuditEntry.id))


def page_text(response):
    return html.unescape(response.get_data(as_text=True)).replace("\u00a0", " ")


# --- simple transitions from the list -------------------------------------------------------------

def test_taking_a_received_dossier_into_instruction_assigns_the_advisor_and_is_audited(staff_client, factory,
                                                                                        advisor):
    dossier = factory.dossier(state="recu")
    cfa_user = factory.cfa_user(dossier.organisation, role="gestionnaire_of", rights=["right_contracts"])
    response = list_action(staff_client, "instruire", dossier)
    assert response.status_code == 200
    assert f"{dossier.number} : pris en instruction" in page_text(response)
    fresh = reload(dossier)
    assert fresh.state == "en_instruction" and fresh.advisor_id == advisor.id
    [entry] = audit_entries(dossier)
    assert entry.action == "take_into_instruction" and entry.actor == advisor.email
    assert entry.before["state"] == "recu" and entry.after["state"] == "en_instruction"
    [notification] = models.Notification.select().where(models.Notification.dossier == dossier.id)
    assert (notification.organisation_id, notification.user_id) == (dossier.organisation_id, cfa_user.id)


def test_bulk_action_reports_each_dossier_and_changes_only_the_allowed_ones(staff_client, factory):
    received = factory.dossier(state="recu")
    settled = factory.dossier(state="solde")
    engaged = factory.dossier(state="engage")
    response = list_action(staff_client, "instruire", received, settled, engaged)
    text = page_text(response)
    assert f"{received.number} : pris en instruction" in text
    assert f"{settled.number} : refusé — le dossier est déjà soldé" in text
    assert f"{engaged.number} : refusé — le dossier est déjà engagé" in text
    assert "Prendre en instruction : 1 dossier(s) traité(s), 2 refusé(s)." in text
    assert [reload(d).state for d in (received, settled, engaged)] == ["en_instruction", "solde", "engage"]
    assert len(audit_entries(received)) == 1
    assert audit_entries(settled) == [] and audit_entries(engaged) == []


def test_resuming_instruction_clears_the_missing_pieces(staff_client, factory):
    dossier = factory.dossier(state="en_attente", missing_pieces="Convention signée")
    list_action(staff_client, "reprendre", dossier)
    fresh = reload(dossier)
    assert fresh.state == "en_instruction" and fresh.missing_pieces == ""


def test_resuming_is_refused_for_a_dossier_not_waiting_for_pieces(staff_client, factory):
    dossier = factory.dossier(state="recu")
    text = page_text(list_action(staff_client, "reprendre", dossier))
    assert f"{dossier.number} : refusé — le dossier est seulement reçu" in text
    assert reload(dossier).state == "recu" and audit_entries(dossier) == []


def test_deleting_is_possible_before_agreement_only(staff_client, factory):
    received = factory.dossier(state="recu")
    engaged = factory.dossier(state="engage")
    text = page_text(list_action(staff_client, "supprimer", received, engaged))
    assert f"{received.number} : supprimé" in text
    assert f"{engaged.number} : refusé — le dossier est déjà engagé : la suppression n'est possible qu'avant l'accord" in text
    assert reload(received).state == "supprime" and reload(received).closing_date == clock.today()
    assert reload(engaged).state == "engage"


def test_settling_needs_an_engaged_dossier(staff_client, factory):
    engaged = factory.dossier(state="engage")
    received = factory.dossier(state="recu")
    text = page_text(list_action(staff_client, "solder", engaged, received))
    assert f"{engaged.number} : soldé" in text
    assert f"{received.number} : refusé" in text
    assert reload(engaged).state == "solde" and reload(engaged).closing_date == clock.today()
    assert reload(received).state == "recu"


def test_cancelling_an_engaged_dossier_cancels_its_installments_not_yet_invoiced(staff_client, factory):
    dossier = factory.dossier(state="en_instruction")
    staff_client.post_form(workflow_url("engager", dossier), {"ids": str(dossier.id)})
    first = models.Installment.select().where(models.Installment.dossier == dossier.id).order_by(
        models.Installment.number).first()
    first.status = "invoiced"
    first.save()
    text = page_text(list_action(staff_client, "annuler", dossier))
    assert f"{dossier.number} : annulé" in text
    statuses = {i.status for i in models.Installment.select().where(models.Installment.dossier == dossier.id)
                if i.id != first.id}
    assert statuses == {"cancelled"}
    assert models.Installment.get_by_id(first.id).status == "invoiced"
    assert "annulée" in audit_entries(dossier)[-1].note


def test_cancelling_is_refused_once_refused_or_settled(staff_client, factory):
    refused = factory.dossier(state="refuse")
    text = page_text(list_action(staff_client, "annuler", refused))
    assert f"{refused.number} : refusé — le dossier est refusé" in text
    assert reload(refused).state == "refuse"


# --- actions with input: confirmation page --------------------------------------------------------

def test_asking_for_pieces_from_the_list_opens_a_form_then_issues_a_reminder_letter(staff_client, factory):
    dossier = factory.dossier(state="en_instruction")
    other = factory.dossier(state="recu")
    response = list_action(staff_client, "demander_pieces", dossier, other, follow=False)
    assert response.status_code == 302
    assert "/admin/dossier/action/demander_pieces/" in response.headers["Location"]
    form_page = staff_client.get(response.headers["Location"])
    assert form_page.status_code == 200
    assert "Sera refusé" in page_text(form_page) and dossier.number in page_text(form_page)

    ids = f"{dossier.id},{other.id}"
    result = staff_client.post_form("/admin/dossier/action/demander_pieces/",
                                    {"ids": ids, "pieces": "Convention de formation signée\nCERFA complet"},
                                    follow_redirects=True)
    text = page_text(result)
    assert f"{dossier.number} : pièces demandées (2), courrier de relance émis" in text
    assert f"{other.number} : refusé" in text
    fresh = reload(dossier)
    assert fresh.state == "en_attente"
    assert fresh.missing_pieces == "Convention de formation signée\nCERFA complet"
    [letter] = models.Letter.select().where(models.Letter.dossier == dossier.id)
    assert letter.kind == "relance"
    assert reload(other).state == "recu"


def test_asking_for_pieces_without_listing_any_is_a_400_that_changes_nothing(staff_client, factory):
    dossier = factory.dossier(state="en_instruction")
    response = staff_client.post_form("/admin/dossier/action/demander_pieces/", {"ids": str(dossier.id),
                                                                                  "pieces": "  \n "})
    assert response.status_code == 400
    assert "Indiquez au moins une pièce manquante" in page_text(response)
    assert reload(dossier).state == "en_instruction" and audit_entries(dossier) == []


def test_refusing_requires_a_reason_and_issues_a_refusal_letter(staff_client, factory):
    dossier = factory.dossier(state="en_attente")
    missing = staff_client.post_form("/admin/dossier/action/refuser/", {"ids": str(dossier.id), "reason": ""})
    assert missing.status_code == 400 and "Le motif du refus est obligatoire" in page_text(missing)
    assert reload(dossier).state == "en_attente"

    staff_client.post_form("/admin/dossier/action/refuser/",
                           {"ids": str(dossier.id), "reason": "Formation non éligible à l'apprentissage"})
    fresh = reload(dossier)
    assert fresh.state == "refuse" and fresh.refusal_reason == "Formation non éligible à l'apprentissage"
    assert fresh.closing_date == clock.today()
    assert [l.kind for l in models.Letter.select().where(models.Letter.dossier == dossier.id)] == ["refus"]
    [entry] = audit_entries(dossier)
    assert entry.after["refusal_reason"] == "Formation non éligible à l'apprentissage"


def test_refusing_a_received_dossier_is_refused(staff_client, factory):
    dossier = factory.dossier(state="recu")
    response = staff_client.post_form("/admin/dossier/action/refuser/", {"ids": str(dossier.id), "reason": "X"},
                                      follow_redirects=True)
    assert f"{dossier.number} : refusé — le dossier est seulement reçu" in page_text(response)
    assert reload(dossier).state == "recu"


# --- Engager ----------------------------------------------------------------------------------------

def test_engaging_stores_exactly_the_schedule_computed_by_the_rules(staff_client, factory):
    dossier = factory.dossier(state="en_instruction", conclusion_date=dt.date(2025, 8, 20),
                              contract_start=dt.date(2025, 9, 1), contract_end=dt.date(2027, 8, 31),
                              npec=Decimal("7000.00"), level=6)
    expected = rules.compute_financing(contract(level=6))
    response = staff_client.post_form("/admin/dossier/action/engager/", {"ids": str(dossier.id)},
                                      follow_redirects=True)
    assert f"{dossier.number} : engagé ({rules.format_eur(expected.net)})".replace("\u00a0", " ") in page_text(response)
    fresh = reload(dossier)
    assert fresh.state == "engage" and fresh.agreement_date == clock.today()
    assert fresh.regime == expected.regime == "2025"
    assert fresh.total_financed == expected.total and fresh.employer_share == expected.employer_share
    stored = list(models.Installment.select().where(models.Installment.dossier == dossier.id)
                  .order_by(models.Installment.number))
    assert [(i.year, i.kind, i.billable_from, i.period_start, i.period_end, i.amount) for i in stored] == [
        (i.year, i.kind, i.billable_from, i.period_start, i.period_end, i.amount) for i in expected.installments]
    assert [l.kind for l in models.Letter.select().where(models.Letter.dossier == dossier.id)] == ["accord"]
    [entry] = audit_entries(dossier)
    assert entry.before["state"] == "en_instruction" and entry.after["state"] == "engage"
    assert entry.after["total_financed"] == f"{expected.total:.2f}"


def test_engaging_proposes_the_referential_npec_of_the_edition_in_force_at_conclusion(staff_client, factory,
                                                                                       npec_referential):
    employer = factory.employer(idcc="1090")  # → CPNE 0115
    dossier = factory.dossier(state="en_instruction", employer=employer, rncp_code="RNCP35320",
                              conclusion_date=dt.date(2025, 9, 10), contract_start=dt.date(2025, 9, 15),
                              contract_end=dt.date(2027, 9, 14), npec=Decimal("1000.00"))
    page = staff_client.get(workflow_url("engager", dossier))
    assert page.status_code == 200
    assert "Proposé : 7 400,00 €" in page_text(page)
    assert "édition applicable depuis le 01/09/2025" in page_text(page)
    staff_client.post_form("/admin/dossier/action/engager/", {"ids": str(dossier.id)})
    fresh = reload(dossier)
    assert fresh.npec == Decimal("7400.00")
    expected = rules.compute_financing(contract(conclusion=dt.date(2025, 9, 10), start=dt.date(2025, 9, 15),
                                                end=dt.date(2027, 9, 14), npec=Decimal("7400.00")))
    assert fresh.total_financed == expected.total


def test_the_advisor_may_override_the_proposed_npec_and_the_override_is_audited(staff_client, factory,
                                                                                 npec_referential):
    employer = factory.employer(idcc="1090")
    dossier = factory.dossier(state="en_instruction", employer=employer, rncp_code="RNCP35320",
                              conclusion_date=dt.date(2025, 9, 10), contract_start=dt.date(2025, 9, 15),
                              contract_end=dt.date(2027, 9, 14))
    staff_client.post_form("/admin/dossier/action/engager/", {"ids": str(dossier.id),
                                                               f"npec_{dossier.id}": "7 650,50"})
    fresh = reload(dossier)
    assert fresh.state == "engage" and fresh.npec == Decimal("7650.50")
    [entry] = audit_entries(dossier)
    assert entry.after["npec"] == "7650.50"
    assert "saisi par le conseiller" in entry.note and "proposé : 7 400,00 €" in entry.note.replace("\u00a0", " ")


def test_an_unreadable_npec_override_is_a_400_that_changes_nothing(staff_client, factory):
    dossier = factory.dossier(state="en_instruction")
    response = staff_client.post_form("/admin/dossier/action/engager/", {"ids": str(dossier.id),
                                                                          f"npec_{dossier.id}": "beaucoup"})
    assert response.status_code == 400
    assert "Montant invalide" in page_text(response) and "beaucoup" in page_text(response)
    assert reload(dossier).state == "en_instruction"
    assert models.Installment.select().count() == 0 and audit_entries(dossier) == []


@pytest.mark.parametrize("typed", ["0", "-10", "NaN", "Infinity", "250000"])
def test_an_out_of_range_npec_override_is_a_400(staff_client, factory, typed):
    dossier = factory.dossier(state="en_instruction")
    response = staff_client.post_form("/admin/dossier/action/engager/", {"ids": str(dossier.id),
                                                                          f"npec_{dossier.id}": typed})
    assert response.status_code == 400 and "Montant invalide" in page_text(response)
    assert reload(dossier).state == "en_instruction"


def test_the_return_address_after_an_action_stays_on_this_site(staff_client, factory):
    dossier = factory.dossier(state="recu")
    response = staff_client.post_form(f"{workflow_url('instruire', dossier)}&url=//evil.example/x", {})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/dossier/")


def test_engaging_without_any_npec_is_refused_with_the_reason(staff_client, factory):
    dossier = factory.dossier(state="en_instruction", npec=Decimal("0"))
    response = staff_client.post_form("/admin/dossier/action/engager/", {"ids": str(dossier.id)},
                                      follow_redirects=True)
    assert f"{dossier.number} : refusé — aucun NPEC à appliquer" in page_text(response)
    assert reload(dossier).state == "en_instruction"


def test_bulk_engaging_engages_the_dossiers_in_instruction_and_reports_the_others(staff_client, factory):
    ready = factory.dossier(state="en_instruction")
    waiting = factory.dossier(state="en_attente")
    response = list_action(staff_client, "engager", ready, waiting, follow=False)
    location = response.headers["Location"]
    assert "/admin/dossier/action/engager/" in location
    ids = re.search(r"ids=([0-9%C,]+)", location).group(1).replace("%2C", ",")
    result = staff_client.post_form("/admin/dossier/action/engager/", {"ids": ids}, follow_redirects=True)
    text = page_text(result)
    assert re.search(rf"{ready.number} : engagé \([\d ]+,\d\d €\)", text)
    assert f"{waiting.number} : refusé — le dossier est en attente de pièces" in text
    assert reload(ready).state == "engage" and reload(waiting).state == "en_attente"


# --- atomicity ---------------------------------------------------------------------------------------

def test_a_failure_while_engaging_leaves_neither_the_change_nor_the_audit_entry(staff_client, factory,
                                                                                monkeypatch, app):
    import workflows.letters

    def broken(*args, **kwargs):
        raise PdfError("Génération du PDF impossible (test)")

    monkeypatch.setattr(workflows.letters, "render_pdf", broken)
    dossier = factory.dossier(state="en_instruction")
    response = staff_client.post_form("/admin/dossier/action/engager/", {"ids": str(dossier.id)},
                                      follow_redirects=True)
    assert f"{dossier.number} : échec — Génération du PDF impossible (test) ; rien n'a été modifié" in page_text(response)
    fresh = reload(dossier)
    assert fresh.state == "en_instruction" and fresh.total_financed == 0 and fresh.agreement_date is None
    assert models.Installment.select().count() == 0
    assert models.Letter.select().count() == 0 and models.Notification.select().count() == 0
    assert audit_entries(dossier) == []


def test_a_failing_audit_write_undoes_the_change_and_the_stored_letter(staff_client, factory, monkeypatch, app):
    import workflows.transitions

    def broken(*args, **kwargs):
        raise ValueError("journal d'audit indisponible")

    monkeypatch.setattr(workflows.transitions, "record", broken)
    dossier = factory.dossier(state="en_instruction")
    staff_client.post_form("/admin/dossier/action/refuser/", {"ids": str(dossier.id), "reason": "Hors délai"})
    assert reload(dossier).state == "en_instruction"
    assert models.Letter.select().count() == 0 and models.Notification.select().count() == 0
    assert list(Path(app.config["UPLOAD_DIR"]).rglob("*.pdf")) == []


# --- permissions and CSRF -------------------------------------------------------------------------------

def test_an_action_posted_without_csrf_token_is_rejected(staff_client, factory):
    dossier = factory.dossier(state="recu")
    response = staff_client.post(ACTION_URL, data={"action": "instruire", "rowid": [str(dossier.id)]})
    assert response.status_code == 400
    response = staff_client.post(workflow_url("instruire", dossier), data={})
    assert response.status_code == 400
    assert reload(dossier).state == "recu" and audit_entries(dossier) == []


def test_an_accountant_may_not_change_dossier_states(make_client, factory):
    accountant = factory.staff("comptable")
    client = make_client(accountant.email)
    dossier = factory.dossier(state="recu")
    listing = page_text(client.get("/admin/dossier/"))
    assert "Prendre en instruction" not in listing
    assert list_action(client, "instruire", dossier, follow=False).status_code == 403
    assert client.get(workflow_url("engager", dossier)).status_code == 403
    assert client.post_form(workflow_url("instruire", dossier), {}).status_code == 403
    assert reload(dossier).state == "recu" and audit_entries(dossier) == []


def test_an_accountant_sees_the_dossier_page_without_action_buttons(make_client, factory):
    client = make_client(factory.staff("comptable").email)
    dossier = factory.dossier(state="en_instruction")
    response = client.get(f"/admin/dossier/details/?id={dossier.id}")
    assert response.status_code == 200
    assert 'id="dossier-actions"' not in page_text(response)
    assert "/admin/dossier/action/" not in page_text(response)


def test_advisors_and_administrators_see_the_actions_in_the_list(make_client, factory):
    for role in ("conseiller", "admin"):
        client = make_client(factory.staff(role).email)
        listing = page_text(client.get("/admin/dossier/"))
        for label in ("Prendre en instruction", "Demander des pièces", "Engager", "Solder"):
            assert label in listing


def test_cfa_users_cannot_reach_the_dossier_actions(make_client, factory):
    user = factory.cfa_user()
    client = make_client(user.email)
    dossier = factory.dossier(state="recu")
    assert client.get(workflow_url("instruire", dossier)).status_code == 403
    assert reload(dossier).state == "recu"


def test_unknown_action_or_dossier_gives_a_clean_error(staff_client, factory):
    dossier = factory.dossier(state="recu")
    assert staff_client.get(workflow_url("envoyer", dossier)).status_code == 404
    assert staff_client.get("/admin/dossier/action/instruire/?ids=abc").status_code == 400
    assert staff_client.get("/admin/dossier/action/instruire/?ids=999999").status_code == 404


# --- details page -----------------------------------------------------------------------------------------

def test_details_page_offers_the_buttons_of_the_current_state_only(staff_client, factory):
    dossier = factory.dossier(state="en_instruction")
    text = page_text(staff_client.get(f"/admin/dossier/details/?id={dossier.id}"))
    for name in ("demander_pieces", "engager", "refuser", "annuler", "supprimer"):
        assert f"/admin/dossier/action/{name}/" in text
    for name in ("instruire", "reprendre", "solder"):
        assert f"/admin/dossier/action/{name}/" not in text


def test_details_page_button_runs_the_action_and_returns_to_the_page(staff_client, factory):
    dossier = factory.dossier(state="recu")
    back = f"/admin/dossier/details/?id={dossier.id}"
    response = staff_client.post_form(f"{workflow_url('instruire', dossier)}&url={back}", {})
    assert response.status_code == 302 and response.headers["Location"].endswith(back)
    assert reload(dossier).state == "en_instruction"
    page = page_text(staff_client.get(back))
    assert f"{dossier.number} : pris en instruction" in page


REGIME_CASES = [
    ("stock", dict(is_stock=True, conclusion_date=dt.date(2019, 3, 1), contract_start=dt.date(2019, 9, 1),
                   contract_end=dt.date(2021, 8, 31))),
    ("2019", dict(conclusion_date=dt.date(2019, 10, 1), contract_start=dt.date(2019, 10, 7),
                  contract_end=dt.date(2021, 10, 6))),
    ("2021", dict(conclusion_date=dt.date(2022, 1, 10), contract_start=dt.date(2022, 1, 17),
                  contract_end=dt.date(2024, 1, 16))),
    ("2025", dict(conclusion_date=dt.date(2025, 9, 1), contract_start=dt.date(2025, 9, 8),
                  contract_end=dt.date(2027, 9, 7), teaching_cost=Decimal("8200.00"))),
]
CONTRACT_FIELDS = {"is_stock": "stock", "conclusion_date": "conclusion", "contract_start": "start",
                   "contract_end": "end"}


@pytest.mark.parametrize("regime,fields", REGIME_CASES, ids=[c[0] for c in REGIME_CASES])
def test_details_page_shows_the_schedule_and_running_balance_of_an_engaged_dossier(staff_client, factory,
                                                                                   regime, fields):
    dossier = factory.dossier(state="en_instruction", **fields)
    staff_client.post_form("/admin/dossier/action/engager/", {"ids": str(dossier.id)})
    fresh = reload(dossier)
    assert fresh.regime == regime
    expected = rules.compute_financing(contract(**{CONTRACT_FIELDS[k]: v for k, v in fields.items()
                                                   if k in CONTRACT_FIELDS}))
    response = staff_client.get(f"/admin/dossier/details/?id={dossier.id}")
    assert response.status_code == 200
    text = page_text(response)
    schedule = text.split('id="schedule"')[1].split("</table>")[0]
    assert schedule.count("<tr") == len(expected.installments) + 1
    for item in expected.installments:
        assert rules.format_eur(item.amount).replace("\u00a0", " ") in schedule
        assert item.billable_from.strftime("%d/%m/%Y") in schedule
    balance = text.split('id="running-balance"')[1].split("</table>")[0]
    for label in ("Financement engagé (toute la durée)", "Facturable à ce jour", "Facturé", "Validé", "Payé", "Avoirs",
                  "Reste à facturer"):
        assert label in balance
    assert rules.format_eur(expected.net).replace("\u00a0", " ") in balance
    delta = text.split('id="employer-delta"')[1].split("</div>")[0]
    if fresh.teaching_cost > fresh.npec:
        assert rules.format_eur(fresh.teaching_cost - fresh.npec).replace("\u00a0", " ") in delta
    else:
        assert "Aucun" in delta


def test_details_page_cost_does_not_grow_with_the_schedule(staff_client, factory, db):
    dossier = factory.dossier(state="en_instruction", contract_end=dt.date(2028, 8, 31))
    staff_client.post_form("/admin/dossier/action/engager/", {"ids": str(dossier.id)})
    assert models.Installment.select().where(models.Installment.dossier == dossier.id).count() > 8
    with count_queries(db) as statements:
        assert staff_client.get(f"/admin/dossier/details/?id={dossier.id}").status_code == 200
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 13, selects  # constant: user, dossier, joins, balance, requests, possible duplicates (2)…


# --- the demo data ----------------------------------------------------------------------------------------

def test_details_page_shows_schedule_and_balance_for_an_agreed_demo_dossier_of_each_regime(demo, make_client):
    client = make_client("conseiller@opco.test")
    for regime in ("stock", "2019", "2021", "2025"):
        # the demo's 2019 and stock contracts have ended: engaged then settled, their schedule stays shown
        dossier = (models.Dossier.select().where(models.Dossier.state.in_(("engage", "solde"))
                                                 & (models.Dossier.regime == regime))
                   .order_by(models.Dossier.state, models.Dossier.id).first())
        assert dossier is not None, f"no engaged demo dossier in regime {regime}"
        stored = list(models.Installment.select().where(models.Installment.dossier == dossier.id))
        text = page_text(client.get(f"/admin/dossier/details/?id={dossier.id}"))
        schedule = text.split('id="schedule"')[1].split("</table>")[0]
        assert schedule.count("<tr") == len(stored) + 1
        for item in stored:
            assert rules.format_eur(item.amount).replace("\u00a0", " ") in schedule
        balance = text.split('id="running-balance"')[1].split("</table>")[0]
        committed = sum((i.amount for i in stored if i.status != "cancelled"), Decimal("0"))
        assert rules.format_eur(committed).replace("\u00a0", " ") in balance
        assert 'id="employer-delta"' in text


def test_demo_dossiers_in_instruction_engage_with_the_npec_of_the_demo_referential(demo, make_client):
    from workflows.npec_import import propose_npec

    client = make_client("conseiller@opco.test")
    pending = list(models.Dossier.select().where(models.Dossier.state == "en_instruction"))
    assert pending
    proposals = {d.id: propose_npec(d) for d in pending}
    ids = ",".join(str(d.id) for d in pending)
    client.post_form("/admin/dossier/action/engager/", {"ids": ids})
    for dossier in pending:
        fresh = reload(dossier)
        assert fresh.state == "engage"
        if proposals[dossier.id].found and not dossier.is_stock:
            assert fresh.npec == proposals[dossier.id].npec
        expected = rules.compute_financing(contract_from_dossier(fresh))
        stored = models.Installment.select().where(models.Installment.dossier == dossier.id).order_by(
            models.Installment.number)
        assert [i.amount for i in stored] == [i.amount for i in expected.installments]


def test_the_dossier_list_costs_the_same_whatever_the_number_of_advisors_shown(staff_client, factory, db, advisor):
    others = [factory.staff("conseiller") for _ in range(3)]
    for i in range(12):
        factory.dossier(advisor=(others + [advisor, None])[i % 5])
    with count_queries(db) as statements:
        response = staff_client.get("/admin/dossier/")
    assert response.status_code == 200 and others[0].last_name in page_text(response)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 3


# --- the transition table of SPEC §4, every action from every state ------------------------------------------

ALLOWED_FROM = {
    "instruire": {"recu"},
    "demander_pieces": {"en_instruction"},
    "reprendre": {"en_attente"},
    "engager": {"en_instruction"},
    "refuser": {"en_instruction", "en_attente"},
    "annuler": {"recu", "en_instruction", "en_attente", "engage"},
    "supprimer": {"recu", "en_instruction", "en_attente"},
    "solder": {"engage"},
}
TARGET = {"instruire": "en_instruction", "demander_pieces": "en_attente", "reprendre": "en_instruction",
          "engager": "engage", "refuser": "refuse", "annuler": "annule", "supprimer": "supprime", "solder": "solde"}
ALL_STATES = [code for code, _ in models.dossier.DOSSIER_STATES]


@pytest.mark.parametrize("action", sorted(ALLOWED_FROM))
def test_each_action_runs_from_the_states_of_the_spec_only(app, factory, advisor, action):
    from workflows import dossier_workflow as workflow

    params = workflow.Params(pieces=["CERFA signé"], reason="Hors champ")
    with app.test_request_context():
        for state in ALL_STATES:
            dossier = factory.dossier(state=state)
            outcome = workflow.perform(action, dossier.id, advisor, params)
            allowed = state in ALLOWED_FROM[action]
            assert outcome.ok is allowed, (action, state, outcome.message)
            assert reload(dossier).state == (TARGET[action] if allowed else state)
            assert len(audit_entries(dossier)) == (1 if allowed else 0)
            if not allowed:
                assert outcome.message.startswith("refusé — le dossier est ")
