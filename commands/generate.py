"""Large data set for benchmarks: `flask --app app generate --dossiers 1000000` (SPEC §9).

Speed comes from three things: rows are plain tuples in database form loaded by the driver itself
(`executemany` on SQLite, `COPY` on PostgreSQL), 20,000 dossiers share one transaction, and ids are
allocated by us (max id + 1) so dossiers can point at their apprentices without reading anything back. Contracts
are drawn from a few thousand templates whose financing is computed once by `rules/`, so amounts
and schedules stay the rules' own even for a million dossiers.
"""
import datetime as dt
import random
import time
from contextlib import contextmanager
from decimal import Decimal

from peewee import fn

import rules
from rules.double_funding import name_key
from models.states import DossierState as D, InstallmentStatus, OrganisationStatus
from models import Apprentice, Dossier, DossierCounter, Employer, Installment, Organisation, db, is_postgres, now
from models.counters import DIMENSIONS
from rules.double_funding import identity_key

from commands.generate_data import (  # noqa: F401  (re-exported: the demo and the benches use them)
    APPRENTICE_FIELDS, CITIES, DEMO_PASSWORD, DIPLOMAS, DOSSIERS_PER_EMPLOYER, DOSSIERS_PER_ORGANISATION,
    DOSSIERS_PER_TRANSACTION, DOSSIER_FIELDS, EMPLOYER_KINDS, FINANCED_STATES, FIRST_NAMES_F, FIRST_NAMES_M,
    INSTALLMENT_FIELDS, LAST_NAMES, SCHEMES, STATES, TEMPLATE_COUNT, make_iban, make_nir, make_siret, make_uai)


class GenerationError(Exception):
    """A generation request that cannot be honoured (French message for the CLI)."""



def _insert(model, fields, rows):
    """Insert rows already in database form (cents, ISO dates, booleans).

    peewee's `insert_many` builds the SQL text value by value, which was 90 % of the time at a million
    rows; SQLite's `executemany` loops over one prepared statement in C, PostgreSQL's COPY streams.
    """
    if not rows:
        return
    assert len(rows[0]) == len(fields), f"{model.__name__}: {len(rows[0])} values for {len(fields)} columns"
    extra_fields, extra = _defaults(model, fields)
    if extra:
        fields = list(fields) + extra_fields
        rows = [row + extra for row in rows]
    table = model._meta.table_name
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    cursor = db.cursor()
    if is_postgres():
        cursor.copy_expert(f'COPY "{table}" ({columns}) FROM STDIN', _copy_text(rows))
    else:
        marks = ", ".join("?" * len(fields))
        cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', rows)


_COUNTED = [(name, next(i for i, field in enumerate(DOSSIER_FIELDS)  # `is`: a field's == builds SQL
                        if field is getattr(Dossier, "organisation" if name == "organisation_id" else name)))
            for name in DIMENSIONS]


def _count(dossiers):
    """Add the dossier rows just inserted to the dashboard counters (same transaction, one UPSERT)."""
    DossierCounter.created(*({name: row[i] for name, i in _COUNTED} for row in dossiers))


def _copy_value(value):
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return str(value)


def _copy_text(rows):
    """Rows in PostgreSQL's COPY text format (tab-separated, \\N for NULL), which loads far faster than INSERT."""
    import io
    return io.StringIO("".join("\t".join(map(_copy_value, row)) + "\n" for row in rows))


def _defaults(model, fields):
    """Columns left out of `fields` that have a default: their value, once, in database form."""
    given = {field.name for field in fields}
    extra_fields, values = [], []
    for field in model._meta.sorted_fields:
        if field.name in given or field.primary_key or field.default is None:
            continue
        value = field.default() if callable(field.default) else field.default
        value = field.db_value(value)
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat(" ") if isinstance(value, dt.datetime) else value.isoformat()
        extra_fields.append(field)
        values.append(value)
    return extra_fields, tuple(values)


def _next_id(model):
    return (model.select(fn.MAX(model.id)).scalar() or 0) + 1


def _reset_sequences(models_):
    """Explicit ids leave PostgreSQL sequences behind: move them past the new rows."""
    if not is_postgres():
        return
    for model in models_:
        table = model._meta.table_name
        db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"(SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))")


@contextmanager
def _fast_load():
    """During a bulk load commits need not wait for the disk; durability is restored afterwards."""
    on, off = (("SET synchronous_commit TO OFF", "RESET synchronous_commit") if is_postgres()
               else ("PRAGMA synchronous = OFF", "PRAGMA synchronous = NORMAL"))
    db.execute_sql(on)
    try:
        yield
    finally:
        db.execute_sql(off)


def _weighted(rng, choices, count):
    values = [value for value, _ in choices]
    weights = [weight for _, weight in choices]
    return rng.choices(values, weights=weights, k=count)


def contract_templates(rng, count=TEMPLATE_COUNT):
    """Varied contracts over the four regimes, each with its financing computed once by rules/."""
    templates = []
    for i in range(count):
        title, code, rncp, level, npec, job = DIPLOMAS[i % len(DIPLOMAS)]
        bucket = i % 10
        if bucket == 0:  # stock: concluded before 31/08/2019 under a regional convention
            conclusion = dt.date(2018, 6, 1) + dt.timedelta(days=rng.randrange(0, 450))
            stock = True
        elif bucket in (1, 2):  # 2019 regime
            conclusion = dt.date(2019, 9, 1) + dt.timedelta(days=rng.randrange(0, 486))
            stock = False
        elif bucket in (3, 4, 5, 6):  # 2021 regime
            conclusion = dt.date(2020, 12, 31) + dt.timedelta(days=rng.randrange(0, 1642))
            stock = False
        else:  # 2025 regime
            conclusion = dt.date(2025, 7, 1) + dt.timedelta(days=rng.randrange(0, 480))
            stock = False
        start = conclusion + dt.timedelta(days=rng.randrange(0, 60))
        years = rng.choice((1, 2, 2, 2, 3))
        end = _add_years(start, years) - dt.timedelta(days=rng.choice((1, 1, 1, 30, 92)))
        uplift = Decimal("2000.00") if rng.random() < 0.03 else Decimal("0.00")
        distance = rng.choice((0, 0, 0, 0, 20, 85))
        contract = rules.Contract(conclusion=conclusion, start=start, end=end, npec=npec, stock=stock,
                                  disability_uplift=uplift, distance_share=Decimal(distance) / 100, level=level)
        financing = rules.compute_financing(contract)
        iso = dt.date.isoformat
        deposits = [conclusion + dt.timedelta(days=5 + d) for d in range(20)]
        templates.append(dict(
            stock=stock, conclusion=conclusion, start=start, regime=financing.regime,
            uplift=uplift > 0, deposits=[iso(d) for d in deposits],
            agreements=[iso(d + dt.timedelta(days=15)) for d in deposits], end=iso(end),
            # Columns diploma_title … reduced_duration, in DOSSIER_FIELDS order, in database form.
            contract=(stock, False, title, code, rncp, level, iso(start), iso(end), 400 * years + rng.randrange(200),
                      distance, "Contrat initial", iso(conclusion), iso(start), iso(end), job, False),
            # Columns npec … cap_mobility, in cents.
            money=(_cents(npec), _cents(uplift), _cents(npec), 100, 300, 50_000, 0),
            financed=(_cents(financing.total), _cents(financing.employer_share)),
            installments=[(number, item.year, item.kind, iso(item.billable_from), iso(item.period_start),
                           iso(item.period_end), _cents(item.amount))
                          for number, item in enumerate(financing.installments, start=1)],
            first_billable=min((iso(item.billable_from) for item in financing.installments), default=None),
        ))
    return templates


def _add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _organisations(rng, count, target_siret, stamp):
    """Create `count` CFAs (+ the target one when missing); return (spread ids, target id or None)."""
    existing = {s for (s,) in Organisation.select(Organisation.siret).tuples()}
    target_id = None
    if target_siret:
        error = rules.check_siret(target_siret)
        if error:
            raise GenerationError(f"--organisation-siret : {error}.")
        target_siret = rules.normalize_siret(target_siret)
        target = Organisation.get_or_none(Organisation.siret == target_siret)
        if target is None:
            target = Organisation.create(siret=target_siret, name="CFA Banc d'essai", city="Paris",
                                         postal_code="75010", uai=make_uai(7_500_000 + rng.randrange(9_999)),
                                         status=OrganisationStatus.ACTIVE, email="contact@cfa-banc-essai.test")
            existing.add(target_siret)
        target_id = target.id
    rows = []
    for n, siret in _fresh_sirets(Organisation, 30_000_000, count, existing):
        postal, city, dept = CITIES[n % len(CITIES)]
        rows.append((n, siret, f"CFA {city} {n}", f"{1 + n % 150} avenue de l'Apprentissage", postal, city,
                     f"contact{n}@cfa-{n}.test", make_uai(int(dept) * 10_000 + n % 10_000), f"{dept}{n:09d}"[:11],
                     stamp))
    fields = [Organisation.id, Organisation.siret, Organisation.name, Organisation.street, Organisation.postal_code,
              Organisation.city, Organisation.email, Organisation.uai, Organisation.da_number,
              Organisation.created_at]
    _insert(Organisation, fields, rows)
    return [row[0] for row in rows], target_id


def _fresh_sirets(model, base, count, existing):
    """`count` (next id, SIRET) pairs, the SIRETs valid and not yet in `existing`."""
    first_id = _next_id(model)
    serial = first_id
    for n in range(first_id, first_id + count):
        siret = make_siret(base + serial)
        while siret in existing:
            serial += 1
            siret = make_siret(base + serial)
        serial += 1
        yield n, siret


def _employers(rng, count, stamp):
    existing = {s for (s,) in Employer.select(Employer.siret).tuples()}
    rows = []
    for n, siret in _fresh_sirets(Employer, 50_000_000, count, existing):
        kind, naf, idcc, agreement = EMPLOYER_KINDS[n % len(EMPLOYER_KINDS)]
        postal, city, _ = CITIES[n % len(CITIES)]
        rows.append((n, siret, f"{kind} {rng.choice(LAST_NAMES).title()} {n}", f"{1 + n % 200} rue du Commerce",
                     postal, city, naf, idcc, 5 + n % 300, "Entreprise privée", agreement, f"rh{n}@entreprise-{n}.test",
                     "", stamp))
    fields = [Employer.id, Employer.siret, Employer.name, Employer.street, Employer.postal_code, Employer.city,
              Employer.naf, Employer.idcc, Employer.headcount, Employer.employer_type,
              Employer.collective_agreement, Employer.email, Employer.phone, Employer.created_at]
    _insert(Employer, fields, rows)
    return [row[0] for row in rows]


def _target_user(email, organisation_id):
    """An admin OF of the target organisation with all six rights, signing in with the demo password."""
    from models import Membership, User
    from models.user import RIGHTS
    from infrastructure.passwords import hash_password
    email = rules.normalize_email(email)
    if rules.check_email(email):
        raise GenerationError(f"--user-email : {rules.check_email(email)}.")
    user = User.get_or_none(User.email == email)
    if user is None:
        user = User.create(email=email, password_hash=hash_password(DEMO_PASSWORD), kind="cfa",
                           first_name="Banc", last_name="d'essai", email_confirmed_at=now())
    elif user.kind != "cfa":
        raise GenerationError(f"--user-email : {email} n'est pas un compte CFA.")
    Membership.insert(user=user.id, organisation=organisation_id, role="admin_of",
                      **{name: True for name, _ in RIGHTS}).on_conflict_ignore().execute()
    return user


def _organisation_plan(rng, n, spread_ids, target_id, share):
    """Organisation id of each dossier: `share` of them in the target, the rest spread evenly."""
    in_target = round(n * share) if target_id else 0
    plan = [target_id] * in_target
    rest = n - in_target
    if rest:
        if not spread_ids:
            raise GenerationError("Aucun organisme pour répartir les dossiers.")
        plan.extend(spread_ids[i % len(spread_ids)] for i in range(rest))
    rng.shuffle(plan)
    return plan


def generate(n, organisations=None, target_siret=None, share=0.0, with_installments=False, seed=2026,
             progress=None, target_user_email=None):
    """Insert `n` dossiers (and their organisations, employers, apprentices); return counts and timings.

    `organisations`: how many CFAs to create (default one per 1,000 dossiers not in the target);
    `target_siret` + `share`: put that fraction of the dossiers in one organisation (created if unknown);
    `target_user_email`: an administrator of that organisation (demo password) for portal benchmarks.
    """
    if target_user_email and not target_siret:
        raise GenerationError("--user-email demande --organisation-siret.")
    if n < 1:
        raise GenerationError("Le nombre de dossiers doit être positif.")
    if not 0 <= share <= 1:
        raise GenerationError("La part de l'organisme cible doit être comprise entre 0 et 1.")
    if share and not target_siret:
        raise GenerationError("--share demande --organisation-siret.")
    if target_siret and not share:
        share = 1.0
    began = time.perf_counter()
    rng = random.Random(seed)
    stamp = now().isoformat(" ")
    spread = n - round(n * share) if target_siret else n
    if organisations is None:
        # One CFA per 1,000 dossiers, and never fewer than ten (small sets still spread out).
        organisations = max(-(-spread // DOSSIERS_PER_ORGANISATION), min(10, spread))
    if spread and organisations < 1:
        raise GenerationError("Au moins un organisme est nécessaire pour répartir les dossiers.")
    employer_count = max(1, min(n, -(-n // DOSSIERS_PER_EMPLOYER)))

    with db.atomic():
        spread_ids, target_id = _organisations(rng, organisations, target_siret, stamp)
        employer_ids = _employers(rng, employer_count, stamp)
        if target_user_email:
            _target_user(target_user_email, target_id)
    templates = contract_templates(rng)
    plan = _organisation_plan(rng, n, spread_ids, target_id, share)

    first_apprentice = _next_id(Apprentice)
    first_dossier = _next_id(Dossier)
    inserted = installments = 0
    with _fast_load():
        for offset in range(0, n, DOSSIERS_PER_TRANSACTION):
            count = min(DOSSIERS_PER_TRANSACTION, n - offset)
            apprentices, dossiers, schedule = _chunk(rng, offset, count, first_apprentice, first_dossier, plan,
                                                     employer_ids, templates, stamp, with_installments)
            with db.atomic():
                _insert(Apprentice, APPRENTICE_FIELDS, apprentices)
                _insert(Dossier, DOSSIER_FIELDS, dossiers)
                _count(dossiers)
                if schedule:
                    _insert(Installment, INSTALLMENT_FIELDS, schedule)
            inserted += count
            installments += len(schedule)
            if progress:
                progress(inserted, n)
    with db.atomic():
        _reset_sequences([Organisation, Employer, Apprentice, Dossier])
    return dict(dossiers=inserted, organisations=len(spread_ids) + (1 if target_id else 0),
                employers=len(employer_ids), apprentices=inserted, installments=installments,
                target_organisation=target_id, seconds=time.perf_counter() - began)


def _chunk(rng, offset, count, first_apprentice, first_dossier, plan, employer_ids, templates, stamp,
           with_installments):
    """Rows (tuples, in database form) of `count` apprentices, their dossiers and optionally installments."""
    states = _weighted(rng, STATES, count)
    schemes = _weighted(rng, SCHEMES, count)
    randrange = rng.randrange
    apprentices, dossiers, schedule = [], [], []
    n_templates, n_employers, n_last = len(templates), len(employer_ids), len(LAST_NAMES)
    not_financed = (0, 0)
    for k in range(count):
        i = offset + k
        apprentice_id = first_apprentice + i
        dossier_id = first_dossier + i
        t = templates[randrange(n_templates)]
        female = randrange(2)
        last = LAST_NAMES[randrange(n_last)]
        first = (FIRST_NAMES_F if female else FIRST_NAMES_M)[randrange(30)]
        birth_year, birth_month = t["start"].year - 17 - randrange(8), 1 + randrange(12)
        postal, city, dept = CITIES[i % 10]
        nir = make_nir("2" if female else "1", birth_year, birth_month, dept, i)
        birth = f"{birth_year}-{birth_month:02d}-{1 + randrange(28):02d}"
        apprentices.append((apprentice_id, last, first, birth, nir, "F" if female else "M", t["uplift"], dept, postal,
                            city, "Française", stamp, identity_key(last, first, birth)))
        state = states[k]
        financed = state in FINANCED_STATES
        day = randrange(20)
        deposit = t["deposits"][day]
        dossiers.append(
            (dossier_id, f"9{dossier_id:09d}", f"{dept}{deposit[:4]}{deposit[5:7]}{dossier_id % 1_000_000:06d}",
             schemes[k], state, plan[i], employer_ids[randrange(n_employers)], apprentice_id, f"{last} {first}",
             True) + t["contract"] + (t["regime"] if financed else "",) + t["money"]
            + (t["financed"] if financed else not_financed)
            + (None, state == D.SETTLED, deposit, None if state in (D.RECEIVED, D.AWAITING_DOCUMENTS) else deposit,
               t["agreements"][day] if financed else None, t["end"] if state == D.SETTLED else None,
               "Convention de formation signée" if state == D.AWAITING_DOCUMENTS else "",
               "Contrat hors du champ de financement" if state == D.REFUSED else "", stamp, stamp,
               name_key(f"{last} {first}"),
               t["first_billable"] if with_installments and financed and state != D.SETTLED else None))
        if with_installments and financed:
            status = (InstallmentStatus.PAID if state == D.SETTLED else InstallmentStatus.TO_INVOICE).value
            schedule.extend((dossier_id,) + item + (status,) for item in t["installments"])
    return apprentices, dossiers, schedule


def _cents(amount):
    return rules.to_cents(amount)


def register_generate_cli(app):
    import click

    @app.cli.command("generate")
    @click.option("--dossiers", "count", type=int, default=100_000, show_default=True,
                  help="Nombre de dossiers à créer.")
    @click.option("--organisations", type=int, default=None,
                  help="Nombre d'organismes à créer (défaut : un pour 1 000 dossiers).")
    @click.option("--organisation-siret", "target_siret", default=None,
                  help="SIRET d'un organisme qui recevra une part des dossiers (créé s'il n'existe pas).")
    @click.option("--share", type=float, default=None,
                  help="Part des dossiers dans l'organisme cible (0 à 1, défaut 1 avec --organisation-siret).")
    @click.option("--with-installments", is_flag=True, help="Crée aussi les échéanciers des dossiers engagés.")
    @click.option("--user-email", "target_user_email", default=None,
                  help="Crée (ou rattache) un administrateur OF de l'organisme cible, mot de passe de démonstration.")
    @click.option("--with-billing", is_flag=True,
                  help="Crée aussi factures, règlements, avoirs, notifications et la délégation de l'organisme cible.")
    @click.option("--seed", type=int, default=2026, show_default=True)
    def generate_command(count, organisations, target_siret, share, with_installments, target_user_email, seed,
                         with_billing):
        """Generate a large data set for benchmarks."""
        import models
        models.create_schema()

        def progress(done, total):
            if done == total or done % 100_000 == 0:
                click.echo(f"  {done:,} / {total:,} dossiers".replace(",", " "))

        first_dossier = _next_id(Dossier)
        try:
            result = generate(count, organisations=organisations, target_siret=target_siret,
                              share=share if share is not None else (1.0 if target_siret else 0.0),
                              with_installments=with_installments, seed=seed, progress=progress,
                              target_user_email=target_user_email)
        except GenerationError as error:
            raise click.ClickException(str(error))
        click.echo(f"{result['dossiers']:,} dossiers générés pour {result['organisations']:,} organismes et "
                   f"{result['employers']:,} employeurs ({result['installments']:,} échéances) "
                   f"en {result['seconds']:.1f} s.".replace(",", " "))
        if with_billing:
            from commands.generate_billing import generate_billing
            billing = generate_billing(first_dossier, result["target_organisation"])
            n = {key: f"{value:,}".replace(",", " ") for key, value in billing.items() if isinstance(value, int)}
            click.echo(f"{n['invoices']} factures, {n['payments']} règlements, {n['credit_notes']} avoirs, "
                       f"{n['notifications']} notifications.")
