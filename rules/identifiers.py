"""Checks of the identifiers entered in Portail CFA (SPEC §7).

Every ``check_*`` function takes the raw value typed by a user, returns
``None`` when it is valid and otherwise a French message fit for a form error.
Every ``normalize_*`` function returns the value as stored (no spaces, upper
case where it matters). SIRET, SIREN, NIR, IBAN and BIC rely on python-stdnum;
the French RIB key, UAI, diploma, RNCP, IDCC and NAF formats are checked here.
"""
import re

from stdnum import iban as std_iban
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.fr import nir as std_nir
from stdnum.fr import siren as std_siren
from stdnum.fr import siret as std_siret

_SPACES = re.compile(r"[\s\u00a0\u202f.\-]+")


def _compact(value) -> str:
    return _SPACES.sub("", str(value or "")).upper()


def normalize_siret(value) -> str:
    return _compact(value)


def normalize_siren(value) -> str:
    return _compact(value)


def normalize_nir(value) -> str:
    return _compact(value)


def normalize_iban(value) -> str:
    return _compact(value)


def normalize_bic(value) -> str:
    return _compact(value)


def normalize_uai(value) -> str:
    return _compact(value)


def normalize_diploma_code(value) -> str:
    return _compact(value)


def normalize_rncp(value) -> str:
    """``rncp 34 567`` → ``RNCP34567``; bare digits get the prefix."""
    compact = _compact(value)
    if compact.isdigit():
        compact = "RNCP" + compact
    return compact


def normalize_idcc(value) -> str:
    """IDCC codes are 4 digits; ``843`` is written ``0843``."""
    compact = _compact(value)
    if compact.isdigit() and len(compact) < 4:
        compact = compact.zfill(4)
    return compact


def normalize_naf(value) -> str:
    """``62.01z`` → ``6201Z``."""
    return _compact(value)


def normalize_email(value) -> str:
    return str(value or "").strip().lower()


def check_siret(value):
    """SIRET: 14 digits, Luhn key (La Poste's establishments excepted, per stdnum)."""
    number = normalize_siret(value)
    if not number.isdigit() or len(number) != 14:
        return "SIRET invalide : 14 chiffres attendus"
    try:
        std_siret.validate(number)
    except ValidationError:
        return "SIRET invalide (clé de contrôle)"
    return None


def check_siren(value):
    """SIREN: 9 digits with a Luhn key."""
    number = normalize_siren(value)
    if not number.isdigit() or len(number) != 9:
        return "SIREN invalide : 9 chiffres attendus"
    try:
        std_siren.validate(number)
    except ValidationError:
        return "SIREN invalide (clé de contrôle)"
    return None


def check_nir(value):
    """NIR (numéro de sécurité sociale): 13 characters + 2-digit key (Corsica 2A/2B handled)."""
    number = normalize_nir(value)
    if len(number) != 15:
        return "NIR invalide : 15 caractères attendus (13 + clé)"
    try:
        std_nir.validate(number)
    except InvalidChecksum:
        return "NIR invalide (clé de contrôle)"
    except ValidationError:
        return "NIR invalide : format incorrect"
    return None


_RIB_LETTERS = {c: str(v) for v, letters in enumerate(["", "AJ", "BKS", "CLT", "DMU", "ENV", "FOW", "GPX", "HQY", "IRZ"]) for c in letters}


def rib_key(bank: str, branch: str, account: str) -> int:
    """French RIB key: 97 − ((89·bank + 15·branch + 3·account) mod 97), letters of the account mapped to digits."""
    digits = "".join(_RIB_LETTERS.get(c, c) for c in account.upper())
    return 97 - ((89 * int(bank) + 15 * int(branch) + 3 * int(digits)) % 97)


def check_rib(bank: str, branch: str, account: str, key: str):
    """Check a French RIB (code banque 5, guichet 5, compte 11, clé 2)."""
    if not (re.fullmatch(r"\d{5}", bank or "") and re.fullmatch(r"\d{5}", branch or "")
            and re.fullmatch(r"[0-9A-Z]{11}", (account or "").upper()) and re.fullmatch(r"\d{2}", key or "")):
        return "RIB invalide : format incorrect"
    if rib_key(bank, branch, account) != int(key):
        return "RIB invalide (clé RIB)"
    return None


def _iban_structure_error(number):
    """Country and BBAN structure from stdnum's IBAN registry (private API: skipped if it moves)."""
    try:
        spec = std_iban._ibandb.info(number)[0][1]
        if not spec:
            return "IBAN invalide : pays inconnu"
        if not std_iban._struct_to_re(spec.get("bban", "")).match(number[4:]):
            return "IBAN invalide : longueur ou format incorrect pour ce pays"
    except (AttributeError, IndexError, TypeError):
        return None
    return None


def check_iban(value):
    """IBAN (ISO 13616, mod 97), and for a French IBAN (FR, and Monaco MC) the RIB key of its BBAN."""
    number = normalize_iban(value)
    if len(number) < 15 or not re.fullmatch(r"[A-Z]{2}\d{2}[0-9A-Z]+", number):
        return "IBAN invalide : format incorrect"
    # Structure first (stdnum checks the key before the country's length), then the key.
    message = _iban_structure_error(number)
    if message:
        return message
    try:
        std_iban.validate(number)
    except InvalidChecksum:
        return "IBAN invalide (clé de contrôle)"
    except InvalidLength:
        return "IBAN invalide : longueur incorrecte pour ce pays"
    except ValidationError:
        return "IBAN invalide : format incorrect"
    if number[:2] in ("FR", "MC"):
        bban = number[4:]
        if check_rib(bban[0:5], bban[5:10], bban[10:21], bban[21:23]):
            return "IBAN invalide (clé RIB)"
    return None


def check_bic(value):
    """BIC (ISO 9362): 4 letters bank, 2 letters country, 2 location, optional 3 branch."""
    number = normalize_bic(value)
    if not re.fullmatch(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?", number):
        return "BIC invalide : 8 ou 11 caractères attendus (ex. BNPAFRPPXXX)"
    return None


UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def uai_letter(first_seven: str) -> str:
    """UAI check letter: ``ABCDEFGHJKLMNPRSTUVWXYZ``[first 7 as a number mod 23] (SPEC §7)."""
    return UAI_LETTERS[int(first_seven) % 23]


def check_uai(value):
    """UAI: 7 digits and a check letter."""
    number = normalize_uai(value)
    if not re.fullmatch(r"\d{7}[A-Z]", number):
        return "UAI invalide : 7 chiffres et une lettre attendus"
    if uai_letter(number[:7]) != number[7]:
        return "UAI invalide (lettre de contrôle)"
    return None


def check_diploma_code(value):
    """Diploma code (code diplôme, Éducation nationale): 8 characters."""
    if not re.fullmatch(r"[0-9A-Z]{8}", normalize_diploma_code(value)):
        return "Code diplôme invalide : 8 caractères attendus"
    return None


def check_rncp(value):
    """RNCP code: ``RNCP`` followed by digits."""
    if not re.fullmatch(r"RNCP\d{1,6}", normalize_rncp(value)):
        return "Code RNCP invalide : « RNCP » suivi de chiffres attendu"
    return None


def check_idcc(value):
    """IDCC (collective agreement): 4 digits."""
    if not re.fullmatch(r"\d{4}", normalize_idcc(value)):
        return "IDCC invalide : 4 chiffres attendus"
    return None


def check_naf(value):
    """NAF / APE code: 4 digits and a letter (``6201Z``)."""
    if not re.fullmatch(r"\d{4}[A-Z]", normalize_naf(value)):
        return "Code NAF invalide : 4 chiffres et une lettre attendus (ex. 6201Z)"
    return None


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_email(value):
    """A plausible email address (one @, a dotted domain, no spaces)."""
    email = normalize_email(value)
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        return "Adresse électronique invalide"
    return None


def mask_nir(value) -> str:
    """Mask a NIR for lists: ``2 92 07 •• ••• ••• ••`` (sex, year and month of birth shown)."""
    number = normalize_nir(value)
    if len(number) < 5:
        return "•" * len(number)
    return f"{number[0]} {number[1:3]} {number[3:5]} •• ••• ••• ••"


def mask_iban(value) -> str:
    """Mask an IBAN: country, key and the last 4 characters shown (``FR76 •••• … 0189``)."""
    number = normalize_iban(value)
    if len(number) < 8:
        return "•" * len(number)
    masked = number[:4] + "•" * (len(number) - 8) + number[-4:]
    return " ".join(masked[i:i + 4] for i in range(0, len(masked), 4))


def format_iban(value) -> str:
    """Group an IBAN by 4 characters for display."""
    number = normalize_iban(value)
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


__all__ = [name for name in dir() if name.startswith(("check_", "normalize_", "mask_", "format_"))] + ["rib_key", "uai_letter"]

# Re-exported so callers can catch stdnum errors without importing stdnum.
_ = (InvalidComponent, InvalidFormat)


_PHONE_SEPARATORS = re.compile(r"[\s.\-/()]")


def normalize_phone(value) -> str:
    """``+33 (0)1.23.45.67.89`` → ``+33123456789``: separators and the written trunk ``(0)`` dropped."""
    return _PHONE_SEPARATORS.sub("", str(value or "").replace("(0)", ""))


def check_phone(value):
    """A French phone number: 10 digits starting with 0, or +33 and 9 digits (seed 003 *Fiche OF*)."""
    if not re.fullmatch(r"0[1-9][0-9]{8}|\+33[1-9][0-9]{8}", normalize_phone(value)):
        return "Numéro de téléphone invalide : 10 chiffres attendus (ex. 01 23 45 67 89)"
    return None


def normalize_postal_code(value) -> str:
    return _compact(value)


def check_postal_code(value):
    """A French postal code: 5 digits."""
    if not re.fullmatch(r"[0-9]{5}", normalize_postal_code(value)):
        return "Code postal invalide : 5 chiffres attendus"
    return None
