"""Staff dashboard at /admin/: dossiers by state, late decisions, invoices waiting, RIBs to review, late refunds."""
import datetime as dt
import html
import re
from decimal import Decimal

import pytest

import models
from infrastructure import clock

TODAY = clock.today()


@pytest.fixture
def staff_client(make_client, factory):
    return make_client(factory.staff("conseiller").email)


def text_of(response):
    return html.unescape(response.get_data(as_text=True)).replace("\u00a0", " ")


def section(page, element_id):
    return page.split(f'id="{element_id}"')[1].split("</table>")[0].split("</div></div>")[0]


def link_to(page, label):
    match = re.search(r'<a href="([^"]+)">' + re.escape(label) + "</a>", page)
    assert match, f"no link labelled {label!r}"
    return match.group(1)


def test_dossiers_by_state_show_counts_and_link_to_the_list_filtered_on_that_state(staff_client, factory):
    received = [factory.dossier(state="recu"), factory.dossier(state="recu")]
    engaged = factory.dossier(state="engage")
    waiting = factory.dossier(state="en_attente")
    page = text_of(staff_client.get("/admin/"))
    by_state = section(page, "dossiers-by-state")
    counts = dict(re.findall(r'<a href="[^"]+">([^<]+)</a></td><td class="amount">(\d+)</td>', by_state))
    assert counts["Reçu"] == "2" and counts["Engagé"] == "1" and counts["En attente de pièces"] == "1"
    assert counts["Soldé"] == "0"

    listing = text_of(staff_client.get(link_to(by_state, "Reçu")))
    assert all(d.number in listing for d in received)
    assert engaged.number not in listing and waiting.number not in listing
    listing = text_of(staff_client.get(link_to(by_state, "En attente de pièces")))
    assert waiting.number in listing and engaged.number not in listing


def test_complete_dossiers_waiting_more_than_twenty_days_are_listed(staff_client, factory):
    late = factory.dossier(state="recu", complete_date=TODAY - dt.timedelta(days=25))
    late_waiting = factory.dossier(state="en_attente", complete_date=TODAY - dt.timedelta(days=21))
    recent = factory.dossier(state="en_instruction", complete_date=TODAY - dt.timedelta(days=10))
    decided = factory.dossier(state="engage", complete_date=TODAY - dt.timedelta(days=60))
    incomplete = factory.dossier(state="recu", complete_date=None)
    block = section(text_of(staff_client.get("/admin/")), "late-dossiers")
    assert "(1)" in block
    assert late.number in block and "25 jours" in block
    for other in (recent, decided, incomplete, late_waiting):  # awaiting documents: the clock is stopped
        assert other.number not in block


def test_invoices_waiting_are_counted_and_link_to_the_filtered_invoice_list(staff_client, factory):
    organisation = factory.organisation()
    for number, state in ((11, "en_traitement"), (12, "en_traitement"), (13, "en_attente"), (14, "validee")):
        models.Invoice.create(number=number, organisation=organisation, state=state, total_ht=Decimal("100"),
                              total_ttc=Decimal("100"))
    page = text_of(staff_client.get("/admin/"))
    cards = re.findall(r'<div class="h3 mb-0">(\d+)</div>\s*<a href="([^"]+)">Factures « ([^»]+) »</a>', page)
    found = {label: (count, url) for count, url, label in cards}
    assert found["En cours de traitement"][0] == "2"
    assert found["En attente de mise en conformité"][0] == "1"
    listing = text_of(staff_client.get(found["En attente de mise en conformité"][1]))
    assert "F0000013" in listing
    assert "F0000011" not in listing and "F0000014" not in listing


def test_invoices_waiting_beyond_the_cap_are_shown_as_cap_plus(staff_client, factory, monkeypatch):
    monkeypatch.setattr("views.admin.dashboard.LATE_COUNT_CAP", 2)
    organisation = factory.organisation()
    for number in (21, 22, 23):
        models.Invoice.create(number=number, organisation=organisation, state="en_traitement",
                              total_ht=Decimal("100"), total_ttc=Decimal("100"))
    models.Invoice.create(number=24, organisation=organisation, state="en_attente", total_ht=Decimal("100"),
                          total_ttc=Decimal("100"))
    page = text_of(staff_client.get("/admin/"))
    cards = dict((label, count) for count, label in re.findall(
        r'<div class="h3 mb-0">([^<]+)</div>\s*<a href="[^"]+">Factures « ([^»]+) »</a>', page))
    assert cards == {"En cours de traitement": "2+", "En attente de mise en conformité": "1"}


def test_bank_details_to_review_are_counted(staff_client, factory):
    organisation = factory.organisation()
    for status in ("pending", "pending", "approved", "refused"):
        models.BankDetails.create(organisation=organisation, iban="FR7630006000011234567890189", bic="AGRIFRPP",
                                  holder="CFA", status=status)
    page = text_of(staff_client.get("/admin/"))
    assert re.search(r'id="bank-pending">\s*<div class="h3 mb-0">2</div>', page)


def test_overdue_refunds_are_listed(staff_client, factory):
    organisation = factory.organisation(name="CFA Retardataire")
    dossier = factory.dossier(organisation=organisation)

    def credit_note(number, mode, state, due):
        return models.CreditNote.create(number=number, organisation=organisation, dossier=dossier,
                                        amount=Decimal("350.00"), reason="rupture", settlement_mode=mode, state=state,
                                        issued_on=TODAY - dt.timedelta(days=30), due_date=due)

    credit_note(1, "refund", "deposee", TODAY - dt.timedelta(days=2))     # overdue
    credit_note(2, "refund", "en_retard", TODAY - dt.timedelta(days=9))   # marked late
    credit_note(3, "refund", "remboursee", TODAY - dt.timedelta(days=9))  # settled
    credit_note(4, "refund", "a_emettre", TODAY + dt.timedelta(days=5))   # not yet due
    credit_note(5, "deduction", "a_emettre", None)                        # deducted from payments
    block = section(text_of(staff_client.get("/admin/")), "overdue-refunds")
    assert "(2)" in block
    assert "PRO-1" in block and "PRO-2" in block and "CFA Retardataire" in block and "350,00 €" in block
    for number in ("PRO-3", "PRO-4", "PRO-5"):
        assert number not in block


def test_every_staff_role_sees_the_dashboard_and_others_do_not(make_client, factory):
    for role in ("conseiller", "comptable", "admin"):
        assert make_client(factory.staff(role).email).get("/admin/").status_code == 200
    assert make_client(factory.cfa_user().email).get("/admin/").status_code == 403


def test_the_decision_clock_stops_while_documents_are_awaited_and_restarts_on_resumption(staff_client, factory, app):
    from workflows import dossier_workflow as workflow

    advisor = factory.staff("conseiller")
    dossier = factory.dossier(state="recu", complete_date=None)
    start = TODAY - dt.timedelta(days=80)
    assert workflow.perform("instruire", dossier.id, advisor, workflow.Params(), today=start).ok
    assert models.Dossier.get_by_id(dossier.id).complete_date == start
    with app.test_request_context():  # the courrier de relance is rendered with the app's templates
        asked = workflow.perform("demander_pieces", dossier.id, advisor, workflow.Params(pieces=["CERFA signé"]),
                                 today=start + dt.timedelta(days=5))
    assert asked.ok and models.Dossier.get_by_id(dossier.id).complete_date is None
    block = section(text_of(staff_client.get("/admin/")), "late-dossiers")
    assert dossier.number not in block  # 75 days since it was first complete, but documents are awaited
    resumed = TODAY - dt.timedelta(days=12)
    assert workflow.perform("reprendre", dossier.id, advisor, workflow.Params(), today=resumed).ok
    assert models.Dossier.get_by_id(dossier.id).complete_date == resumed
    assert dossier.number not in section(text_of(staff_client.get("/admin/")), "late-dossiers")  # 12 days
    models.Dossier.update(complete_date=TODAY - dt.timedelta(days=21)).where(models.Dossier.id == dossier.id).execute()
    block = section(text_of(staff_client.get("/admin/")), "late-dossiers")
    assert dossier.number in block and "21 jours" in block


def test_a_dossier_taken_into_instruction_keeps_the_day_it_was_complete(factory):
    from workflows import dossier_workflow as workflow

    complete = TODAY - dt.timedelta(days=3)
    dossier = factory.dossier(state="recu", complete_date=complete)
    assert workflow.perform("instruire", dossier.id, factory.staff("conseiller"), workflow.Params()).ok
    assert models.Dossier.get_by_id(dossier.id).complete_date == complete
