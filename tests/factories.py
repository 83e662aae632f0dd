"""Data factories with full defaults: `factory.dossier(state="engage")`, etc.

Identifiers are generated valid (SIRET Luhn, NIR key, UAI letter) so forms accept them.
"""
import datetime as dt
import itertools
from decimal import Decimal

import models
from services.passwords import hash_password

PASSWORD = "Portail-Demo-2026"
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
        return models.Dossier.create(**defaults)
