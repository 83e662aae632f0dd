"""Demo data (`flask --app app demo`), loaded by `make run` on an empty database (SPEC §9).

Every demo record is one a user could have produced: the contracts of commands/demo_data.py are
deposited, then their story is played day by day through the workflows the screens call —
workflows.dossier_workflow for the advisor's actions (schedule and letters), workflows.reimbursement and
workflows.mass_invoicing for the CFA's requests (receipts), workflows.invoice_workflow for the comptable's
decisions, workflows.payments, workflows.ruptures (and the credit note it issues), workflows.bank_details,
workflows.delegations and workflows.amendments. Each step runs on the day it is dated (`today=`/`date=`
where the service takes one); the timestamps a service takes from the wall clock are then moved back to
that moment — date columns only, never a state or an amount. The whole load is one transaction: it adds
the complete demo or nothing, and `flask --app app check` finds nothing on it.
"""
import datetime as dt
import io
from decimal import Decimal

from werkzeug.datastructures import FileStorage

import models
from access.scope import scope_for_user
from models.states import BankDetailsStatus, DossierState, OrganisationStatus
from commands.demo_billing import BillingSteps
from commands.demo_proposals import ProposalSteps
from commands.demo_data import (BANKS, CFA_USERS, CPNE_OF_IDCC, DIPLOMAS, DOSSIERS, EMPLOYERS, IDCC_ROWS, NPEC_ROWS,
                                ORGANISATIONS, STAFF)
from commands.demo_registrations import add_registrations
from commands.demo_story import Calendar, DemoStepFailed, moment as _moment, pdf_of
from commands.generate import DEMO_PASSWORD, make_iban, make_nir, make_siret, make_uai
from models import (Apprentice, AuditEntry, CreditNote, Dossier, DossierCounter, Employer, IdccCpne, Invoice,
                    Membership, Notification, NpecReference, Organisation, User)
from models.settings import seed_helpdesk_contact
from models.user import RIGHTS
from workflows import audit, bank_details, credit_notes, delegations, dossier_workflow, news
from infrastructure import clock
from infrastructure.numbering import immediate_transaction
from infrastructure.passwords import hash_password

__all__ = ["DEMO_PASSWORD", "DemoAlreadyLoaded", "DemoStepFailed", "demo_present", "load_demo", "register_demo_cli"]

NOTIFICATIONS_READ_ON = dt.datetime(2026, 10, 1, 9, 0)  # what came before, the CFAs have read


class DemoAlreadyLoaded(Exception):
    """The demo (or part of it) is already in the database."""


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
        return DemoStory(password_hash, today or clock.today()).play()


class DemoStory(BillingSteps, ProposalSteps, Calendar):
    def __init__(self, password_hash, today):
        super().__init__(today)
        self.password_hash = password_hash
        self.orgs, self.employers, self.users = {}, {}, {}
        self.dossiers = {}  # apprentice name -> (dossier id, target state, options)
        self.plans = []  # one dict per invoice the story submits

    def play(self):
        seed_helpdesk_contact()  # what a new database starts with (a test database may lack it)
        self.at(dt.datetime(2019, 3, 1, 10, 0), self._accounts)
        for key, entries in BANKS.items():
            for entry in entries:
                self.at(_moment(entry[5], 10), self._submit_bank_details, key, entry)
        for k, line in enumerate(DOSSIERS, start=1):
            self.at(_moment(self._deposit_date(line), 9, 30), self._deposit, k, line)
        self.at(dt.datetime(2024, 1, 2, 10, 30), self._delegation)
        self.at(dt.datetime(2026, 9, 14, 16, 0), self._registrations)
        self.at(dt.datetime(2026, 11, 16, 9, 0), self._news)
        self.plan_billing()
        self.plan_proposals()
        self.run()
        return self._finish()

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

    def _news(self, moment):
        """Two OPCO news (after NOTIFICATIONS_READ_ON: unread on the dashboards), published as the staff admin."""
        admin = self.users["admin@opco.test"]
        news.publish_news(admin, "L'aide du portail s'enrichit",
                          "Le pied de chaque page donne désormais le contact du centre de relation client, le guide "
                          "utilisateur et le glossaire des états des dossiers, factures et avoirs.", all_cfas=True)
        news.publish_news(admin, "Soldes des contrats terminés en 2026",
                          "Pensez à déclarer le certificat de réalisation des contrats terminés cette année depuis "
                          "« Dossiers échus » : le solde ne peut être réglé sans lui.",
                          sirets="\n".join(self.orgs[key].siret for key in ("sud", "ouest")))

    def _registrations(self, moment):
        add_registrations(DEMO_PASSWORD, moment)

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
                status=OrganisationStatus.ACTIVE, credit_note_mode=mode)
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
        if status != BankDetailsStatus.PENDING:
            self.at(_moment(entered + dt.timedelta(days=3), 15), self._review_bank_details, details, status, reason)

    def _review_bank_details(self, moment, details, status, reason):
        comptable = self.users["comptable@opco.test"]
        if status == BankDetailsStatus.APPROVED:
            bank_details.approve(details, comptable)
        else:
            bank_details.refuse(details, reason, comptable)

    def _delegation(self, moment):
        """CFA Sud asks, from its portal, to manage CFA Ouest's contracts; the OPCO approves half an hour later."""
        sud, ouest = self.orgs["sud"], self.orgs["ouest"]
        actor = scope_for_user(self.users["admin@cfa-sud.test"], sud.id)
        request = delegations.request(sud, ouest.siret, ouest.name, actor)
        self.at(moment + dt.timedelta(minutes=30), self._approve_delegation, request)

    def _approve_delegation(self, moment, request):
        delegations.approve(request, self.users["admin@opco.test"])

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
            deca_number=f"0{dept}{deposit:%Y%m}{k * 37:06d}", scheme="apprentissage", state=DossierState.RECEIVED,
            organisation=org, employer=employer, apprentice=apprentice, apprentice_name=f"{last} {first}",
            subrogated=True, is_stock=bool(options.get("stock")), diploma_title=title, diploma_code=code,
            rncp_code=rncp, level=level, training_start=start, training_end=end, training_hours=hours * years,
            distance_percent=options.get("distance", 0), contract_type="Contrat initial",
            conclusion_date=conclusion, contract_start=start, contract_end=end, job_title=job, npec=npec,
            disability_uplift=Decimal("1500.00") if options.get("rqth") else Decimal("0"),
            teaching_cost=npec + (Decimal("600") if k % 3 == 0 else 0), cap_nights=60 if k % 2 else 0,
            cap_meals=250, cap_first_equipment=Decimal("500.00") if level <= 4 else Decimal("0"),
            deposit_date=deposit)
        DossierCounter.created(dossier)
        audit.record("dossier", dossier.id, "deposit", None, dossier, user=self._admin_of(org.id),
                     note=f"Contrat de {dossier.apprentice_name} déposé")
        self.dossiers[dossier.apprentice_name] = (dossier.id, state, options)
        self._plan_dossier(dossier, state, options, deposit)

    def _plan_dossier(self, dossier, state, options, deposit):
        """The advisor's actions that bring the dossier to its state, each on its own day."""
        def act(days, action, params=None):
            self.at(_moment(deposit + dt.timedelta(days=days), 10), self._act, dossier.id, action, params)

        if state == DossierState.RECEIVED:
            return
        if state == DossierState.DELETED:
            act(5, "supprimer")
            return
        act(6, "instruire")
        if state == DossierState.AWAITING_DOCUMENTS:
            act(7, "demander_pieces", dossier_workflow.Params(pieces=options["missing"].split(" ; ")))
        elif state == DossierState.REFUSED:
            act(14, "refuser", dossier_workflow.Params(reason=options["refusal"]))
        elif state == DossierState.CANCELLED:
            act(10, "annuler")
        elif state in (DossierState.ENGAGED, DossierState.SETTLED):
            act(14, "engager")

    def _act(self, moment, dossier_id, action, params=None):
        advisor = self.users["conseiller@opco.test"]
        self.check(dossier_workflow.perform(action, dossier_id, advisor, params or dossier_workflow.Params(),
                                             today=moment.date()))
        if action == "engager":
            self._plan_invoices(Dossier.get_by_id(dossier_id))


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
