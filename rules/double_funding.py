"""Double funding: two contracts of the same apprentice whose periods overlap (issue 12, item 8).

No portal checks it, and a CFA or two employers may declare the same apprentice twice: the OPCO would then
finance the same months twice. The same apprentice is the same NIR, or the same birth name, first name and
birth date once accents, case, hyphens and spaces are set aside (a NIR mistyped or missing still matches by
name). A contract ends on its rupture date when broken. The rule only flags a *possible* duplicate: a person
decides, nothing is blocked.
"""
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from stdnum.fr import nir as std_nir

from .identifiers import normalize_nir

SAME_NIR = "même NIR"
SAME_IDENTITY = "mêmes nom, prénom et date de naissance"
_NOT_LETTERS = re.compile(r"[^A-Z0-9]+")


@dataclass(frozen=True)
class ContractFacts:
    """What the rule needs of a contract: the apprentice's identity and the contract's period."""

    nir: str = ""
    last_name: str = ""
    first_name: str = ""
    birth_date: date | None = None
    start: date | None = None
    end: date | None = None


def normalise_name(text) -> str:
    """'Lé-a  Dupont' → 'LE A DUPONT': no accents, upper case, one space between words."""
    plain = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().upper()
    return _NOT_LETTERS.sub(" ", plain).strip()


def name_key(text) -> str:
    """'LÉA-Marie  Dupont' → 'lea marie dupont': what the dossier list's name search compares, by prefix."""
    return normalise_name(text).lower()[:210]


def identity_key(last_name, first_name, birth_date) -> str:
    """'DUPONT|LEA|2004-05-12', or '' when a part is missing (then only the NIR can match)."""
    last, first, born = normalise_name(last_name), normalise_name(first_name), as_date(birth_date)
    if not last or not first or born is None:
        return ""
    return f"{last}|{first}|{born.isoformat()}"


def as_date(value):
    """A date from a date, a datetime or an ISO 'YYYY-MM-DD' text; None otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "")[:10])
    except ValueError:
        return None


def nir_key(nir) -> str:
    """The NIR's first 13 characters (the key may be absent or mistyped), '' when too short to identify."""
    value = normalize_nir(nir)
    return value[:13] if len(value) >= 13 else ""


def nir_forms(nir) -> list:
    """The ways the same NIR may be stored (13 characters, or with its key), for an indexed equality lookup."""
    short = nir_key(nir)
    if not short:
        return []
    forms = {short, normalize_nir(nir)}
    try:
        forms.add(short + std_nir.calc_check_digits(short))
    except (ValueError, TypeError):
        pass
    return sorted(form for form in forms if len(form) in (13, 15))


def same_apprentice(a: ContractFacts, b: ContractFacts) -> str:
    """Why `a` and `b` are the same apprentice (SAME_NIR, SAME_IDENTITY), or '' when nothing says so."""
    if nir_key(a.nir) and nir_key(a.nir) == nir_key(b.nir):
        return SAME_NIR
    key = identity_key(a.last_name, a.first_name, a.birth_date)
    if key and key == identity_key(b.last_name, b.first_name, b.birth_date):
        return SAME_IDENTITY
    return ""


def periods_overlap(a: ContractFacts, b: ContractFacts) -> bool:
    """At least one day in common (both bounds included); an unknown start says nothing, an unknown end runs on."""
    if a.start is None or b.start is None:
        return False
    a_end = a.end or date.max
    b_end = b.end or date.max
    return a.start <= b_end and b.start <= a_end


def double_funding(a: ContractFacts, b: ContractFacts) -> str:
    """The reason `a` and `b` may finance the same apprentice twice, or '' when they cannot."""
    if not periods_overlap(a, b):
        return ""
    return same_apprentice(a, b)
