"""Demo data (`flask --app app demo`), loaded by `make run` on an empty database (SPEC §9).

Every demo record is one a user could have produced: the contracts of commands/demo_data.py are
deposited, then their story is played day by day through the workflows the screens call —
services.dossier_workflow for the advisor's actions (schedule and letters), services.reimbursement and
services.mass_invoicing for the CFA's requests (receipts), services.invoice_workflow for the comptable's
decisions, services.payments, services.ruptures (and the credit note it issues), services.bank_details,
services.delegations and services.amendments. Each step runs on the day it is dated (`today=`/`date=`
where the service takes one); the timestamps a service takes from the wall clock are then moved back to
that moment — date columns only, never a state or an amount. The whole load is one transaction: it adds
the complete demo or nothing, and `flask --app app check` finds nothing on it.
"""
import datetime as dt
import functools
import heapq
import io
import itertools
from decimal import Decimal
from html import escape

from peewee import DateTimeField, PostgresqlDatabase
from werkzeug.datastructures import FileStorage
from xhtml2pdf import pisa

import models
import rules
from commands.demo_data import (BANKS, CFA_USERS, CPNE_OF_IDCC, D, DIPLOMAS, DOSSIERS, EMPLOYERS, IDCC_ROWS,
                                DRAFT_SAVED_AT, MASS_INVOICE, NPEC_ROWS, ORGANISATIONS, RECENT, STAFF, WAITING_REQUESTS)
from commands.generate import DEMO_PASSWORD, make_iban, make_nir, make_siret, make_uai
from models import (Apprentice, AuditEntry, CreditNote, Dossier, Employer, IdccCpne, Installment, Invoice,
                    Membership, Notification, NpecReference, Organisation, User)
from models.user import RIGHTS
from services import (amendments, audit, bank_details, clock, credit_notes, delegations, dossier_workflow,
                      invoice_workflow, mass_invoicing, payments, reimbursement, ruptures)
from services.numbering import immediate_transaction
from services.passwords import hash_password

HOLD_REASON = "Le certificat de réalisation de la période facturée est manquant."
REJECTION_REASON = ("La facture jointe ne porte ni le numéro de dossier ni le nom de l'apprenti ; merci de déposer "
                    "une nouvelle demande avec une facture conforme.")
NOTIFICATIONS_READ_ON = dt.datetime(2026, 10, 1, 9, 0)  # what came before, the CFAs have read
PAYMENT_DAY = 20  # the comptable's monthly transfer run


class DemoAlreadyLoaded(Exception):
    """The demo (or part of it) is already in the database."""


class DemoStepFailed(RuntimeError):
    """A workflow refused a demo step: the demo data and the rules disagree (nothing is loaded)."""


def demo_present():
    """True when a demo account or organisation exists: loading again would duplicate or clash."""
    emails = [e for e, *_ in STAFF] + [e for e, *_ in CFA_USERS] + [v[9][0] for v in EMPLOYERS.values() if v[9]]
    sirets = [make_siret(v[6]) for v in ORGANISATIONS.values()]
    return (User.select().where(User.email.in_(emails)).exists()
            or Organisation.select().where(Organisation.siret.in_(sirets)).exists())


def load_demo(today=None):
    """Load the demo data in one transaction; return counts. Raise DemoAlreadyLoaded if present.

    The story stops at `today` (default: the clock's day): a step dated later is not played.
    """
    password_hash = hash_password(DEMO_PASSWORD)  # argon2 is slow: one hash for every demo account
    with immediate_transaction():
        if demo_present():
            raise DemoAlreadyLoaded()
        return _DemoStory(password_hash, today or clock.today()).play()


@functools.lru_cache(maxsize=None)
def pdf_of(title, *lines):
    """A one-page PDF standing for a document the CFA would upload (its invoice, a certificate, a RIB)."""
    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    out = io.BytesIO()
    pisa.CreatePDF(src=f"<html><body><h1>{escape(title)}</h1>{body}</body></html>", dest=out, encoding="utf-8")
    return out.getvalue()


def _moment(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute))


def _wall_clock_updates():
    """One UPDATE per table moving every timestamp written since `started` to a given moment.

    Raw SQL built once: the load runs it after each of its few hundred steps.
    """
    param = models.db.param
    updates = []
    for model in models.MODELS:
        columns = [f.column_name for f in model._meta.sorted_fields
                   if isinstance(f, DateTimeField) and not f.name.startswith("expires")]
        if not columns:
            continue
        assignments = ", ".join(f'"{c}" = CASE WHEN "{c}" >= {param} THEN {param} ELSE "{c}" END' for c in columns)
        condition = " OR ".join(f'"{c}" >= {param}' for c in columns)
        updates.append((f'UPDATE "{model._meta.table_name}" SET {assignments} WHERE {condition}', len(columns)))
    return updates


class _DemoStory:
    def __init__(self, password_hash, today):
        self.password_hash = password_hash
        self.today = today
        self.orgs, self.employers, self.users = {}, {}, {}
        self.dossiers = {}  # apprentice name -> (dossier id, target state, options)
        self.plans = []  # one dict per invoice the story submits
        self.events = []
        self.sequence = itertools.count()  # same moment: first planned, first played
        self.started = dt.datetime.now().replace(microsecond=0) - dt.timedelta(seconds=1)
        self.updates = _wall_clock_updates()
        self.one_round_trip = isinstance(models.db.obj, PostgresqlDatabase)

    # --- the calendar ---------------------------------------------------------------------------------

    def at(self, moment, step, *args):
        heapq.heappush(self.events, (moment, next(self.sequence), step, args))

    def play(self):
        self.at(dt.datetime(2019, 3, 1, 10, 0), self._accounts)
        for key, entries in BANKS.items():
            for entry in entries:
                self.at(_moment(entry[5], 10), self._submit_bank_details, key, entry)
        for k, line in enumerate(DOSSIERS, start=1):
            self.at(_moment(self._deposit_date(line), 9, 30), self._deposit, k, line)
        month = D(2019, 9, PAYMENT_DAY)
        while month <= self.today:
            self.at(_moment(month, 8), self._payment_run)
            month = (month + dt.timedelta(days=32)).replace(day=PAYMENT_DAY)
        self.at(dt.datetime(2024, 1, 2, 10, 30), self._delegation)
        self.at(_moment(MASS_INVOICE["day"], 11), self._mass_invoice)
        for name, (kind, day, detail) in WAITING_REQUESTS.items():
            self.at(_moment(day, 14), self._waiting_request, name, kind, detail)
        self.at(DRAFT_SAVED_AT, self._save_draft)
        while self.events:
            moment, _, step, args = heapq.heappop(self.events)
            if moment.date() > self.today:
                continue  # a step the calendar has not reached yet
            if step(moment, *args) is not False:
                self._stamp(moment)
        return self._finish()

    def _stamp(self, moment):
        """Date what the step just wrote at the step's moment (the services write the wall-clock time)."""
        if self.one_round_trip:  # psycopg2 runs several statements in one call
            params = [p for _, columns in self.updates for p in self._stamp_params(moment, columns)]
            models.db.execute_sql("; ".join(sql for sql, _ in self.updates), params)
            return
        for sql, columns in self.updates:
            models.db.execute_sql(sql, self._stamp_params(moment, columns))

    def _stamp_params(self, moment, columns):
        return [self.started, moment] * columns + [self.started] * columns

    def _finish(self):
        credit_notes.mark_overdue_credit_notes(today=self.today)
        Notification.update(read_at=NOTIFICATIONS_READ_ON).where(
            (Notification.created_at < NOTIFICATIONS_READ_ON) & Notification.read_at.is_null()).execute()
        counts = dict(users=User.select().count(), organisations=len(self.orgs), employers=len(self.employers),
                      dossiers=Dossier.select().count(), invoices=Invoice.select().count(),
                      payments=models.Payment.select().count(), credit_notes=CreditNote.select().count())
        AuditEntry.create(actor="système", entity="demo", entity_id="-", action="chargement", after=counts,
                          note="Données de démonstration chargées")
        return counts

    @staticmethod
    def _check(outcome):
        if not outcome.ok:
            raise DemoStepFailed(outcome.line)

    # --- referentials, accounts, bank details, delegation ---------------------------------------------

    def _accounts(self, moment):
        for rncp, training, certifier, diploma, cpne, cpne_label, npec, status, since in NPEC_ROWS:
            NpecReference.create(rncp_code=rncp, cpne_code=cpne, cpne_label=cpne_label, training_label=training,
                                 diploma_label=diploma, certifier=certifier, npec=Decimal(npec), status=status,
                                 applicable_from=since)
        for idcc, label, cpne, cpne_label in IDCC_ROWS:
            IdccCpne.create(idcc=idcc, idcc_label=label, cpne_code=cpne, cpne_label=cpne_label)
        for email, role, first, last in STAFF:
            self._user(email, first, last, kind="staff", staff_role=role)
        for key, (name, suite, street, postal, city, dept, siren, uai, phone, mode, contact) in ORGANISATIONS.items():
            civility, last, first, function = contact
            slug = name.lower().replace(" ", "-")
            self.orgs[key] = Organisation.create(
                siret=make_siret(siren), name=name, name_suite=suite, street=street, postal_code=postal, city=city,
                phone=phone, email=f"contact@{slug}.test", uai=make_uai(uai), da_number=f"{dept}{siren:09d}"[:11],
                is_cfa=True, zone=f"Région de {city}", opco_reference=f"OF-{dept}-{siren % 10_000:04d}",
                contact_civility=civility, contact_last_name=last, contact_first_name=first,
                contact_function=function, contact_phone=phone, contact_email=f"direction@{slug}.test",
                status="active", credit_note_mode=mode)
        for key, (name, street, postal, city, naf, idcc, agreement, headcount, siren, user) in EMPLOYERS.items():
            slug = name.lower().replace(" ", "-")
            self.employers[key] = Employer.create(
                siret=make_siret(siren), name=name, street=street, postal_code=postal, city=city, naf=naf, idcc=idcc,
                collective_agreement=agreement, headcount=headcount, email=f"contact@{slug}.test")
            if user:
                email, first, last = user
                self._user(email, first, last, kind="employer", employer=self.employers[key])
        for email, org, role, rights, first, last in CFA_USERS:
            user = self._user(email, first, last, kind="cfa")
            granted = {name for name, _ in RIGHTS} if rights is None else set(rights)
            Membership.create(user=user, organisation=self.orgs[org], role=role,
                              **{name: name in granted for name, _ in RIGHTS})

    def _user(self, email, first, last, **kw):
        user = User.create(email=email, password_hash=self.password_hash, first_name=first, last_name=last,
                           email_confirmed_at=dt.datetime.now(), **kw)
        self.users[email] = user
        return user

    def _admin_of(self, org_id):
        for email, key, role, *_ in CFA_USERS:
            if role == "admin_of" and self.orgs[key].id == org_id:
                return self.users[email]
        raise KeyError(org_id)

    def _submit_bank_details(self, moment, key, entry):
        """The CFA enters its RIB with the PDF; a comptable reviews it three days later."""
        bank, branch, account, bic, status, entered, reason = entry
        org = self.orgs[key]
        iban = make_iban(bank, branch, account)
        rib = FileStorage(stream=io.BytesIO(pdf_of("Relevé d'identité bancaire", org.name, iban, bic)),
                          filename=f"RIB {org.name}.pdf")
        details = bank_details.submit(org, iban, bic, org.name, user=self._admin_of(org.id), rib_upload=rib)
        if status != "pending":
            self.at(_moment(entered + dt.timedelta(days=3), 15), self._review_bank_details, details, status, reason)

    def _review_bank_details(self, moment, details, status, reason):
        comptable = self.users["comptable@opco.test"]
        if status == "approved":
            bank_details.approve(details, comptable)
        else:
            bank_details.refuse(details, reason, comptable)

    def _delegation(self, moment):
        """CFA Sud asks, from its portal, to manage CFA Ouest's contracts; the OPCO approves half an hour later."""
        sud, ouest = self.orgs["sud"], self.orgs["ouest"]
        actor = delegations.Actor(self.users["admin@cfa-sud.test"], sud.id, admin_of=True)
        request = delegations.request(sud, ouest.siret, ouest.name, actor)
        self.at(moment + dt.timedelta(minutes=30), self._approve_delegation, request)

    def _approve_delegation(self, moment, request):
        delegations.approve(request, delegations.Actor(self.users["admin@opco.test"]))

    # --- dossiers -------------------------------------------------------------------------------------

    @staticmethod
    def _deposit_date(line):
        conclusion, start, _ = line[5]
        return max(conclusion + dt.timedelta(days=4), start - dt.timedelta(days=20))

    def _npec(self, diploma_key, employer, conclusion):
        """NPEC the CFA declares: the referential's edition applicable at conclusion (or the oldest)."""
        rncp = DIPLOMAS[diploma_key][2]
        cpne = CPNE_OF_IDCC[employer.idcc]
        rows = sorted((since, Decimal(npec)) for r, _, _, _, c, _, npec, _, since in NPEC_ROWS
                      if r == rncp and c == cpne)
        applicable = [npec for since, npec in rows if since <= conclusion]
        return applicable[-1] if applicable else rows[0][1]

    def _deposit(self, moment, k, line):
        """The contract arrives (`recu`), as the API or an accepted proposal deposits it; then its story is set."""
        org_key, emp_key, diploma_key, person, state, dates, options = line
        org, employer = self.orgs[org_key], self.employers[emp_key]
        last, first, sex, birth = person
        conclusion, start, end = dates
        name, suite, street, postal, city, dept = ORGANISATIONS[org_key][:6]
        apprentice = Apprentice.create(
            birth_name=last, first_name=first, birth_date=birth, sex=sex, rqth=bool(options.get("rqth")),
            nir=make_nir("1" if sex == "M" else "2", birth.year, birth.month, dept, 311 * k),
            birth_department=dept, birth_city=city, street=f"{10 + k} rue des Écoles", postal_code=postal,
            city=city, phone=f"06 {12 + k:02d} {(34 * k) % 100:02d} {(56 + k) % 100:02d} {(78 * k) % 100:02d}",
            email=f"{_ascii(first)}.{_ascii(last)}@exemple.test",
            legal_representative=f"Représentant légal : M. ou Mme {last}" if (start - birth).days < 18 * 365 else "")
        title, code, rncp, level, job, hours = DIPLOMAS[diploma_key]
        deposit = moment.date()
        npec = Decimal(options["npec"]) if "npec" in options else self._npec(diploma_key, employer, conclusion)
        years = max(1, round((end - start).days / 365))
        dossier = Dossier.create(
            number=f"20{deposit.year % 100:02d}{(k * 7919 + 130365) % 1_000_000:06d}",
            deca_number=f"0{dept}{deposit:%Y%m}{k * 37:06d}", scheme="apprentissage", state="recu",
            organisation=org, employer=employer, apprentice=apprentice, apprentice_name=f"{last} {first}",
            subrogated=True, is_stock=bool(options.get("stock")), diploma_title=title, diploma_code=code,
            rncp_code=rncp, level=level, training_start=start, training_end=end, training_hours=hours * years,
            distance_percent=options.get("distance", 0), contract_type="Contrat initial",
            conclusion_date=conclusion, contract_start=start, contract_end=end, job_title=job, npec=npec,
            disability_uplift=Decimal("1500.00") if options.get("rqth") else Decimal("0"),
            teaching_cost=npec + (Decimal("600") if k % 3 == 0 else 0), cap_nights=60 if k % 2 else 0,
            cap_meals=250, cap_first_equipment=Decimal("500.00") if level <= 4 else Decimal("0"),
            deposit_date=deposit)
        audit.record("dossier", dossier.id, "depot", None, dossier, user=self._admin_of(org.id),
                     note=f"Contrat de {dossier.apprentice_name} déposé")
        self.dossiers[dossier.apprentice_name] = (dossier.id, state, options)
        self._plan_dossier(dossier, state, options, deposit)

    def _plan_dossier(self, dossier, state, options, deposit):
        """The advisor's actions that bring the dossier to its state, each on its own day."""
        def act(days, action, params=None):
            self.at(_moment(deposit + dt.timedelta(days=days), 10), self._act, dossier.id, action, params)

        if state == "recu":
            return
        if state == "supprime":
            act(5, "supprimer")
            return
        act(6, "instruire")
        if state == "en_attente":
            act(7, "demander_pieces", dossier_workflow.Params(pieces=options["missing"].split(" ; ")))
        elif state == "refuse":
            act(14, "refuser", dossier_workflow.Params(reason=options["refusal"]))
        elif state == "annule":
            act(10, "annuler")
        elif state in ("engage", "solde"):
            act(14, "engager")

    def _act(self, moment, dossier_id, action, params=None):
        advisor = self.users["conseiller@opco.test"]
        self._check(dossier_workflow.perform(action, dossier_id, advisor, params or dossier_workflow.Params(),
                                             today=moment.date()))
        if action == "engager":
            self._plan_invoices(Dossier.get_by_id(dossier_id))

    # --- invoices -------------------------------------------------------------------------------------

    def _plan_invoices(self, dossier):
        """One reimbursement request per installment, as the dossier's line says; a solde dossier is all paid."""
        _, state, options = self.dossiers[dossier.apprentice_name]
        installments = list(Installment.select().where(Installment.dossier == dossier.id)
                            .order_by(Installment.number))
        rupture = options.get("rupture")
        if state == "solde":
            limit = rupture[0] if rupture else dossier.contract_end
            targets = ["payee" for i in installments if i.billable_from <= limit]
        else:
            targets = options.get("invoices", [])
        last = dossier.agreement_date
        for installment, target in zip(installments, targets):
            submitted = max(installment.billable_from, dossier.agreement_date) + dt.timedelta(days=9)
            if target in RECENT:  # what is still in progress was sent lately
                submitted = max(submitted, RECENT[target] + dt.timedelta(days=len(self.plans) % 5))
            plan = dict(dossier=dossier.id, installment=installment.id, target=target, submitted=submitted,
                        annex=bool(options.get("annex")) and installment.number == 1, invoice=None)
            self.plans.append(plan)
            self.at(_moment(submitted, 10, 15), self._submit_request, plan)
            last = max(last, submitted)
        if rupture:
            date, declared, reason = rupture
            self.at(_moment(declared, 11), self._declare_rupture, dossier.id, date, reason)
            self.at(_moment(declared + dt.timedelta(days=1), 16), self._confirm_rupture, dossier.id)
            self.at(_moment(declared + dt.timedelta(days=7), 10), self._act, dossier.id, "solder")
        elif state == "solde":
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
        if plan["target"] != "en_traitement":
            self.at(_moment(day + dt.timedelta(days=12), 16), self._decide, plan)

    def _decide(self, moment, plan):
        comptable = self.users["comptable@opco.test"]
        invoice = Invoice.get_by_id(plan["invoice"])
        if plan["target"] == "en_attente":
            invoice_workflow.put_on_hold(invoice, HOLD_REASON, comptable)
        elif plan["target"] == "rejetee":
            invoice_workflow.reject(invoice, REJECTION_REASON, comptable)
        else:
            invoice_workflow.validate(invoice, comptable)
            plan["validated"] = moment.date()

    def _payment_run(self, moment):
        """One transfer per organisation to its approved RIB, for the invoices validated before the run."""
        due = {}
        for plan in self.plans:
            if plan["target"] == "payee" and plan.get("validated") and plan["validated"] < moment.date() \
                    and not plan.get("paid"):
                due.setdefault(plan["organisation"], []).append(plan)
        if not due:
            return False
        for org_id, plans in sorted(due.items()):
            payments.record_payment(Organisation.get_by_id(org_id), [p["invoice"] for p in plans],
                                    f"demo-{org_id}-{moment:%Y-%m}", user=self.users["comptable@opco.test"],
                                    date=moment.date())
            for plan in plans:
                plan["paid"] = True

    def _mass_invoice(self, moment):
        """CFA Sud bills the first advance of two delegated CFA Ouest contracts in one mass invoice."""
        day = moment.date()
        sud = self.orgs["sud"]
        user = self.users["admin@cfa-sud.test"]
        ids = [self.dossiers[name][0] for name in MASS_INVOICE["dossiers"]]
        draft = mass_invoicing.save_step1(None, sud, ["teaching"], ids, self._billable_ids(sud, day), user,
                                          require_complete=True)
        choices = mass_invoicing.step2_choices(draft, day)
        for choice in choices:
            choice.installment_ids = [row.id for row in choice.open_installments[:1]]
        mass_invoicing.save_step2(draft, choices, 3)
        reference = MASS_INVOICE["reference"]
        mass_invoicing.save_step3(draft, reference, day - dt.timedelta(days=1))
        pdf = (f"{reference}.pdf", pdf_of(f"Facture {reference}", sud.name, "Facturation en masse"))
        invoice = mass_invoicing.send(draft, reference, day - dt.timedelta(days=1), pdf, user, today=day)
        plan = dict(dossier=None, installment=None, target=MASS_INVOICE["state"], submitted=day, annex=False,
                    invoice=None)
        self.plans.append(plan)
        self._decide_later(plan, invoice, day)

    def _billable_ids(self, org, day):
        """The dossiers the portal offers the organisation to bill on `day` (its own and its delegators')."""
        scope = Dossier.select().where(Dossier.organisation.in_(sorted(delegations.billing_organisation_ids(org.id))))
        return {d.id for d, _ in mass_invoicing.billable_dossiers(scope, day)}

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
        billable = self._billable_ids(org, day)
        invoiced = {line.dossier_id for line in models.InvoiceLine.select(models.InvoiceLine.dossier)}
        chosen = sorted(i for i in billable if i not in invoiced)
        user = self._admin_of(org.id)
        draft = mass_invoicing.save_step1(None, org, ["teaching"], chosen, billable, user, require_complete=True)
        choices = mass_invoicing.step2_choices(draft, day)
        for choice in choices:
            choice.installment_ids = [row.id for row in choice.open_installments[:1]]
        mass_invoicing.save_step2(draft, choices, 2)


def _ascii(text):
    import unicodedata
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "-").replace("'", "")


def register_demo_cli(app):
    """Register `demo` and `generate` on the Flask CLI."""
    import click

    from commands.generate import register_generate_cli

    @app.cli.command("demo")
    def demo_command():
        """Load the demo data (refuses politely when it is already there)."""
        models.create_schema()
        try:
            counts = load_demo()
        except DemoAlreadyLoaded:
            click.echo("Les données de démonstration sont déjà chargées : rien n'a été ajouté.")
            return
        click.echo(f"Données de démonstration chargées : {counts['dossiers']} dossiers, {counts['invoices']} "
                   f"factures, {counts['payments']} règlements, {counts['credit_notes']} avoir(s).")
        click.echo(f"Comptes (mot de passe {DEMO_PASSWORD}) : "
                   + ", ".join([e for e, *_ in STAFF] + [e for e, *_ in CFA_USERS]
                               + [v[9][0] for v in EMPLOYERS.values() if v[9]]))

    register_generate_cli(app)
