"""The one set of record builders, each with full defaults: `factory.dossier(state="engage")`,
`factory.engaged_dossier(org)`, `factory.invoice(org, dossier, state="validee")`, `make_pdf()`, etc.

Identifiers are generated valid (SIRET Luhn, NIR key, UAI letter) so forms accept them.
"""
import datetime as dt
import io
import itertools
from decimal import Decimal

import models
import rules
from infrastructure.passwords import hash_password

PASSWORD = "Portail-Demo-2026"
IBAN = "FR7630006000011234567890189"
OTHER_IBAN = "FR7630004000031234567890143"
BIC = "BNPAFRPPXXX"
_HASH = None
_seq = itertools.count(1)


def password_hash():
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def luhn_complete(digits):
    """Append the Luhn check digit to `digits`."""
    for check in range(10):
        candidate = f"{digits}{check}"
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            d = int(ch)
            if i % 2 == 1:
                d *= 2
                if d > 9:
                    d -= 9
            total += d
        if total % 10 == 0:
            return candidate
    raise AssertionError


def make_siret(n):
    siren = luhn_complete(f"{(100000000 + n * 7919) % 100000000:08d}")
    return luhn_complete(f"{siren}{n % 10000:04d}")


def make_nir(n, sex="1", year=2004, month=5):
    body = f"{sex}{year % 100:02d}{month:02d}75{(100 + n) % 1000:03d}{(n * 37) % 1000:03d}"
    key = 97 - int(body) % 97
    return f"{body}{key:02d}"


def make_uai(n):
    first = f"{(750000 + n) % 10000000:07d}"
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return first + letters[int(first) % 23]


def contract(**overrides):
    """The rules' contract of `Factory.dossier()`'s defaults, written out here (not read back from a row
    through workflows.dossier_rules): tests compare what the app stored with rules/ run on these literals."""
    fields = dict(conclusion=dt.date(2025, 8, 20), start=dt.date(2025, 9, 1), end=dt.date(2027, 8, 31),
                  npec=Decimal("7000.00"), stock=False, disability_uplift=Decimal("0"), reduced_duration=False,
                  distance_share=Decimal("0"), level=5)
    fields.update(overrides)
    return rules.Contract(**fields)


def make_pdf(text="Document de test", pages=1) -> bytes:
    """A small valid PDF (pypdf can parse it) without any external tool."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_file(name="piece.pdf"):
    """A PDF as a form upload: `data={"file": pdf_file()}`."""
    return (io.BytesIO(make_pdf()), name)


def comptable():
    """The OPCO comptable who decides the builders' invoices and records their payments."""
    user, _ = models.User.get_or_create(email="comptable.helpers@opco.test",
                                        defaults=dict(kind="staff", staff_role="comptable", first_name="Claude",
                                                      last_name="Compta"))
    return user


def make_invoice(organisation, dossier, amount="1000.00", state="en_traitement", lines=None):
    """An invoice created the way the portal creates one, then moved to `state` through the workflow."""
    from workflows import invoice_workflow as workflow

    lines = lines or [dict(dossier=dossier, nature="teaching", quantity=1, amount=Decimal(amount))]
    inv = workflow.create_invoice(organisation, lines, dossier=dossier)
    if state in ("validee", "payee"):
        inv = workflow.validate(inv, comptable())
    if state == "payee":
        workflow.pay(inv, comptable(), "VIR-TEST")
    elif state == "en_attente":
        inv = workflow.put_on_hold(inv, "Certificat de réalisation manquant.", comptable())
    elif state == "rejetee":
        inv = workflow.reject(inv, "Période hors contrat.", comptable())
    return models.Invoice.get_by_id(inv.id)


class Factory:
    def seq(self):
        return next(_seq)

    def organisation(self, **kw):
        n = self.seq()
        defaults = dict(siret=make_siret(n), name=f"CFA Test {n}", city="Lyon", postal_code="69001",
                        uai=make_uai(n), status="active", email=f"cfa{n}@test.fr")
        defaults.update(kw)
        return models.Organisation.create(**defaults)

    def employer(self, **kw):
        n = self.seq()
        defaults = dict(siret=make_siret(5000 + n), name=f"Entreprise {n}", city="Lyon", idcc="1090", naf="4520A")
        defaults.update(kw)
        return models.Employer.create(**defaults)

    def staff(self, role="conseiller", **kw):
        n = self.seq()
        defaults = dict(email=f"{role}{n}@opco.test", password_hash=password_hash(), kind="staff", staff_role=role,
                        first_name="Agent", last_name=f"Opco{n}")
        defaults.update(kw)
        return models.User.create(**defaults)

    def cfa_user(self, organisation=None, role="admin_of", rights=None, **kw):
        n = self.seq()
        organisation = organisation or self.organisation()
        defaults = dict(email=f"user{n}@cfa.test", password_hash=password_hash(), kind="cfa", first_name="Camille",
                        last_name=f"Martin{n}")
        defaults.update(kw)
        user = models.User.create(**defaults)
        rights = rights if rights is not None else [name for name, _ in models.user.RIGHTS]
        models.Membership.create(user=user, organisation=organisation, role=role,
                                 **{name: name in rights for name, _ in models.user.RIGHTS})
        return user

    def employer_user(self, employer=None, **kw):
        n = self.seq()
        employer = employer or self.employer()
        defaults = dict(email=f"rh{n}@entreprise.test", password_hash=password_hash(), kind="employer",
                        employer=employer, first_name="Claire", last_name=f"Rh{n}")
        defaults.update(kw)
        return models.User.create(**defaults)

    def apprentice(self, **kw):
        n = self.seq()
        defaults = dict(birth_name=f"DUPONT{n}", first_name="Léa", birth_date=dt.date(2004, 5, 12),
                        nir=make_nir(n, sex="2"), sex="F")
        defaults.update(kw)
        return models.Apprentice.create(**defaults)

    def dossier(self, organisation=None, employer=None, apprentice=None, **kw):
        n = self.seq()
        organisation = organisation or self.organisation()
        employer = employer or self.employer()
        apprentice = apprentice or self.apprentice()
        defaults = dict(
            number=f"{2026000000 + n}", deca_number=f"DECA{n:08d}", organisation=organisation, employer=employer,
            apprentice=apprentice, apprentice_name=f"{apprentice.birth_name.upper()} {apprentice.first_name}",
            state="recu", scheme="apprentissage", diploma_title="BTS Management commercial opérationnel",
            diploma_code="32031213", rncp_code="RNCP35320", level=5,
            conclusion_date=dt.date(2025, 8, 20), contract_start=dt.date(2025, 9, 1),
            contract_end=dt.date(2027, 8, 31), training_start=dt.date(2025, 9, 1), training_end=dt.date(2027, 6, 30),
            npec=Decimal("7000.00"), deposit_date=dt.date(2025, 9, 5), complete_date=dt.date(2025, 9, 5),
            cap_nights=100, cap_meals=300, cap_first_equipment=Decimal("500.00"), cap_mobility=Decimal("0.00"),
            teaching_cost=Decimal("7500.00"),
        )
        defaults.update(kw)
        dossier = models.Dossier.create(**defaults)
        models.DossierCounter.created(dossier)
        return dossier

    def engaged_dossier(self, organisation=None, **kw):
        """A dossier agreed by the OPCO: regime, financing and schedule computed by rules/ and stored."""
        from workflows.dossier_rules import contract_from_dossier, store_schedule

        kw.setdefault("state", "engage")
        kw.setdefault("agreement_date", dt.date(2025, 9, 10))
        dossier = self.dossier(organisation=organisation, **kw)
        financing = rules.compute_financing(contract_from_dossier(dossier))
        dossier.regime = financing.regime
        dossier.total_financed = financing.total
        dossier.employer_share = financing.employer_share
        dossier.save()
        store_schedule(dossier, financing)
        return models.Dossier.get_by_id(dossier.id)

    invoice = staticmethod(make_invoice)

    def approved_bank(self, organisation, iban=IBAN):
        """Bank details entered by the CFA and approved by a comptable."""
        from workflows import bank_details as bank_service

        details = models.BankDetails.create(organisation=organisation, iban=iban, bic=BIC, holder=organisation.name)
        return bank_service.approve(details, self.staff("comptable"))

    def billing_user(self, organisation, rights=None, role="gestionnaire_of"):
        """A gestionnaire with the contracts and contracts-billing rights (or `rights`)."""
        rights = rights if rights is not None else ["right_contracts", "right_contracts_billing"]
        return self.cfa_user(organisation=organisation, role=role, rights=rights)
