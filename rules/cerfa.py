"""Checks of a CERFA (apprenticeship contract) entry (SPEC §7, seeds 002 and 004).

Each check returns a list of French messages (empty when all is well), so a
form can show them per tab.

* apprentice aged 16 to 29 at the contract's start; 15 when leaving the
  *collège* (``after_college``); no upper limit with an RQTH;
* contract of 6 months to 3 years (start + 6 months − 1 day ≤ end ≤ start +
  3 years − 1 day);
* training start within 3 months of the contract's start (before or after);
* one or two masters (*maîtres d'apprentissage*), each 18 or older at the start;
* minimum pay as a % of the SMIC by age and year of execution: under 18:
  27/39/55; 18–20: 43/51/67; 21–25: 53/61/78; 26 and over: 100. Decision: the
  age is taken on the first day of each year of execution, and years beyond
  the third use the third year's rate.
* a draft proposal needs the employer's and the CFA's SIRET (seed 004), or the
  employer's name and the apprentice's name and first name (seed 002); sending
  it needs every mandatory field.
"""
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from . import cerfa_fields as fields
from . import identifiers
from .dates import ONE_DAY, add_months, fr_date
from .identifiers import check_siret
from .money import format_eur

MIN_AGE = 16
MIN_AGE_AFTER_COLLEGE = 15
MAX_AGE = 29
MASTER_MIN_AGE = 18
MAX_MASTERS = 2
TRAINING_START_MONTHS = 3
_PAY_GRID = ((18, (27, 39, 55)), (21, (43, 51, 67)), (26, (53, 61, 78)), (None, (100, 100, 100)))


def age_on(birth: date, day: date) -> int:
    """Age in full years on ``day`` (born 29/02: one year older on 01/03 of a common year)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def minimum_pay_percent(age: int, contract_year: int) -> int:
    """Minimum pay in % of the SMIC for an apprentice of ``age`` in year ``contract_year`` (1, 2, 3+)."""
    index = min(max(contract_year, 1), 3) - 1
    for upper, rates in _PAY_GRID:
        if upper is None or age < upper:
            return rates[index]
    raise AssertionError("unreachable")


def check_apprentice_age(birth: date, start: date, rqth: bool = False, after_college: bool = False) -> list:
    age = age_on(birth, start)
    minimum = MIN_AGE_AFTER_COLLEGE if after_college else MIN_AGE
    if age < minimum:
        return [f"L'apprenti doit avoir au moins {minimum} ans au début du contrat ({age} ans le {fr_date(start)})"]
    if age > MAX_AGE and not rqth:
        return [f"L'apprenti doit avoir au plus {MAX_AGE} ans au début du contrat, sauf RQTH "
                f"({age} ans le {fr_date(start)})"]
    return []


def check_contract_duration(start: date, end: date) -> list:
    if end < start:
        return [f"La fin du contrat ({fr_date(end)}) précède son début ({fr_date(start)})"]
    if end < add_months(start, 6) - ONE_DAY:
        return ["Le contrat doit durer au moins 6 mois"]
    if end > add_months(start, 36) - ONE_DAY:
        return ["Le contrat doit durer au plus 3 ans"]
    return []


def check_training_start(contract_start: date, training_start: date) -> list:
    low = add_months(contract_start, -TRAINING_START_MONTHS)
    high = add_months(contract_start, TRAINING_START_MONTHS)
    if not low <= training_start <= high:
        return [f"La formation doit commencer dans les 3 mois du début du contrat ({fr_date(contract_start)}) : "
                f"début de formation le {fr_date(training_start)}"]
    return []


def check_masters(master_births, start: date) -> list:
    births = list(master_births)
    messages = []
    if not births:
        messages.append("Un maître d'apprentissage au moins est obligatoire")
    if len(births) > MAX_MASTERS:
        messages.append(f"Deux maîtres d'apprentissage au plus ({len(births)} déclarés)")
    for rank, birth in enumerate(births, start=1):
        if birth is not None and age_on(birth, start) < MASTER_MIN_AGE:
            messages.append(f"Le maître d'apprentissage n° {rank} doit avoir au moins {MASTER_MIN_AGE} ans "
                            f"({age_on(birth, start)} ans le {fr_date(start)})")
    return messages


def check_minimum_pay(birth: date, start: date, pay_percents) -> list:
    """``pay_percents``: the pay declared for years 1, 2, 3… as a % of the SMIC."""
    messages = []
    for year, declared in enumerate(pay_percents, start=1):
        first_day = add_months(start, 12 * (year - 1))
        age = age_on(birth, first_day)
        minimum = minimum_pay_percent(age, year)
        if Decimal(str(declared)) < minimum:
            messages.append(f"Année {year} : rémunération de {declared} % du SMIC inférieure au minimum de "
                            f"{minimum} % pour un apprenti de {age} ans")
    return messages


@dataclass(frozen=True)
class CerfaData:
    """The CERFA fields the rules check (the rest is checked by the form)."""

    apprentice_birth: date
    contract_start: date
    contract_end: date
    training_start: date | None = None
    rqth: bool = False
    after_college: bool = False
    master_births: tuple = field(default_factory=tuple)
    pay_percents: tuple = field(default_factory=tuple)


def check_cerfa(data: CerfaData) -> list:
    """All SPEC §7 CERFA checks at once."""
    messages = []
    messages += check_apprentice_age(data.apprentice_birth, data.contract_start, data.rqth, data.after_college)
    messages += check_contract_duration(data.contract_start, data.contract_end)
    if data.training_start is not None:
        messages += check_training_start(data.contract_start, data.training_start)
    messages += check_masters(data.master_births, data.contract_start)
    messages += check_minimum_pay(data.apprentice_birth, data.contract_start, data.pay_percents)
    return messages


def check_proposal_draft(fields: dict) -> list:
    """A draft needs both SIRETs (valid), or the employer's name and the apprentice's name and first name."""
    employer_siret = (fields.get("employer_siret") or "").strip()
    cfa_siret = (fields.get("cfa_siret") or "").strip()
    if employer_siret and cfa_siret:
        return [m for m in (check_siret(employer_siret), check_siret(cfa_siret)) if m]
    if all((fields.get(k) or "").strip() for k in ("employer_name", "apprentice_last_name", "apprentice_first_name")):
        return []
    return ["Pour enregistrer un brouillon : SIRET de l'employeur et du CFA, ou raison sociale de l'employeur "
            "et nom et prénom de l'apprenti"]


def check_proposal_complete(fields: dict, mandatory) -> list:
    """Sending a proposal needs every mandatory field; ``mandatory`` maps field names to French labels."""
    return [f"Champ obligatoire manquant : {label}" for name, label in mandatory.items()
            if fields.get(name) in (None, "", [], ())]


# --- The whole proposal, keyed by the CERFA catalogue (rules/cerfa_fields.py) ---------------------------------

@dataclass(frozen=True)
class Smic:
    """The SMIC in effect: a dated setting the OPCO maintains (models.SmicRate), passed in as plain values."""

    effective_from: date
    hourly: Decimal
    monthly: Decimal


def smic_in_effect(rates, day: date):
    """The rate of ``rates`` (Smic values) in effect on ``day``: the latest one effective on or before it."""
    applicable = [r for r in rates if r.effective_from <= day]
    return max(applicable, key=lambda r: r.effective_from) if applicable else None


def pay_amount(percent, smic) -> Decimal | None:
    """Monthly gross pay in euros for ``percent`` of the monthly SMIC, rounded to the cent (None if unknown)."""
    rate = _decimal(percent)
    if rate is None or smic is None:
        return None
    return (smic.monthly * rate / 100).quantize(Decimal("0.01"))


_EARLIEST_BIRTH = date(1900, 1, 1)
PLAUSIBLE_YEARS = 10
_MINIMUM_MESSAGE = ("Pour enregistrer un brouillon : SIRET de l'employeur et du CFA, ou raison sociale de "
                    "l'employeur et nom et prénom de l'apprenti")


def _text(data, key) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def _decimal(value):
    text = str(value if value is not None else "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not text:
        return None
    try:
        number = Decimal(text)
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _parse_date(value):
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def _is_yes(data, key) -> bool:
    return _text(data, key) == fields.YES


def check_draft_minimum(data: dict) -> dict:
    """SPEC §7: a draft needs both SIRETs (valid), or the employer's name and the apprentice's name and first name.

    Returns ``{field_key: [messages]}``; empty when the draft may be saved.
    """
    by_siret = _text(data, "employeur.siret") and _text(data, "organismeFormation.siret")
    by_name = all(_text(data, k) for k in ("employeur.denomination", "apprenti.nom", "apprenti.prenom"))
    if by_name:
        return {}
    if by_siret:
        errors = {}
        for key in ("employeur.siret", "organismeFormation.siret"):
            message = check_siret(_text(data, key))
            if message:
                errors[key] = [message]
        return errors
    return {"introduction": [_MINIMUM_MESSAGE]}


_NORMALIZERS = {"siret": identifiers.normalize_siret, "nir": identifiers.normalize_nir,
                "uai": identifiers.normalize_uai, "rncp": identifiers.normalize_rncp,
                "diploma": identifiers.normalize_diploma_code, "idcc": identifiers.normalize_idcc,
                "naf": identifiers.normalize_naf, "postal": identifiers.normalize_postal_code,
                "phone": identifiers.normalize_phone, "email": identifiers.normalize_email}


def normalize_value(spec, value) -> str:
    """The value of a catalogue field as stored in ``data`` (identifiers compacted, ``1 234,5`` → ``1234.5``)."""
    text = str(value if value is not None else "").strip()
    if not text:
        return ""
    if spec.kind in _NORMALIZERS:
        return _NORMALIZERS[spec.kind](text)
    if spec.kind in ("decimal", "percent"):
        number = _decimal(text)
        return text if number is None else format(number.normalize() if number == number.to_integral() else number, "f")
    if spec.kind == "department":
        return text.upper()
    return text


def field_error(spec, value):
    """The French message when a stored ``value`` does not fit the catalogue field ``spec``, else None."""
    return _format_message(spec, value)


def _format_message(spec, value):
    """The French message when ``value`` does not fit the field's kind, else None."""
    kind = spec.kind
    checks = {"siret": identifiers.check_siret, "nir": identifiers.check_nir, "email": identifiers.check_email,
              "phone": identifiers.check_phone, "uai": identifiers.check_uai, "rncp": identifiers.check_rncp,
              "diploma": identifiers.check_diploma_code, "idcc": identifiers.check_idcc,
              "naf": identifiers.check_naf, "postal": identifiers.check_postal_code}
    if len(value) > max(spec.max_length, 15):
        return f"{spec.max_length} caractères au plus"
    if kind in checks:
        return checks[kind](value)
    if kind == "date":
        return None if _parse_date(value) else "Date invalide (jj/mm/aaaa attendu)"
    if kind == "choice":
        return None if value in dict(spec.choices) else "Choix invalide"
    if kind == "bool":
        return None if value in (fields.YES, fields.NO) else "Réponse invalide (oui ou non)"
    if kind == "int":
        return None if re.fullmatch(r"[0-9]{1,6}", value) else "Nombre entier positif attendu"
    if kind in ("decimal", "percent"):
        number = _decimal(value)
        if number is None or number < 0 or number.as_tuple().exponent < -2:
            return "Nombre positif attendu (deux décimales au plus)"
        if kind == "percent" and number > 100:
            return "Pourcentage entre 0 et 100 attendu"
        return None if number < 10_000_000 else "Montant trop élevé"
    if kind == "department":
        return None if re.fullmatch(r"0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-6]|99", value.upper()) else \
            "Département invalide (ex. 75, 2A, 971, 99 pour l'étranger)"
    return None


def _check_formats(data, errors):
    for spec in fields.FIELDS:
        value = _text(data, spec.key)
        if value:
            message = _format_message(spec, value)
            if message:
                errors.setdefault(spec.key, []).append(message)


def _check_required(data, errors, include_employer_fields):
    for spec in fields.FIELDS:
        if not spec.required or (spec.by_employer and not include_employer_fields):
            continue
        if spec.kind == "bool":
            if spec.key.startswith("attestation.") and not _is_yes(data, spec.key):
                errors.setdefault(spec.key, []).append("Attestation obligatoire")
        elif not _text(data, spec.key):
            errors.setdefault(spec.key, []).append("Champ obligatoire")


def _date_of(data, errors, key):
    """The valid date typed for ``key``, or None (format errors were already reported)."""
    return None if key in errors else _parse_date(_text(data, key))


def _check_dates_plausible(data, errors, today):
    low, high = add_months(today, -12 * PLAUSIBLE_YEARS), add_months(today, 12 * PLAUSIBLE_YEARS)
    for spec in fields.FIELDS:
        if spec.kind != "date" or spec.key in errors or not _text(data, spec.key):
            continue
        day = _parse_date(_text(data, spec.key))
        if spec.key.endswith("dateNaissance"):
            if not _EARLIEST_BIRTH <= day <= today:
                errors[spec.key] = [f"Date de naissance invraisemblable : entre le {fr_date(_EARLIEST_BIRTH)} "
                                    f"et aujourd'hui"]
        elif not low <= day <= high:
            errors[spec.key] = [f"Date invraisemblable : entre le {fr_date(low)} et le {fr_date(high)}"]


def _check_nir_consistency(data, errors, prefix):
    """The NIR's sex digit and birth year/month agree with the person's sex and birth date."""
    key = f"{prefix}.nir"
    nir = identifiers.normalize_nir(_text(data, key))
    if not nir or key in errors:
        return
    sex, birth = _text(data, f"{prefix}.sexe"), _date_of(data, errors, f"{prefix}.dateNaissance")
    if sex in ("M", "F") and nir[0] in "12" and nir[0] != {"M": "1", "F": "2"}[sex]:
        errors.setdefault(key, []).append("Le NIR ne correspond pas au sexe déclaré")
    if birth is not None and re.fullmatch(r"[0-9]{2}", nir[1:3]):
        month = int(nir[3:5]) if re.fullmatch(r"[0-9]{2}", nir[3:5]) else 0
        if int(nir[1:3]) != birth.year % 100 or (1 <= month <= 12 and month != birth.month):
            errors.setdefault(key, []).append("Le NIR ne correspond pas à la date de naissance")


def _check_contract(data, errors, today):
    start = _date_of(data, errors, "contrat.dateDebutContrat")
    end = _date_of(data, errors, "contrat.dateFinContrat")
    birth = _date_of(data, errors, "apprenti.dateNaissance")
    if start and end:
        for m in check_contract_duration(start, end):
            errors.setdefault("contrat.dateFinContrat", []).append(m)
    if start and birth:
        after_college = _text(data, "apprenti.derniereClasse") == fields.AFTER_COLLEGE
        for m in check_apprentice_age(birth, start, _is_yes(data, "apprenti.handicap"), after_college):
            errors.setdefault("apprenti.dateNaissance", []).append(m)
        if age_on(birth, start) < 18:
            for key in ("apprenti.responsableLegal.nom", "apprenti.responsableLegal.prenom"):
                if not _text(data, key):
                    errors.setdefault(key, []).append("Obligatoire pour un apprenti mineur")
    conclusion = _date_of(data, errors, "contrat.dateConclusion")
    if conclusion and end and conclusion > end:
        errors.setdefault("contrat.dateConclusion", []).append("La conclusion ne peut suivre la fin du contrat")
    practical = _date_of(data, errors, "contrat.dateDebutFormationPratique")
    if practical and start and end and not start <= practical <= end:
        errors.setdefault("contrat.dateDebutFormationPratique", []).append(
            "La formation pratique commence pendant le contrat")
    contract_type = _text(data, "contrat.typeContratApp")
    if contract_type and contract_type != fields.FIRST_CONTRACT and not _text(data, "contrat.numeroContratPrecedent"):
        errors.setdefault("contrat.numeroContratPrecedent", []).append(
            "Obligatoire sauf pour un premier contrat")
    hours = _text(data, "contrat.dureeTravailHebdoHeures")
    if re.fullmatch(r"[0-9]{1,6}", hours) and not 1 <= int(hours) <= 48:
        errors.setdefault("contrat.dureeTravailHebdoHeures", []).append("Entre 1 et 48 heures par semaine")
    minutes = _text(data, "contrat.dureeTravailHebdoMinutes")
    if re.fullmatch(r"[0-9]{1,6}", minutes) and int(minutes) > 59:
        errors.setdefault("contrat.dureeTravailHebdoMinutes", []).append("Entre 0 et 59 minutes")
    return start, end, birth


def _check_training(data, errors, start):
    training_start = _date_of(data, errors, "formation.dateDebutFormation")
    training_end = _date_of(data, errors, "formation.dateFinFormation")
    if start and training_start:
        for m in check_training_start(start, training_start):
            errors.setdefault("formation.dateDebutFormation", []).append(m)
    if training_start and training_end and training_end < training_start:
        errors.setdefault("formation.dateFinFormation", []).append("La fin de la formation précède son début")


def _check_masters(data, errors, start):
    if not start:
        return
    for rank in (1, 2):
        key = f"maitre{rank}.dateNaissance"
        birth = _date_of(data, errors, key)
        if birth and age_on(birth, start) < MASTER_MIN_AGE:
            errors.setdefault(key, []).append(
                f"Le maître d'apprentissage doit avoir au moins {MASTER_MIN_AGE} ans au début du contrat "
                f"({age_on(birth, start)} ans le {fr_date(start)})")
    second = [k for k in ("maitre2.nom", "maitre2.prenom", "maitre2.dateNaissance") if _text(data, k)]
    if second:
        for key in ("maitre2.nom", "maitre2.prenom", "maitre2.dateNaissance"):
            if not _text(data, key):
                errors.setdefault(key, []).append("Obligatoire pour un second maître d'apprentissage")


def contract_years(start: date, end: date) -> int:
    """How many years of execution the contract spans (1 to 4)."""
    years = 1
    while years < len(fields.PAY_YEARS) and add_months(start, 12 * years) <= end:
        years += 1
    return years


def _check_pay(data, errors, start, end, birth, smic):
    if not (start and end and birth) or end < start:
        return
    for year in range(1, contract_years(start, end) + 1):
        key = fields.pay_rate_key(year)
        if key in errors:
            continue
        declared = _decimal(_text(data, key))
        if declared is None:
            errors.setdefault(key, []).append(f"Rémunération de l'année {year} obligatoire")
            continue
        first_day = add_months(start, 12 * (year - 1))
        age = age_on(birth, first_day)
        minimum = minimum_pay_percent(age, year)
        if declared < minimum:
            errors.setdefault(key, []).append(
                f"Au moins {minimum} % du SMIC pour un apprenti de {age} ans en année {year}")
    rate = _decimal(_text(data, fields.pay_rate_key(1)))
    salary = None if "contrat.salaireEmbauche" in errors else _decimal(_text(data, "contrat.salaireEmbauche"))
    minimum_salary = pay_amount(minimum_pay_percent(age_on(birth, start), 1), smic)
    if salary is not None and minimum_salary is not None and rate is not None and salary < minimum_salary:
        errors.setdefault("contrat.salaireEmbauche", []).append(
            f"Inférieur au minimum légal de {format_eur(minimum_salary)} (SMIC mensuel en vigueur au "
            f"{fr_date(smic.effective_from)} : {format_eur(smic.monthly)})")


def check_proposal(data: dict, today: date, smic=None, include_employer_fields: bool = True,
                   known_rncp=None) -> dict:
    """Every SPEC §7 check of a proposal's ``data``: ``{field_key: [French messages]}``, empty when sendable.

    ``smic`` is the Smic in effect (None skips the euro check); ``include_employer_fields`` False leaves out
    what the employer fills (attestation, conclusion date) when the CFA sends to the employer;
    ``known_rncp`` (a set) flags RNCP codes missing from the referential.
    """
    data = data if isinstance(data, dict) else {}
    errors: dict = {}
    _check_formats(data, errors)
    _check_dates_plausible(data, errors, today)
    _check_required(data, errors, include_employer_fields)
    _check_nir_consistency(data, errors, "apprenti")
    start, end, birth = _check_contract(data, errors, today)
    _check_training(data, errors, start)
    _check_masters(data, errors, start)
    _check_pay(data, errors, start, end, birth, smic)
    rncp = identifiers.normalize_rncp(_text(data, "formation.rncp"))
    if known_rncp is not None and rncp and "formation.rncp" not in errors and rncp not in known_rncp:
        errors["formation.rncp"] = [f"Code RNCP {rncp} inconnu du référentiel"]
    return errors


def errors_by_tab(errors: dict) -> dict:
    """``{tab_key: {field_key: [messages]}}`` for every tab in order (empty dict when the tab has no error)."""
    grouped = {key: {} for key in fields.TAB_KEYS}
    for key, messages in errors.items():
        grouped[fields.tab_of(key)][key] = list(messages)
    return grouped


def error_counts(errors: dict) -> dict:
    """``{tab_key: number of messages}``: what each tab's title shows."""
    return {tab: sum(len(m) for m in by_field.values()) for tab, by_field in errors_by_tab(errors).items()}
