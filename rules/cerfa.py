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
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .dates import ONE_DAY, add_months, fr_date
from .identifiers import check_siret

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
