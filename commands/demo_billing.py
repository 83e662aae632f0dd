"""The billing half of the demo story: requests, decisions, payments, the mass invoice and its draft,
the rupture and the requests waiting for a conseiller — each through the service the screens call."""
import datetime as dt
import io
from decimal import Decimal

from werkzeug.datastructures import FileStorage

import models
import rules
from commands.demo_data import DRAFT_SAVED_AT, MASS_INVOICE, RECENT, WAITING_REQUESTS
from commands.demo_story import DemoStepFailed, moment as _moment, pdf_of
from access.scope import scope_for_user
from models.states import DossierState, InvoiceState
from models import CreditNote, Dossier, Installment, Invoice, Organisation
from workflows import amendments, invoice_workflow, mass_invoicing, payments, reimbursement, ruptures

HOLD_REASON = "Le certificat de réalisation de la période facturée est manquant."
REJECTION_REASON = ("La facture jointe ne porte ni le numéro de dossier ni le nom de l'apprenti ; merci de déposer "
                    "une nouvelle demande avec une facture conforme.")
PAYMENT_DAY = 20  # the comptable's monthly transfer run


class BillingSteps:
    """Steps of `commands.demo.DemoStory` (a Calendar holding `orgs`, `users`, `dossiers`, `plans`)."""

    def plan_billing(self):
        """The payment runs, the mass invoice, the waiting requests and the draft, on their days."""
        month = dt.date(2019, 9, PAYMENT_DAY)
        while month <= self.today:
            self.at(_moment(month, 8), self._payment_run)
            month = (month + dt.timedelta(days=32)).replace(day=PAYMENT_DAY)
        self.at(_moment(MASS_INVOICE["day"], 11), self._mass_invoice)
        for name, (kind, day, detail) in WAITING_REQUESTS.items():
            self.at(_moment(day, 14), self._waiting_request, name, kind, detail)
        self.at(DRAFT_SAVED_AT, self._save_draft)

    def _plan_invoices(self, dossier):
        """One reimbursement request per installment, as the dossier's line says; a solde dossier is all paid."""
        _, state, options = self.dossiers[dossier.apprentice_name]
        installments = list(Installment.select().where(Installment.dossier == dossier.id)
                            .order_by(Installment.number))
        rupture = options.get("rupture")
        if state == DossierState.SETTLED:
            limit = rupture[0] if rupture else dossier.contract_end
            targets = [InvoiceState.PAID for i in installments if i.billable_from <= limit]
        else:
            targets = options.get("invoices", [])
        last = dossier.agreement_date
        for installment, target in zip(installments, targets):
            submitted = max(installment.billable_from, dossier.agreement_date) + dt.timedelta(days=9)
            if target in RECENT:  # what is still in progress was sent lately
                submitted = max(submitted, RECENT[target] + dt.timedelta(days=len(self.plans) % 5))
            plan = dict(dossier=dossier.id, installment=installment.id, target=target,
                        annex=bool(options.get("annex")) and installment.number == 1, invoice=None)
            self.plans.append(plan)
            self.at(_moment(submitted, 10, 15), self._submit_request, plan)
            last = max(last, submitted)
        if rupture:
            date, declared, reason = rupture
            self.at(_moment(declared, 11), self._declare_rupture, dossier.id, date, reason)
            self.at(_moment(declared + dt.timedelta(days=1), 16), self._confirm_rupture, dossier.id)
            self.at(_moment(declared + dt.timedelta(days=7), 10), self._act, dossier.id, "solder")
        elif state == DossierState.SETTLED:
            self.at(_moment(max(last + dt.timedelta(days=60), dossier.contract_end), 10), self._act, dossier.id,
                    "solder")

    def _submit_request(self, moment, plan):
        """The CFA's reimbursement request (seed 001): its invoice PDF, the certificate when needed, the receipt."""
        dossier = Dossier.get_by_id(plan["dossier"])
        installment = Installment.get_by_id(plan["installment"])
        user = self._admin_of(dossier.organisation_id)
        day = moment.date()
        annex = self._annex(dossier) if plan["annex"] else {}
        reference = f"FAC-{day.year}-{len([p for p in self.plans if p['invoice']]) + 1:04d}"
        data = reimbursement.RequestData(
            period_start=installment.period_start, period_end=installment.period_end,
            teaching_amount=installment.amount, nights=annex.get("nights", 0),
            lodging_amount=annex.get("lodging", Decimal("0")), meals=annex.get("meals", 0),
            meals_amount=annex.get("meals_amount", Decimal("0")),
            first_equipment_amount=annex.get("first_equipment", Decimal("0")), mobility_amount=Decimal("0"),
            cfa_reference=reference, terms_accepted=True)
        organisation = dossier.organisation.name
        invoice_pdf = (f"{reference}.pdf", pdf_of("Facture", organisation, "Demande de remboursement OPCO"))
        certificate = None
        if reimbursement.certificate_needed(dossier, data):
            certificate = ("certificat-de-realisation.pdf", pdf_of("Certificat de réalisation", organisation))
        try:
            invoice = reimbursement.submit(dossier, data, invoice_pdf, certificate, user)
        except reimbursement.RequestRefused as exc:
            raise DemoStepFailed(f"{dossier.number} : {exc}") from None
        Invoice.update(cfa_invoice_date=day - dt.timedelta(days=2)).where(Invoice.id == invoice.id).execute()
        self._decide_later(plan, invoice, day)

    def _annex(self, dossier):
        """Meals, and nights where engaged, within the dossier's caps and the rates of rules.invoice_checks."""
        annex = {"meals": 110, "meals_amount": Decimal("330.00")}
        if dossier.cap_nights:
            annex.update(nights=20, lodging=Decimal("120.00"))
        if dossier.cap_first_equipment:
            annex["first_equipment"] = Decimal("420.00")
        return annex

    def _decide_later(self, plan, invoice, day):
        plan["invoice"], plan["organisation"] = invoice.id, invoice.organisation_id
        if plan["target"] != InvoiceState.PROCESSING:
            self.at(_moment(day + dt.timedelta(days=12), 16), self._decide, plan)

    def _decide(self, moment, plan):
        comptable = self.users["comptable@opco.test"]
        invoice = Invoice.get_by_id(plan["invoice"])
        if plan["target"] == InvoiceState.ON_HOLD:
            invoice_workflow.put_on_hold(invoice, HOLD_REASON, comptable)
        elif plan["target"] == InvoiceState.REJECTED:
            invoice_workflow.reject(invoice, REJECTION_REASON, comptable)
        else:
            invoice_workflow.validate(invoice, comptable)
            plan["validated"] = moment.date()

    def _payment_run(self, moment):
        """One transfer per organisation to its approved RIB, for the invoices validated before the run."""
        due = {}
        for plan in self.plans:
            if plan["target"] == InvoiceState.PAID and plan.get("validated") and plan["validated"] < moment.date() \
                    and not plan.get("payment_recorded"):
                due.setdefault(plan["organisation"], []).append(plan)
        if not due:
            return False
        for org_id, plans in sorted(due.items()):
            payments.record_payment(Organisation.get_by_id(org_id), [p["invoice"] for p in plans],
                                    f"demo-{org_id}-{moment:%Y-%m}", user=self.users["comptable@opco.test"],
                                    date=moment.date())
            for plan in plans:
                plan["payment_recorded"] = True

    def _mass_invoice(self, moment):
        """CFA Sud bills the first advance of two delegated CFA Ouest contracts in one mass invoice."""
        day = moment.date()
        sud = self.orgs["sud"]
        user = self.users["admin@cfa-sud.test"]
        ids = [self.dossiers[name][0] for name in MASS_INVOICE["dossiers"]]
        draft = mass_invoicing.save_step1(None, sud, ["teaching"], ids, self._billable_ids(user, sud, day), user,
                                          require_complete=True)
        choices = mass_invoicing.step2_choices(draft, day)
        for choice in choices:
            choice.installment_ids = [row.id for row in choice.open_installments[:1]]
        mass_invoicing.save_step2(draft, choices, 3)
        reference = MASS_INVOICE["reference"]
        mass_invoicing.save_step3(draft, reference, day - dt.timedelta(days=1))
        pdf = (f"{reference}.pdf", pdf_of(f"Facture {reference}", sud.name, "Facturation en masse"))
        invoice = mass_invoicing.send(draft, reference, day - dt.timedelta(days=1), pdf, user, today=day)
        plan = dict(dossier=None, installment=None, target=MASS_INVOICE["state"], annex=False, invoice=None)
        self.plans.append(plan)
        self._decide_later(plan, invoice, day)

    def _billable_ids(self, user, org, day):
        """The dossiers the portal offers `user` acting for `org` to bill on `day` (its own and its delegators')."""
        return {d.id for d, _ in mass_invoicing.billable_dossiers(scope_for_user(user, org.id), day)}

    # --- ruptures, amendment, the saved draft ---------------------------------------------------------

    def _declare_rupture(self, moment, dossier_id, date, reason):
        dossier = Dossier.get_by_id(dossier_id)
        ruptures.declare_rupture(dossier, date, reason, user=self._admin_of(dossier.organisation_id))

    def _confirm_rupture(self, moment, dossier_id):
        """The conseiller confirms: schedule recomputed, letter, and the credit note of what was overpaid."""
        rupture = ruptures.declared_rupture(Dossier.get_by_id(dossier_id))
        _, note, _ = ruptures.confirm_declared_rupture(rupture, self.users["conseiller@opco.test"])
        if note is not None:  # issued on the confirmation's day: the service dates it from the wall clock
            due = rules.refund_due_date(moment.date()) if note.due_date else None
            CreditNote.update(issued_on=moment.date(), due_date=due).where(CreditNote.id == note.id).execute()

    def _waiting_request(self, moment, name, kind, detail):
        """A rupture declared and an amendment requested from the portal, waiting for a conseiller."""
        dossier = Dossier.get_by_id(self.dossiers[name][0])
        if kind == "rupture":
            date, reason = detail
            ruptures.declare_rupture(dossier, date, reason, user=self._admin_of(dossier.organisation_id))
        else:
            new_end, reason, email = detail
            signed = FileStorage(stream=io.BytesIO(pdf_of("Avenant au contrat d'apprentissage",
                                                          dossier.organisation.name)), filename="avenant-signe.pdf")
            amendments.deposit_amendment(dossier, new_end, None, reason, signed, user=self.users[email])

    def _save_draft(self, moment):
        """CFA Sud's mass invoicing of the dossiers it has not billed yet, saved at step 2 (fee types kept)."""
        day = moment.date()
        org = self.orgs["sud"]
        user = self._admin_of(org.id)
        billable = self._billable_ids(user, org, day)
        invoiced = {line.dossier_id for line in models.InvoiceLine.select(models.InvoiceLine.dossier)}
        chosen = sorted(i for i in billable if i not in invoiced)
        draft = mass_invoicing.save_step1(None, org, ["teaching"], chosen, billable, user, require_complete=True)
        choices = mass_invoicing.step2_choices(draft, day)
        for choice in choices:
            choice.installment_ids = [row.id for row in choice.open_installments[:1]]
        mass_invoicing.save_step2(draft, choices, 2)
