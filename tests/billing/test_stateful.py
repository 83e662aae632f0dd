"""Random journeys through the real billing services keep the ledger's invariants after every step.

A Hypothesis state machine engages dossiers (workflows.dossier_workflow), deposits reimbursement
requests (workflows.reimbursement) and mass invoices (workflows.mass_invoicing), decides invoices
(workflows.invoice_workflow: hold, answer, validate, reject), pays them (workflows.payments), records
ruptures and amendments as staff (workflows.ruptures, workflows.amendments), issues credit notes for
what was paid beyond what is due and settles them (workflows.credit_notes). After every step,
workflows.integrity.problems() — what `flask --app app check` prints — must be empty.

PDF rendering (letters, receipts) is replaced by a blank page: it is slow and not what is checked here;
the documents are still stored. One database is reused, emptied between examples.

Known gap, left out of the journeys: a reimbursement request for part of an installment, then a rupture
or an amendment. workflows.ruptures.plan_schedule keeps whole installments only, so the part paid of an
installment it cancels drops out of the schedule (Σ installments − credit notes ≠ engaged amount).
"""
import datetime as dt
import io
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from peewee import fn
from werkzeug.datastructures import FileStorage

import models
from workflows import integrity
from workflows import invoice_workflow as workflow
from workflows import mass_invoicing as mass
from workflows import reimbursement
from workflows.amendments import confirm_amendment
from workflows.credit_notes import CreditNoteError, create_credit_note, deposit_avoir, mark_refunded
from workflows.documents import save_document
from workflows.dossier_workflow import Params, perform
from workflows.installments import ACTIVE
from workflows.payments import record_payment
from workflows.ruptures import RuptureError, confirm_rupture, paid_on
from tests.factories import BIC, IBAN, make_pdf
from tests.conftest import _empty_tables
from tests.factories import make_nir, make_siret, password_hash
from infrastructure import clock

POSTGRES = os.environ.get("TEST_DB", "sqlite") == "postgres"
EXAMPLES = int(os.environ.get("STATEFUL_EXAMPLES", 30 if POSTGRES else 200))
STEPS = 20
# Ruptures, amendments, holds and rejections end or slow a journey: they fire one time in four, so that
# journeys also reach payments, and credit notes after them.
RARELY = st.integers(0, 3).map(lambda n: n == 0)
TODAY = clock.today()
BLANK = make_pdf()

# (conclusion, start, end): regimes 2021 and 2025, one, two and three years, all started before today.
CONTRACTS = [
    (dt.date(2024, 8, 20), dt.date(2024, 9, 2), dt.date(2026, 8, 31)),
    (dt.date(2025, 1, 6), dt.date(2025, 1, 13), dt.date(2027, 1, 12)),
    (dt.date(2025, 8, 25), dt.date(2025, 9, 1), dt.date(2027, 8, 31)),
    (dt.date(2025, 9, 15), dt.date(2025, 10, 1), dt.date(2026, 9, 30)),
    (dt.date(2025, 11, 3), dt.date(2025, 11, 17), dt.date(2028, 11, 16)),
]
CONTEXT = {}
# Paths of a deposited dossier short of the engagement (every state a dossier reaches before its financing).
PATHS = [(), ("instruire",), ("instruire", "demander_pieces"), ("instruire", "demander_pieces", "reprendre"),
         ("instruire", "refuser"), ("instruire", "demander_pieces", "refuser"), ("annuler",), ("supprimer",),
         ("instruire", "annuler")]
ACTION_PARAMS = {"demander_pieces": Params(pieces=["Convention de formation signée"]),
                 "refuser": Params(reason="Contrat hors du champ de financement")}


def _pdf(name="piece.pdf"):
    return FileStorage(io.BytesIO(BLANK), filename=name, content_type="application/pdf")


class Ledger(RuleBasedStateMachine):
    """One CFA (credit notes by deduction or by refund), its approved RIB, staff, and its dossiers."""

    @initialize(mode=st.sampled_from(["deduction", "refund"]))
    def setup(self, mode):
        _empty_tables(CONTEXT["db"])
        self.key = 0
        self.org = models.Organisation.create(siret=make_siret(11), name="CFA Propriétés", status="active",
                                              credit_note_mode=mode)
        self.employer = models.Employer.create(siret=make_siret(12), name="Employeur", idcc="1090")
        staff = {}
        for role in ("conseiller", "comptable"):
            staff[role] = models.User.create(email=f"{role}@opco.test", password_hash=password_hash(), kind="staff",
                                             staff_role=role, first_name=role.title(), last_name="OPCO")
        self.conseiller, self.comptable = staff["conseiller"], staff["comptable"]
        self.cfa = models.User.create(email="facturation@cfa.test", password_hash=password_hash(), kind="cfa",
                                      first_name="Gestion", last_name="CFA")
        models.Membership.create(user=self.cfa, organisation=self.org, role="admin_of",
                                 **{name: True for name, _ in models.user.RIGHTS})
        bank = models.BankDetails.create(organisation=self.org, iban=IBAN, bic=BIC, holder=self.org.name)
        models.BankDetails.update(status="approved").where(models.BankDetails.id == bank.id).execute()
        self._count()

    def _count(self):
        """How many dossiers and invoices are in each state, and open credit notes: the rules' preconditions."""
        self.counts = dict(models.Dossier.select(models.Dossier.state, fn.COUNT(models.Dossier.id))
                           .group_by(models.Dossier.state).tuples())
        self.counts.update(("invoice_" + state, n) for state, n in models.Invoice.select(
            models.Invoice.state, fn.COUNT(models.Invoice.id)).group_by(models.Invoice.state).tuples())
        self.counts["open_credit_notes"] = models.CreditNote.select().where(
            models.CreditNote.state.in_(("a_emettre", "deposee", "en_retard"))).count()

    def has(self, *keys):
        return any(getattr(self, "counts", {}).get(key) for key in keys)

    # --- helpers -----------------------------------------------------------------------------------

    def _dossiers(self, state="engage"):
        return list(models.Dossier.select().where(models.Dossier.state == state).order_by(models.Dossier.id))

    def _invoices(self, *states):
        return list(models.Invoice.select().where(models.Invoice.state.in_(states)).order_by(models.Invoice.id))

    def _settled(self):
        """Engaged dossiers without a rupture whose invoices are all decided (paid or rejected)."""
        pending = (models.InvoiceLine.select(models.InvoiceLine.dossier).join(models.Invoice)
                   .where(models.Invoice.state.in_(("en_traitement", "en_attente", "validee"))))
        return list(models.Dossier.select().where((models.Dossier.state == "engage")
                                                  & models.Dossier.rupture_date.is_null()
                                                  & models.Dossier.id.not_in(pending)).order_by(models.Dossier.id))

    def _pick(self, items, index):
        return items[index % len(items)] if items else None

    def _next_key(self):
        self.key += 1
        return f"stateful-{self.key}"

    # --- rules -------------------------------------------------------------------------------------

    @rule(contract=st.sampled_from(CONTRACTS), npec=st.sampled_from(["6000", "7350", "9100.50"]),
          level=st.sampled_from([4, 6]))
    def engage(self, contract, npec, level):
        conclusion, start, end = contract
        n = models.Dossier.select().count() + 1
        apprentice = models.Apprentice.create(birth_name=f"APPRENTI{n}", first_name="Camille",
                                              birth_date=dt.date(2004, 5, 1), nir=make_nir(n))
        dossier = models.Dossier.create(
            number=f"20259{n:05d}", state="en_instruction", organisation=self.org, employer=self.employer,
            apprentice=apprentice, apprentice_name=f"APPRENTI{n} Camille", conclusion_date=conclusion,
            contract_start=start, contract_end=end, training_start=start, training_end=end, level=level,
            rncp_code="RNCP35320", diploma_code="32031213", cap_meals=200, advisor=self.conseiller)
        models.DossierCounter.created(dossier)  # as every creation path does
        outcome = perform("engager", dossier.id, self.conseiller, Params(npec=Decimal(npec)))
        assert outcome.ok, outcome.message

    @rule(scheme=st.sampled_from(["apprentissage", "professionnalisation", "pro_a"]), stock=st.booleans(),
          loose=st.booleans(), path=st.sampled_from(PATHS))
    def deposit_and_instruct(self, scheme, stock, loose, path):
        """A dossier of any scheme and kind deposited then moved along a path short of the engagement; the
        last action of a path is tried again, refused from the state it reached (nothing moves)."""
        n = models.Dossier.select().count() + 1
        apprentice = models.Apprentice.create(birth_name=f"DEPOSE{n}", first_name="Sacha",
                                              birth_date=dt.date(2005, 3, 1), nir=make_nir(n))
        start = dt.date(2025, 9, 1)
        dossier = models.Dossier.create(
            number=f"20258{n:05d}", state="recu", scheme=scheme, is_stock=stock, without_contract=loose,
            organisation=self.org, employer=self.employer, apprentice=apprentice,
            apprentice_name=f"DEPOSE{n} Sacha", conclusion_date=start, contract_start=start,
            contract_end=dt.date(2027, 8, 31), rncp_code="RNCP35320", diploma_code="32031213")
        models.DossierCounter.created(dossier)
        for action in path:
            outcome = perform(action, dossier.id, self.conseiller, ACTION_PARAMS.get(action, Params()))
            assert outcome.ok, outcome.message
        if path and path[-1] != "reprendre":
            assert not perform(path[-1], dossier.id, self.conseiller, ACTION_PARAMS.get(path[-1], Params())).ok

    @precondition(lambda self: self.has("engage"))
    @rule(which=st.integers(0, 50), meals=st.integers(0, 40))
    def reimbursement_request(self, which, meals):
        """The next installment in full (a partial request followed by a rupture is a known gap: see below)."""
        dossier = self._pick(self._dossiers(), which)
        open_rows = [r for r in models.Installment.select().where(
            (models.Installment.dossier == dossier.id) & (models.Installment.status == "to_invoice")
            & (models.Installment.billable_from <= TODAY)).order_by(models.Installment.number)]
        if not open_rows:
            return
        row = open_rows[0]
        data = reimbursement.RequestData(
            period_start=row.period_start, period_end=min(row.period_end, dossier.rupture_date or row.period_end),
            teaching_amount=row.amount, nights=0, lodging_amount=Decimal("0"),
            meals=meals, meals_amount=Decimal(meals * 3), first_equipment_amount=Decimal("0"),
            mobility_amount=Decimal("0"), terms_accepted=True)
        if reimbursement.check(dossier, data, True, True):
            return  # refused by the rules: nothing written
        reimbursement.submit(dossier, data, ("facture.pdf", BLANK), ("certificat.pdf", BLANK), self.cfa,
                             submission_key=self._next_key())

    @precondition(lambda self: self.has("engage"))
    @rule(count=st.integers(1, 3), which=st.integers(0, 50))
    def mass_invoice(self, count, which):
        dossiers = self._dossiers()
        chosen = [self._pick(dossiers, which + k).id for k in range(count)]
        chosen = list(dict.fromkeys(chosen))
        draft = mass.save_step1(None, self.org, ["teaching"], chosen, set(chosen), self.cfa, require_complete=True)
        choices = mass.step2_choices(draft, TODAY)
        for choice in choices:
            choice.installment_ids = [r.id for r in choice.open_installments[:1]]
        if not any(c.installment_ids for c in choices):
            return  # the draft stays a draft
        mass.save_step2(draft, choices, 3)
        try:
            mass.send(draft, "MASSE", TODAY, ("facture.pdf", BLANK), self.cfa)
        except (mass.MassInvoiceRefused, mass.MassInvoiceError):
            pass

    @precondition(lambda self: self.has("invoice_en_traitement"))
    @rule(which=st.integers(0, 50), now=RARELY)
    def put_on_hold(self, which, now):
        if not now:
            return
        workflow.put_on_hold(self._pick(self._invoices("en_traitement"), which), "Certificat illisible.",
                             user=self.comptable)

    @precondition(lambda self: self.has("invoice_en_attente"))
    @rule(which=st.integers(0, 50))
    def answer_hold(self, which):
        invoice = self._pick(self._invoices("en_attente"), which)
        with models.db.atomic():
            document = save_document("certificat.pdf", BLANK, self.org, "certificat", invoice=invoice, user=self.cfa)
            workflow.answer_hold(invoice, document, user=self.cfa)

    @precondition(lambda self: self.has("invoice_en_traitement"))
    @rule(which=st.integers(0, 50))
    def validate(self, which):
        workflow.validate(self._pick(self._invoices("en_traitement"), which), user=self.comptable)

    @precondition(lambda self: self.has("invoice_en_traitement", "invoice_en_attente"))
    @rule(which=st.integers(0, 50), now=RARELY)
    def reject(self, which, now):
        if not now:
            return
        workflow.reject(self._pick(self._invoices("en_traitement", "en_attente"), which), "Facture non conforme.",
                        user=self.comptable)

    @precondition(lambda self: self.has("invoice_validee"))
    @rule(count=st.integers(1, 4))
    def pay(self, count):
        ready = self._invoices("validee")[:count]
        payment, created = record_payment(self.org, [i.id for i in ready], self._next_key(), user=self.comptable)
        assert created and payment.gross == sum((i.total_ttc for i in ready), Decimal("0.00"))

    @precondition(lambda self: self.has("engage"))
    @rule(which=st.integers(0, 50), days=st.integers(0, 1100), continues=st.booleans(), aim=st.booleans())
    def rupture(self, which, days, continues, aim):
        """On any dossier (often refused: an invoice is pending) or, when `aim`, on one it can apply to."""
        dossier = self._pick((aim and self._settled()) or self._dossiers(), which)
        date = min(dossier.contract_start + dt.timedelta(days=days), dossier.contract_end)
        try:
            confirm_rupture(dossier, date, "Rupture d'un commun accord.", continues_at_cfa=continues,
                            user=self.conseiller)
        except RuptureError:
            pass

    @precondition(lambda self: self.has("engage"))
    @rule(which=st.integers(0, 50), months=st.integers(-10, 10), npec=st.sampled_from([None, "5000", "8800"]),
          aim=st.booleans())
    def amendment(self, which, months, npec, aim):
        dossier = self._pick((aim and self._settled()) or self._dossiers(), which)
        new_end = dossier.contract_end + dt.timedelta(days=30 * months) if months else None
        try:
            confirm_amendment(dossier, new_end, Decimal(npec) if npec else None, "Avenant de prolongation.",
                              _pdf("avenant.pdf"), user=self.conseiller)
        except RuptureError:  # AmendmentError included
            pass

    @precondition(lambda self: self.has("engage", "solde"))
    @rule(which=st.integers(0, 50))
    def credit_note_for_overpayment(self, which):
        """A credit note is issued for what was paid beyond what is due (never a typed amount)."""
        dossier = self._pick(self._dossiers("engage") + self._dossiers("solde"), which)
        credited = sum((n.amount for n in models.CreditNote.select().where(models.CreditNote.dossier == dossier.id)),
                       Decimal("0.00"))
        overpaid = paid_on(dossier) - credited - (dossier.total_financed - dossier.employer_share)
        if overpaid <= 0:
            with pytest.raises(CreditNoteError):
                create_credit_note(dossier, overpaid, "end_of_contract", user=self.comptable)
            return
        create_credit_note(dossier, overpaid, "end_of_contract", user=self.comptable)

    @precondition(lambda self: self.has("open_credit_notes"))
    @rule(which=st.integers(0, 50))
    def refund_or_deposit(self, which):
        notes = list(models.CreditNote.select().where(models.CreditNote.state.in_(("a_emettre", "deposee",
                                                                                   "en_retard")))
                     .order_by(models.CreditNote.id))
        note = self._pick(notes, which)
        if note.settlement_mode == "refund":
            mark_refunded(note, user=self.comptable)
        else:
            with models.db.atomic():
                document = save_document("avoir.pdf", BLANK, self.org, "avoir", credit_note=note, user=self.cfa)
                deposit_avoir(note, document, user=self.cfa)

    # --- after every step --------------------------------------------------------------------------

    @invariant()
    def ledger_is_consistent(self):
        if not hasattr(self, "org"):
            return
        assert [p.message for p in integrity.problems()] == []
        self._count()

    @invariant()
    def dashboard_counters_equal_a_fresh_count(self):
        """The counters kept by every step equal a COUNT(*) GROUP BY over the dossiers, row for row."""
        assert models.DossierCounter.kept_counts() == models.DossierCounter.fresh_counts()

    @invariant()
    def installments_follow_their_invoices(self):
        """Every installment named by a paid invoice is paid; nothing is paid without a payment."""
        paid_lines = (models.InvoiceLine.select(models.InvoiceLine.installment)
                      .join(models.Invoice).where((models.Invoice.state == "payee")
                                                  & models.InvoiceLine.installment.is_null(False)))
        assert not models.Installment.select().where(models.Installment.id.in_(paid_lines)
                                                     & (models.Installment.status != "paid")).exists()
        if not models.PaymentLine.select().exists():
            assert not models.Installment.select().where(models.Installment.status == "paid").exists()
        if not models.Invoice.select().where(models.Invoice.state.in_(ACTIVE)).exists():
            assert not models.Installment.select().where(models.Installment.status.in_(("paid", "invoiced"))).exists()


def test_random_billing_journeys_keep_the_ledger_invariants(app, db, monkeypatch):
    monkeypatch.setattr("workflows.receipts.render_pdf", lambda *args, **kwargs: BLANK)
    monkeypatch.setattr("workflows.letters.render_pdf", lambda *args, **kwargs: BLANK)
    CONTEXT["db"] = db
    with app.test_request_context():
        run_state_machine_as_test(Ledger, settings=settings(
            max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))

