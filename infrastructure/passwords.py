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


def password_problems(password):
    """French messages for a password that breaks the policy (≥ 8, lower and upper case, not a common one)."""
    problems = []
    if len(password or "") < 8:
        problems.append("Le mot de passe doit contenir au moins 8 caractères.")
    if not re.search(r"[a-zà-ÿ]", password or ""):
        problems.append("Le mot de passe doit contenir au moins une lettre minuscule.")
    if not re.search(r"[A-ZÀ-Ý]", password or ""):
        problems.append("Le mot de passe doit contenir au moins une lettre majuscule.")
    if is_common_password(password):
        problems.append("Ce mot de passe fait partie des plus courants : il serait deviné en quelques essais. "
                        "Choisissez-en un moins prévisible, une phrase par exemple.")
    return problems


# The most used passwords (published leak rankings, French ones included), compared without case and
# without the digits and symbols people append to pass a policy ("Azerty123!" is "azerty").
COMMON_PASSWORDS = frozenset("""
password motdepasse azerty azertyuiop qwerty qwertyuiop abcdef abcdefg abcdefgh abc iloveyou jetaime soleil
bonjour doudou loulou chouchou marseille paris nicolas julien camille portail portailcfa opco apprenti
apprentissage formation admin administrateur welcome bienvenue letmein monkey dragon football sunshine princess
master superman batman starwars azertyui qwertyui qwertz changeme chocolat secret motdepass passw0rd p@ssw0rd
pa55word passe
""".split())


def is_common_password(password):
    core = re.sub(r"[\d\W_]+$", "", (password or "").strip().lower())
    core = re.sub(r"^[\d\W_]+", "", core)
    return bool(password) and (core in COMMON_PASSWORDS or not core)


def throttle_delay(failures, free_failures, first_delay, max_delay):
    """How long an account waits before its next password check after `failures` failures in a row.

    Progressive (doubling from `first_delay` seconds once `free_failures` are used up) and capped at
    `max_delay` seconds: an attacker slows guessing down but can never lock the rightful user out for longer.
    """
    if failures < free_failures:
        return dt.timedelta(0)
    seconds = first_delay * 2 ** min(failures - free_failures, 32)
    return dt.timedelta(seconds=min(seconds, max_delay))
