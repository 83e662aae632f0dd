"""The demo data: what `make run` shows a newcomer must log in, look real and pass our own checks."""
import datetime as dt
import re
from collections import Counter as Tally
from decimal import Decimal
from pathlib import Path

import pytest

import models
import rules
from models import (Amendment, Apprentice, AuditEntry, BankDetails, CreditNote, Delegation, Document, Dossier,
                    Employer, IdccCpne, Installment, Invoice, InvoiceLine, Letter, Membership, Notification,
                    NpecReference, Organisation, Payment, PaymentLine, Rupture, User)
from models.user import RIGHTS
from commands.demo import DEMO_PASSWORD, DemoAlreadyLoaded, load_demo
from workflows.dossier_rules import contract_from_dossier
from infrastructure.storage import get_storage

README = Path(__file__).resolve().parent.parent / "README.md"
ALL_STATES = {"recu", "en_instruction", "en_attente", "engage", "solde", "refuse", "annule", "supprime"}
INVOICE_STATES = {"brouillon", "en_traitement", "en_attente", "validee", "payee", "rejetee"}


def documented_accounts():
    """The demo accounts listed in the README's table, with the role written next to them."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Comptes de démonstration", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+@[^`]+)` \| (.+?) \|$", section, flags=re.M)


def table_counts():
    return {m.__name__: m.select().count() for m in models.MODELS if m is not models.SchemaVersion}


def test_readme_documents_the_demo_password():
    assert f"`{DEMO_PASSWORD}`" in README.read_text(encoding="utf-8")


def test_demo_loads_at_least_forty_dossiers_over_every_state_regime_and_cfa(demo):
    dossiers = list(Dossier.select())
    assert len(dossiers) >= 40
    assert {d.state for d in dossiers} == ALL_STATES
    assert {d.regime for d in dossiers if d.state in ("engage", "solde")} == {"stock", "2019", "2021", "2025"}
    assert {d.organisation.name for d in dossiers} == {"CFA Sud", "CFA Nord", "CFA Ouest"}
    assert {d.conclusion_date.year for d in dossiers} >= {2019, 2020, 2023, 2025}
    stock = [d for d in dossiers if d.is_stock]
    assert stock and all(d.conclusion_date <= rules.regimes.STOCK_LAST_CONCLUSION for d in stock)
    assert all(d.apprentice_name == f"{d.apprentice.birth_name} {d.apprentice.first_name}" for d in dossiers)


def test_each_regime_matches_the_conclusion_date_of_its_dossiers(demo):
    for dossier in Dossier.select().where(Dossier.state.in_(("engage", "solde"))):
        assert dossier.regime == rules.select_regime(dossier.conclusion_date, dossier.is_stock), dossier.number


def test_every_documented_account_logs_in_with_the_demo_password(demo, make_client):
    accounts = documented_accounts()
    assert len(accounts) == 9
    for email, role in accounts:
        client = make_client()
        response = client.login(email, DEMO_PASSWORD)
        user = User.get(User.email == email)
        expected = "/admin/" if user.kind == "staff" else "/portail"
        assert expected in response.headers["Location"], (email, role)


def test_accounts_hold_the_roles_and_rights_the_readme_promises(demo):
    def membership(email):
        return Membership.select().join(User).where(User.email == email).get()

    staff = {u.email: u.staff_role for u in User.select().where(User.kind == "staff")}
    assert staff == {"admin@opco.test": "admin", "conseiller@opco.test": "conseiller",
                     "comptable@opco.test": "comptable"}
    sud_admin = membership("admin@cfa-sud.test")
    assert sud_admin.organisation.name == "CFA Sud" and sud_admin.role == "admin_of"
    assert sud_admin.rights == {name for name, _ in RIGHTS}
    sud_manager = membership("gestion@cfa-sud.test")
    assert sud_manager.role == "gestionnaire_of" and sud_manager.rights == {"right_contracts"}
    assert membership("admin@cfa-nord.test").organisation.name == "CFA Nord"
    assert membership("admin@cfa-ouest.test").organisation.name == "CFA Ouest"
    employers = {u.email: u.employer.name for u in User.select().where(User.kind == "employer")}
    assert employers == {"rh@garage-central.test": "Garage Central",
                         "rh@clinique-des-lilas.test": "Clinique des Lilas"}


def test_cfa_ouest_delegates_its_contracts_to_cfa_sud(demo):
    delegation = Delegation.get()
    assert (delegation.delegate.name, delegation.delegator.name) == ("CFA Sud", "CFA Ouest")
    assert Delegation.select().count() == 1
    assert delegation.state == "approuvee" and delegation.decided_by.email == "admin@opco.test"
    entries = list(AuditEntry.select().where((AuditEntry.entity == "delegation")
                                             & (AuditEntry.entity_id == str(delegation.id))).order_by(AuditEntry.at))
    assert [(e.action, e.actor) for e in entries] == [("request", "admin@cfa-sud.test"),
                                                      ("approve", "admin@opco.test")]
    assert entries[1].after["state"] == "approuvee"


def test_every_identifier_in_the_demo_passes_our_own_checks(demo):
    for org in Organisation.select():
        assert rules.check_siret(org.siret) is None, org.siret
        # A registration sheet has no UAI (the seed's sheet does not ask for it); an active CFA has one.
        assert rules.check_uai(org.uai) is None if org.uai or org.status == "active" else org.status == "pending", org
    for employer in Employer.select():
        assert rules.check_siret(employer.siret) is None, employer.siret
        assert rules.check_naf(employer.naf) is None and rules.check_idcc(employer.idcc) is None
    for apprentice in Apprentice.select():
        assert rules.check_nir(apprentice.nir) is None, apprentice.nir
    for bank in BankDetails.select():
        assert rules.check_iban(bank.iban) is None, bank.iban
        assert rules.check_bic(bank.bic) is None, bank.bic
    for dossier in Dossier.select():
        assert rules.check_rncp(dossier.rncp_code) is None and rules.check_diploma_code(dossier.diploma_code) is None
    sirets = [o.siret for o in Organisation.select()] + [e.siret for e in Employer.select()]
    assert len(sirets) == len(set(sirets))


def test_the_npec_referential_covers_every_demo_dossier(demo):
    referenced = {r.rncp_code for r in NpecReference.select()}
    assert {d.rncp_code for d in Dossier.select()} <= referenced
    cpne_of = {row.idcc: row.cpne_code for row in IdccCpne.select()}
    for dossier in Dossier.select().where(~Dossier.is_stock):
        cpne = cpne_of[dossier.employer.idcc]
        amounts = {r.npec for r in NpecReference.select().where((NpecReference.rncp_code == dossier.rncp_code)
                                                                 & (NpecReference.cpne_code == cpne))}
        assert dossier.npec in amounts, dossier.number


def test_installments_of_each_engaged_dossier_are_the_rules_schedule_and_sum_to_what_the_opco_pays(demo):
    engaged = list(Dossier.select().where(Dossier.state == "engage"))
    assert len(engaged) >= 10
    for dossier in engaged:
        installments = list(Installment.select().where(Installment.dossier == dossier.id)
                            .order_by(Installment.number))
        financing = rules.compute_financing(contract_from_dossier(dossier))
        assert sum(i.amount for i in installments) == dossier.total_financed - dossier.employer_share
        assert [(i.billable_from, i.amount) for i in installments] == \
               [(i.billable_from, i.amount) for i in financing.installments]
        assert (dossier.regime, dossier.total_financed, dossier.employer_share) == \
               (financing.regime, financing.total, financing.employer_share)
    assert any(d.employer_share > 0 for d in engaged), "a level-6 2025 contract shows the employer share"


def test_invoices_exist_in_every_state_with_gapless_numbers(demo):
    invoices = list(Invoice.select())
    assert {i.state for i in invoices} == INVOICE_STATES
    numbers = sorted(i.number for i in invoices if i.state != "brouillon")
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(i.number is None for i in invoices if i.state == "brouillon")
    assert all(i.hold_reason for i in invoices if i.state == "en_attente")
    assert all(i.rejection_reason for i in invoices if i.state == "rejetee")
    receipts = [i.receipt_number for i in invoices if i.number]
    assert len(set(receipts)) == len(receipts) and all(receipts)
    for invoice in invoices:
        assert invoice.total_ttc == sum(line.amount for line in invoice.lines)


def test_installment_statuses_follow_their_invoices(demo):
    """Reimbursement requests cover installments by amount, in schedule order; a mass invoice names them."""
    expected = {"payee": "paid", "validee": "invoiced", "en_traitement": "invoiced", "en_attente": "invoiced",
                "rejetee": "to_invoice", "brouillon": "to_invoice"}
    named = list(InvoiceLine.select().join(Invoice).where(InvoiceLine.installment.is_null(False)))
    assert {line.invoice.kind for line in named} == {"mass"}
    for line in named:
        assert line.installment.status == expected[line.invoice.state], (line.invoice.state, line.installment.id)
        assert line.amount == line.installment.amount
        assert (line.period_start, line.period_end) == (line.installment.period_start, line.installment.period_end)
    for dossier in Dossier.select().where(Dossier.state.in_(("engage", "solde"))):
        lines = list(InvoiceLine.select().join(Invoice).where((InvoiceLine.dossier == dossier.id)
                                                              & InvoiceLine.nature.in_(("teaching", "uplift"))))
        by_status = {status: sum((i.amount for i in Installment.select().where(
            (Installment.dossier == dossier.id) & (Installment.status == status))), Decimal("0"))
            for status in ("paid", "invoiced")}
        assert by_status["paid"] == sum((l.amount for l in lines if l.invoice.state == "payee"), Decimal("0"))
        assert by_status["invoiced"] == sum((l.amount for l in lines if l.invoice.state in
                                             ("validee", "en_traitement", "en_attente")), Decimal("0"))


def test_payments_go_to_approved_bank_details_and_pay_every_paid_invoice_once(demo):
    payments = list(Payment.select())
    assert payments
    for payment in payments:
        assert payment.bank_details.status == "approved"
        assert payment.bank_details.organisation_id == payment.organisation_id
        assert payment.gross == sum(line.amount for line in payment.lines) == payment.net + payment.deductions
    payments_of = {}
    for line in PaymentLine.select():
        payments_of.setdefault(line.invoice_id, set()).add(line.payment_id)
        assert line.dossier_id in {l.dossier_id for l in line.invoice.lines}
    assert set(payments_of) == {i.id for i in Invoice.select().where(Invoice.state == "payee")}
    assert all(len(paid_by) == 1 for paid_by in payments_of.values())
    for invoice in Invoice.select().where(Invoice.state == "payee"):
        assert sum(line.amount for line in PaymentLine.select().where(PaymentLine.invoice == invoice.id)) == \
            invoice.total_ttc
    references = [p.reference for p in payments]
    assert len(set(references)) == len(references)


def test_bank_details_include_a_pending_change_beside_the_approved_ones(demo):
    statuses = Tally(b.status for b in BankDetails.select())
    assert statuses["pending"] >= 1 and statuses["approved"] == 3
    assert all(b.refusal_reason for b in BankDetails.select().where(BankDetails.status == "refused"))


def test_the_rupture_turns_what_was_paid_beyond_what_is_due_into_a_credit_note(demo):
    rupture = Rupture.get()
    dossier = rupture.dossier
    assert dossier.state == "solde" and dossier.rupture_date == rupture.date and dossier.regime == "2021"
    paid = sum(line.amount for line in PaymentLine.select().where(PaymentLine.dossier == dossier.id))
    note = CreditNote.get()
    assert note.number == 1 and note.dossier_id == dossier.id and note.reason == "rupture"
    assert note.amount == rupture.credit_note_amount == paid - rupture.due > 0
    assert rupture.due == dossier.total_financed - dossier.employer_share
    assert not Installment.select().where((Installment.dossier == dossier.id)
                                          & (Installment.status == "to_invoice")).exists()


def test_every_cfa_with_users_has_notifications(demo):
    """Every active CFA someone works in (CFA Est Formation has no account yet; a pending sheet is not a CFA yet)."""
    working = Organisation.select().where((Organisation.status == "active")
                                          & Organisation.id.in_(Membership.select(Membership.organisation)))
    assert working.count() >= 3
    for org in working:
        assert Notification.select().where(Notification.organisation == org.id).exists(), org.name
    assert Notification.select().where(Notification.read_at.is_null()).exists()


def test_loading_the_demo_twice_adds_nothing(demo, app):
    before = table_counts()
    with pytest.raises(DemoAlreadyLoaded), app.app_context():
        load_demo()
    assert table_counts() == before


def test_the_demo_command_refuses_politely_when_the_demo_is_there(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Données de démonstration chargées" in first.output
    before = table_counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and second.exception is None
    assert "déjà chargées" in second.output
    assert table_counts() == before


def test_demo_amounts_are_whole_cents(demo):
    for installment in Installment.select():
        assert installment.amount == installment.amount.quantize(Decimal("0.01")) and installment.amount >= 0


def _pages(app, prefix, arguments=frozenset()):
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and rule.rule.startswith(prefix) and set(rule.arguments) == arguments})


@pytest.mark.parametrize("email", ["admin@opco.test", "conseiller@opco.test", "comptable@opco.test"])
def test_every_back_office_page_renders_the_demo_without_error(demo, app, make_client, email):
    client = make_client(email)
    pages = _pages(app, "/admin")
    assert len(pages) > 10
    for page in pages:
        response = client.get(page)
        assert response.status_code < 500, page


@pytest.mark.parametrize("email", ["admin@cfa-sud.test", "gestion@cfa-sud.test", "admin@cfa-nord.test",
                                   "admin@cfa-ouest.test", "rh@garage-central.test"])
def test_every_portal_page_renders_the_demo_without_error(demo, app, make_client, email):
    client = make_client(email)
    for page in _pages(app, "/portail"):
        assert client.get(page).status_code < 500, page
    user = User.get(User.email == email)
    own = [m.organisation_id for m in Membership.select().where(Membership.user == user.id)]
    dossier_pages = _pages(app, "/portail/dossiers/", frozenset({"number"}))
    assert "/portail/dossiers/<number>" in dossier_pages
    numbers = [d.number for d in Dossier.select().where(Dossier.organisation.in_(own or [0]))]
    for number in numbers:
        for page in dossier_pages:
            url = page.replace("<number>", number)
            assert client.get(url).status_code < 500, url


def test_the_demo_breaks_none_of_the_ledger_invariants(demo):
    from workflows import integrity

    assert [p.message for p in integrity.problems()] == []


def test_the_mass_invoicing_draft_resumes_at_step_two_with_its_installments_ticked(demo, make_client):
    draft = Invoice.get(Invoice.state == "brouillon")
    assert draft.draft["fees"] == ["teaching"] and draft.draft["step"] == 2 and "natures" not in draft.draft
    ticked = [i for saved in draft.draft["selection"].values() for i in saved["installments"]]
    assert ticked
    page = make_client("admin@cfa-sud.test").get(f"/portail/facturation/{draft.id}/echeances")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for installment_id in ticked:
        assert re.search(rf'value="{installment_id}" id="inst-{installment_id}" checked', html)


def test_the_mass_invoicing_draft_reopens_at_step_one_with_its_fee_types_and_dossiers_ticked(demo, make_client):
    draft = Invoice.get(Invoice.state == "brouillon")
    client = make_client("admin@cfa-sud.test")
    resumed = client.get(f"/portail/facturation/{draft.id}")
    assert resumed.status_code == 302 and resumed.headers["Location"].endswith(f"/facturation/{draft.id}/echeances")
    html = client.get(f"/portail/facturation/{draft.id}/dossiers").get_data(as_text=True)
    assert re.search(r'id="fee-teaching" checked', html)
    assert not re.search(r'id="fee-annex" checked', html)
    assert draft.draft["dossiers"]
    for dossier_id in draft.draft["dossiers"]:
        assert re.search(rf'value="{dossier_id}" id="d-{dossier_id}" checked', html)


def _stored_pdf(app, stored_name):
    with app.app_context():
        return get_storage().read(stored_name).startswith(b"%PDF")


def test_every_invoice_past_draft_keeps_its_receipt_as_a_stored_pdf(demo, app):
    sent = list(Invoice.select().where(Invoice.state != "brouillon"))
    assert len(sent) >= 80 and {i.kind for i in sent} == {"reimbursement", "mass"}
    for invoice in sent:
        receipts = list(Document.select().where((Document.invoice == invoice.id)
                                                & (Document.doc_type == "recepisse")))
        assert len(receipts) == 1 and invoice.receipt_number, invoice.display_number
        assert _stored_pdf(app, receipts[0].stored_name), invoice.display_number
        invoices = Document.select().where((Document.invoice == invoice.id) & (Document.doc_type == "facture"))
        assert invoices.count() == 1, f"{invoice.display_number}: the CFA's own invoice PDF"


def test_every_agreed_dossier_has_its_schedule_and_its_agreement_letter_dated_the_day_of_the_agreement(demo, app):
    agreed = list(Dossier.select().where(Dossier.state.in_(("engage", "solde"))))
    assert len(agreed) >= 20
    for dossier in agreed:
        assert Installment.select().where(Installment.dossier == dossier.id).exists(), dossier.number
        letters = list(Letter.select().where((Letter.dossier == dossier.id) & (Letter.kind == "accord")))
        assert len(letters) == 1 and _stored_pdf(app, letters[0].stored_name), dossier.number
        assert letters[0].issued_at.date() == dossier.agreement_date, dossier.number
    for state, kind in (("en_attente", "relance"), ("refuse", "refus")):
        for dossier in Dossier.select().where(Dossier.state == state):
            assert Letter.select().where((Letter.dossier == dossier.id) & (Letter.kind == kind)).exists(), \
                dossier.number
    rupture = Rupture.get(Rupture.state == "confirmee")
    assert Letter.select().where((Letter.dossier == rupture.dossier_id) & (Letter.kind == "rupture")).exists()


AUDITED_STATES = [  # model, entity names in the audit log, state column
    (Dossier, ("dossier",), "state"), (Invoice, ("invoice",), "state"),
    (CreditNote, ("credit_note",), "state"), (BankDetails, ("bank_details",), "status"),
    (Delegation, ("delegation",), "state"), (Rupture, ("rupture",), "state"), (Amendment, ("amendment",), "state"),
]


@pytest.mark.parametrize("model, entities, column", AUDITED_STATES, ids=[m.__name__ for m, _, _ in AUDITED_STATES])
def test_every_record_has_the_audit_entry_of_the_change_that_brought_it_to_its_state(demo, model, entities, column):
    rows = list(model.select())
    assert rows
    for row in rows:
        entries = list(AuditEntry.select().where(AuditEntry.entity.in_(entities)
                                                 & (AuditEntry.entity_id == str(row.id))).order_by(AuditEntry.id))
        reached = [e for e in entries if (e.after or {}).get(column) == getattr(row, column)]
        assert reached, (model.__name__, row.id, getattr(row, column), [e.action for e in entries])
        assert reached[-1].at <= dt.datetime.now()
    if model is Dossier:
        for row in rows:
            assert AuditEntry.select().where((AuditEntry.entity == "dossier") & (AuditEntry.action == "deposit")
                                             & (AuditEntry.entity_id == str(row.id))).exists(), row.number


def test_the_demo_story_is_dated_in_the_past_not_on_the_day_it_was_loaded(demo):
    from infrastructure import clock

    loaded = dt.datetime.combine(clock.today(), dt.time(0))
    assert Invoice.select().where(Invoice.created_at >= loaded).count() == 0
    assert Letter.select().where(Letter.issued_at >= loaded).count() == 0
    assert Payment.select().where(Payment.created_at >= loaded).count() == 0
    first = Invoice.get(Invoice.number == 1)
    assert first.submitted_at.year == 2019 and first.paid_at > first.validated_at > first.submitted_at
    assert all(p.created_at.date() == p.date for p in Payment.select())
