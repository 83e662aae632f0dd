"""Registration by SIRET (seed 001 *Accéder à la plateforme*): account creation, activation, OPCO decision.

A SIRET leads to one of five answers (`lookup`):
- ACCOUNT: a known active organisation nobody uses yet → *Création de compte* (email + password);
- SHEET: an unknown organisation → the registration sheet; the organisation is created *pending*;
- PENDING: its registration awaits the OPCO's decision;
- TAKEN: the organisation already has users → its administrator adds more (users screen);
- CLOSED: refused or deactivated → contact the OPCO.
An organisation that already has members is never claimable by SIRET (a SIRET is public): at most one
self-registered account per organisation, enforced by the unique `User.registered_for`.

The requester becomes an admin OF with the six rights, `active` (the administrators' switch) but *awaiting
activation* (`email_confirmed_at` empty) until the emailed link, valid 24 hours and single use, is followed.
Sign-in refuses such an account, and the requester of a pending or refused organisation (`sign_in_refusal`).
An email address that already has an account gets a notice instead of a second account, and the page
answers the same: the form tells nobody which addresses are registered.
"""
import datetime as dt

from peewee import IntegrityError, fn

from infrastructure.mail import render_email
from infrastructure.numbering import immediate_transaction
from models import Membership, Organisation, User, now as db_now
from models.states import OrganisationStatus
from models.user import RIGHTS
from rules.identifiers import normalize_email, normalize_phone, normalize_postal_code, normalize_siret
from workflows import tokens
from workflows.audit import record
from workflows.notify import send_email
from workflows.password_reset import _password_hash
from workflows.state_machines import ORGANISATION
from workflows.transitions import apply

ACTIVATION_LIFETIME = dt.timedelta(hours=24)
ACCOUNT, SHEET, PENDING, TAKEN, CLOSED = "account", "sheet", "pending", "taken", "closed"

# The columns the registration sheet writes on the new organisation (and nothing else).
SHEET_FIELDS = (
    "opco_reference", "name", "name_suite", "street", "street_suite", "postal_code", "city", "phone", "email",
    "is_fpc_provider", "is_cfa", "da_number", "for_profit", "vat_liable", "contact_civility", "contact_last_name",
    "contact_first_name", "contact_phone", "contact_email", "contact_function", "zone", "registration_comment",
)
NORMALIZE = {"postal_code": normalize_postal_code, "phone": normalize_phone, "contact_phone": normalize_phone,
             "email": normalize_email, "contact_email": normalize_email}


class RegistrationRefused(Exception):
    """The SIRET no longer leads to the step being completed; `outcome` is what `lookup` now answers."""

    def __init__(self, outcome):
        super().__init__(outcome)
        self.outcome = outcome


def _now(now):
    return (now or db_now()).replace(microsecond=0)


def lookup(siret):
    """What a SIRET leads to: ACCOUNT, SHEET, PENDING, TAKEN or CLOSED (see the module's docstring)."""
    organisation = Organisation.get_or_none(Organisation.siret == normalize_siret(siret))
    if organisation is None:
        return SHEET
    if organisation.status == OrganisationStatus.PENDING:
        return PENDING
    if organisation.status != OrganisationStatus.ACTIVE:
        return CLOSED
    if (User.select().where(User.registered_for == organisation.id).exists()
            or Membership.select().where(Membership.organisation == organisation.id).exists()):
        return TAKEN
    return ACCOUNT


def _email_taken(email):
    return User.select().where(fn.LOWER(User.email) == email).exists()


def _tell_email_taken(email, link_for_login):
    text, html = render_email("account_exists", login_url=link_for_login())
    send_email(email, "Votre adresse a déjà un compte — Portail CFA", text, html)


def _create_requester(organisation, email, password_hash):
    user = User.create(email=email, password_hash=password_hash, kind="cfa", active=True,
                       email_confirmed_at=None, registered_for=organisation.id)
    Membership.create(user=user, organisation=organisation, role="admin_of", **{name: True for name, _ in RIGHTS})
    record("user", user.id, "self_register", after=user, user=user,
           note=f"Compte créé par inscription avec le SIRET {organisation.siret} : administrateur OF, six droits, "
                "en attente d'activation.")
    return user


def _send_activation(user, link_for, now):
    secret = tokens.issue(user, "activation", ACTIVATION_LIFETIME, now=now)
    until = now + ACTIVATION_LIFETIME
    text, html = render_email("activation", link=link_for(secret), until=until)
    send_email(user.email, "Activez votre compte — Portail CFA", text, html)


def _register(siret, expected, email, password, links, now, create_organisation, tell):
    """The part both paths share: checks again under the write lock, then requester, audit and emails."""
    password_hash = _password_hash(password)  # raises PasswordRefused; slow, so before the lock
    email = normalize_email(email)
    now = _now(now)
    try:
        with immediate_transaction():
            outcome = lookup(siret)
            if outcome != expected:
                raise RegistrationRefused(outcome)
            if _email_taken(email):
                _tell_email_taken(email, links["login"])
                return None
            organisation = create_organisation()
            user = _create_requester(organisation, email, password_hash)
            _send_activation(user, links["activation"], now)
            tell(organisation, user)
            return user
    except IntegrityError:  # a simultaneous registration of the same SIRET or email won the race
        outcome = lookup(siret)
        if outcome != expected:
            raise RegistrationRefused(outcome) from None
        if not _email_taken(email):
            raise
        with immediate_transaction():
            _tell_email_taken(email, links["login"])
        return None


def register_account(siret, email, password, links, now=None):
    """*Création de compte* for a known active organisation; return the user (None: the email had an account).

    `links` maps "activation" to `f(secret) -> URL` and "login" to `f() -> URL`. Raises PasswordRefused or
    RegistrationRefused. The organisation's own address, when it has one, is told an account was created.
    """
    def tell(org, user):
        if org.email and org.email.lower() != user.email:
            text, html = render_email("registration_claimed", organisation=org.name, siret=org.siret,
                                      email=user.email)
            send_email(org.email, "Un compte a été créé pour votre organisme — Portail CFA", text, html)

    return _register(siret, ACCOUNT, email, password, links, now,
                     lambda: Organisation.get(Organisation.siret == normalize_siret(siret)), tell)


def register_organisation(siret, sheet, email, password, links, now=None):
    """The registration sheet of an unknown organisation: it is created *pending* with its requester; return
    the user (None: the email had an account, nothing created). Raises PasswordRefused or RegistrationRefused."""
    values = {name: sheet[name] for name in SHEET_FIELDS if name in sheet}
    for name, normalize in NORMALIZE.items():
        if isinstance(values.get(name), str):
            values[name] = normalize(values[name])

    def create():
        return Organisation.create(siret=normalize_siret(siret), status=OrganisationStatus.PENDING.value, **values)

    def tell(org, user):
        record("organisation", org.id, "register", after=org, user=user,
               note="Inscription demandée par le portail (fiche de renseignement) : à valider par l'OPCO.")
        text, html = render_email("registration_received", organisation=org.name, siret=org.siret)
        send_email(user.email, "Demande d'inscription reçue — Portail CFA", text, html)

    return _register(siret, SHEET, email, password, links, now, create, tell)


def resend_activation(email, link_for, now=None):
    """Email a new activation link to an account awaiting activation; nothing otherwise (same answer)."""
    email = normalize_email(email)
    user = User.select().where((fn.LOWER(User.email) == email) & (User.active == True)  # noqa: E712
                               & User.registered_for.is_null(False) & User.email_confirmed_at.is_null()).first()
    if user is None:
        return
    now = _now(now)
    with immediate_transaction():
        _send_activation(user, link_for, now)


def activate(secret, now=None):
    """Follow an activation link: the email is confirmed, the link used; return the user. Raises TokenInvalid."""
    now = _now(now)
    with immediate_transaction():
        token = tokens.consume(secret, "activation", now)
        user = User.get_by_id(token.user_id)
        if not user.active:
            raise tokens.TokenInvalid("unknown")
        if user.email_confirmed_at is None:
            User.update(email_confirmed_at=now).where(User.id == user.id).execute()
            record("user", user.id, "activate", {"email_confirmed_at": None}, {"email_confirmed_at": now},
                   user=user, note="Compte activé par le lien envoyé par e-mail.")
    return User.get_by_id(user.id)


def sign_in_refusal(user):
    """Why an account with the right password may not sign in yet: "not_activated", "pending", "refused" or None."""
    if user.awaiting_activation:
        return "not_activated"
    if user.registered_for_id is not None:
        status = Organisation.select(Organisation.status).where(Organisation.id == user.registered_for_id).scalar()
        if status == OrganisationStatus.PENDING:
            return "pending"
        if status == OrganisationStatus.REFUSED:
            return "refused"
    return None


def requesters(organisation):
    return list(User.select().where(User.registered_for == organisation.id).order_by(User.id))


def validate_registration(organisation, actor, login_url):
    """Staff validate a pending registration (transition table); the requester is emailed."""
    def tell(row):
        for user in requesters(row):
            text, html = render_email("registration_validated", organisation=row.name, siret=row.siret,
                                      login_url=login_url, awaiting_activation=user.awaiting_activation)
            send_email(user.email, "Inscription validée — Portail CFA", text, html)
        return "Demandeur informé par e-mail."

    return apply(ORGANISATION, "valider_inscription", organisation, actor, within=tell)


def refuse_registration(organisation, reason, actor):
    """Staff refuse a pending registration with a reason (required), emailed to the requester."""
    reason = (reason or "").strip()

    def tell(row):
        for user in requesters(row):
            text, html = render_email("registration_refused", organisation=row.name, siret=row.siret, reason=reason)
            send_email(user.email, "Inscription refusée — Portail CFA", text, html)
        return "Demandeur informé par e-mail."

    return apply(ORGANISATION, "refuser_inscription", organisation, actor, reason=reason, within=tell)
