"""argon2id password hashing, the password policy of SPEC §6 (accounts) and the sign-in throttle."""
import datetime as dt
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's (OWASP-compliant) defaults


def configure(time_cost, memory_cost, parallelism):
    """Set the argon2id cost from the configuration (tests lower it; hashes stored at another cost are
    still verified, and upgraded at the next sign-in)."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hash_password(password):
    return _hasher.hash(password)


def verify_password(password_hash, password):
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


# Passwords that meet the length and case rule yet come first in every guessing list (compared lower-case,
# and also with trailing digits and "!?.*" removed, so "Azerty2024!" is caught with "azerty").
COMMON_PASSWORDS = frozenset("""
password motdepasse azerty qwerty azertyuiop qwertyuiop soleil bonjour doudou loulou chouchou marseille
paris football iloveyou jetaime welcome bienvenue admin administrateur letmein monkey dragon sunshine
princess master portail portailcfa opco apprenti apprentissage formation changeme chocolat nicolas
abcdefgh abcdefg abcdef azertyui qwertyui motdepass passw0rd p@ssw0rd pa55word
""".split())


def _is_common(password):
    lowered = (password or "").lower()
    stem = lowered.rstrip("0123456789!?.*")
    return lowered in COMMON_PASSWORDS or stem in COMMON_PASSWORDS


def password_problems(password):
    """French messages for a password that breaks the policy (≥ 8, lower and upper case, not a common one)."""
    problems = []
    if len(password or "") < 8:
        problems.append("Le mot de passe doit contenir au moins 8 caractères.")
    if not re.search(r"[a-zà-ÿ]", password or ""):
        problems.append("Le mot de passe doit contenir au moins une lettre minuscule.")
    if not re.search(r"[A-ZÀ-Ý]", password or ""):
        problems.append("Le mot de passe doit contenir au moins une lettre majuscule.")
    if _is_common(password):
        problems.append("Ce mot de passe est trop courant (il figure parmi les premiers essayés par les "
                        "attaquants) : choisissez-en un autre, plus long de préférence.")
    return problems


def throttle_delay(failures, free_failures, first_delay, max_delay):
    """How long an account waits before its next password check after `failures` failures in a row.

    Progressive (doubling from `first_delay` seconds once `free_failures` are used up) and capped at
    `max_delay` seconds: an attacker slows guessing down but can never lock the rightful user out for longer.
    """
    if failures < free_failures:
        return dt.timedelta(0)
    seconds = first_delay * 2 ** min(failures - free_failures, 32)
    return dt.timedelta(seconds=min(seconds, max_delay))
