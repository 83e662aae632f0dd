"""Users and rights of a CFA (seed 003 *Gestion des utilisateurs*, seed 004 *Utilisateurs*).

An administrator OF manages the users of the establishments they administer: the active organisations where
their own membership is `admin_of` (whichever one is picked in the header). A gestionnaire OF reads the users
of the organisation picked in the header. Rights are granted establishment by establishment (a role and at
least one of the six rights each); nothing outside the administrator's establishments can be granted, read or
changed (`OutOfScope`, a 403/404 for the view).

A new user is invited: no password, a link valid INVITATION_LIFETIME, single use, that sets the password and
confirms the email. An organisation always keeps one active administrator OF — a user who can sign in
(active, password set) — so nobody removes, demotes or deactivates the last one.
Every change writes one audit entry in its transaction; deactivation and reactivation run the USER machine.
"""
import datetime as dt
from dataclasses import dataclass

from peewee import IntegrityError, fn

from access.permissions import can
from access.scope import Scope
from infrastructure.mail import render_email
from infrastructure.numbering import immediate_transaction
from models import Membership, Organisation, User, is_postgres, now as db_now
from models.states import OrganisationStatus
from models.user import MEMBERSHIP_ROLES, RIGHTS
from workflows import tokens
from workflows.audit import record
from workflows.deactivation import USER_ACTIVITY, change_activity
from workflows.notify import send_email
from workflows.password_reset import set_password_by_link
from workflows.transitions import TransitionRefused

INVITATION_LIFETIME = dt.timedelta(hours=24)
ADMIN_OF = "admin_of"
ROLE_LABELS = dict(MEMBERSHIP_ROLES)
RIGHT_LABELS = dict(RIGHTS)
RIGHT_NAMES = tuple(RIGHT_LABELS)
AT_LEAST_ONE_RIGHT = "Vous devez renseigner un droit d'accès au minimum"
# The same words whatever holds the address (another organisation's user, an OPCO or employer account).
EMAIL_REFUSED = ("Cette adresse e-mail ne peut pas être utilisée pour un nouvel utilisateur. Choisissez-en une "
                 "autre ; si cette personne doit accéder à plusieurs organismes, contactez l'OPCO.")
ALREADY_YOURS = ("Cette adresse e-mail est déjà celle d'un de vos utilisateurs : ouvrez sa fiche pour modifier "
                 "ses droits.")


class UsersRefused(Exception):
    """A change refused for a reason the administrator can read (French)."""


class OutOfScope(UsersRefused):
    """An organisation or a user outside the actor's establishments: the view answers 403/404."""

    def __init__(self, message="Action non autorisée."):
        super().__init__(message)


@dataclass(frozen=True)
class Grant:
    """A user's access to one establishment: a role and the rights held there."""
    role: str
    rights: frozenset

    def describe(self):
        rights = ", ".join(RIGHT_LABELS[r] for r in RIGHT_NAMES if r in self.rights)
        return f"{ROLE_LABELS.get(self.role, self.role)} : {rights}"


def grant_of(membership):
    return Grant(membership.role, frozenset(r for r in RIGHT_NAMES if getattr(membership, r)))


# --- who sees and manages whom --------------------------------------------------------------------------

def may_manage(scope):
    """An administrator OF of the organisation picked in the header (a signed-in user, never an API key)."""
    return scope.kind == "cfa" and scope.user is not None and can(scope, "user.manage")


def may_read(scope):
    return scope.kind == "cfa" and scope.user is not None and can(scope, "user.read")


def administered(scope):
    """The active organisations where the scope's user is administrator OF, by name (none if not a manager)."""
    if not may_manage(scope):
        return []
    return list(Organisation.select().join(Membership)
                .where((Membership.user == scope.user.id) & (Membership.role == ADMIN_OF)
                       & (Organisation.status == OrganisationStatus.ACTIVE))
                .order_by(Organisation.name, Organisation.id))


def visible_organisations(scope):
    """Whose users the scope lists: the administered establishments, or the header's organisation (read-only)."""
    if may_manage(scope):
        return administered(scope)
    if may_read(scope):
        return list(Organisation.select().where(Organisation.id == scope.organisation_id))
    return []


def users(scope, last_name="", first_name="", email="", active=None, organisations=None):
    """CFA users with a membership in the scope's visible organisations, filtered (parts of the names and the
    email, any case), sorted by name."""
    organisations = organisations if organisations is not None else visible_organisations(scope)
    ids = [o.id for o in organisations]
    if not ids:
        return User.select().where(User.id == -1)
    members = Membership.select(Membership.user).where(Membership.organisation.in_(ids))
    query = User.select().where((User.kind == "cfa") & User.id.in_(members))
    for column, value in ((User.last_name, last_name), (User.first_name, first_name), (User.email, email)):
        value = (value or "").strip()
        if value:
            query = query.where(column.contains(value))
    if active is not None:
        query = query.where(User.active == bool(active))
    return query.order_by(fn.LOWER(User.last_name), fn.LOWER(User.first_name), User.id)


def get_user(scope, user_id, organisations=None):
    """One user of the scope's visible organisations, or None (never a hint that it exists elsewhere)."""
    return users(scope, organisations=organisations).where(User.id == user_id).first()


def memberships_in(user, organisations):
    """The user's memberships of `organisations` (a list), by organisation name."""
    ids = [o.id for o in organisations]
    return list(Membership.select(Membership, Organisation).join(Organisation)
                .where((Membership.user == user.id) & Membership.organisation.in_(ids))
                .order_by(Organisation.name, Organisation.id))


def memberships_by_user(users_, organisations):
    """{user id: [their memberships of `organisations`]} for a page of the list (one query)."""
    found = {}
    if not users_ or not organisations:
        return found
    for m in (Membership.select(Membership, Organisation).join(Organisation)
              .where(Membership.user.in_([u.id for u in users_])
                     & Membership.organisation.in_([o.id for o in organisations]))
              .order_by(Organisation.name, Organisation.id)):
        found.setdefault(m.user_id, []).append(m)
    return found


def invitation_pending(user):
    """Invited but the password was never chosen: the administrator may send the link again."""
    return user.active and not user.password_hash


# --- checks ---------------------------------------------------------------------------------------------

def _managed(scope):
    organisations = administered(scope)
    if not organisations:
        raise OutOfScope("Seul un administrateur OF gère les utilisateurs.")
    return {o.id: o for o in organisations}


def checked_grants(grants, organisations):
    """{organisation id: Grant} of the establishments given access; raise OutOfScope for an organisation outside
    `organisations` (a dict by id) or an unknown role or right, UsersRefused when no right at all is given."""
    checked = {}
    for org_id, grant in (grants or {}).items():
        if org_id not in organisations:
            raise OutOfScope()
        if grant is None:
            continue
        if grant.role not in ROLE_LABELS or not set(grant.rights) <= set(RIGHT_NAMES):
            raise OutOfScope()
        if not grant.rights:
            raise UsersRefused(f"{AT_LEAST_ONE_RIGHT} pour {organisations[org_id].name}.")
        checked[org_id] = Grant(grant.role, frozenset(grant.rights))
    if not checked:
        raise UsersRefused(f"{AT_LEAST_ONE_RIGHT}.")
    return checked


def check_new_email(scope, email):
    """Raise UsersRefused when `email` already opens an account (one answer whatever holds it outside the
    administrator's establishments); return it normalised."""
    organisations = _managed(scope)
    email = (email or "").strip().lower()
    existing = User.select().where(fn.LOWER(User.email) == email).first()
    if existing is None:
        return email
    if memberships_in(existing, list(organisations.values())):
        raise UsersRefused(ALREADY_YOURS)
    raise UsersRefused(EMAIL_REFUSED)


def _lock(organisation_ids):
    """Serialise changes of the organisations' administrators (SQLite: the immediate transaction already does)."""
    if is_postgres():
        list(Organisation.select(Organisation.id).where(Organisation.id.in_(list(organisation_ids)))
             .order_by(Organisation.id).for_update())


def _other_admins(organisation_id, user_id):
    """Active administrators OF of the organisation, other than `user_id`, who can sign in."""
    return (Membership.select().join(User)
            .where((Membership.organisation == organisation_id) & (Membership.role == ADMIN_OF)
                   & (User.active == True) & (User.password_hash != "") & (User.id != user_id))  # noqa: E712
            .count())


def _keep_one_admin(user, organisations):
    """Refuse when `user` is the last active administrator OF of one of `organisations` (a list)."""
    if not (user.active and user.password_hash):
        return  # not counted as an administrator: removing them leaves the others as they are
    for organisation in organisations:
        if _other_admins(organisation.id, user.id) == 0:
            raise UsersRefused(f"{organisation.name} doit garder au moins un administrateur OF actif : nommez-en "
                               "un autre avant de retirer ce rôle ou de désactiver cet utilisateur.")


# --- changes --------------------------------------------------------------------------------------------

def _audit_rights(before, after, organisations):
    """The changed establishments as {'droits_<siret>': 'Rôle : droits'} (None: no access)."""
    keys = sorted(set(before) | set(after), key=lambda i: organisations[i].name)
    changed = [i for i in keys if before.get(i) != after.get(i)]
    describe = lambda grants, i: grants[i].describe() if i in grants else None  # noqa: E731
    return ({f"droits_{organisations[i].siret}": describe(before, i) for i in changed},
            {f"droits_{organisations[i].siret}": describe(after, i) for i in changed})


def _send_invitation(user, inviter, organisations, link, until):
    text, html = render_email("invitation", first_name=user.first_name, inviter=inviter.full_name,
                              organisations=[o.name for o in organisations], link=link,
                              until=f"{until:%d/%m/%Y} à {until:%H:%M}")
    send_email(user.email, "Invitation au Portail CFA", text, html)


def invite(scope, last_name, first_name, email, grants, link_for, now=None):
    """Create a CFA user with `grants` ({organisation id: Grant}) and email them an invitation; return the user.

    `link_for(secret)` builds the absolute URL of the invitation page.
    """
    organisations = _managed(scope)
    grants = checked_grants(grants, organisations)
    now = (now or db_now()).replace(microsecond=0)
    last_name, first_name = (last_name or "").strip(), (first_name or "").strip()
    try:
        with immediate_transaction():
            email = check_new_email(scope, email)
            user = User.create(email=email, last_name=last_name, first_name=first_name, kind="cfa",
                               password_hash="", active=True)
            for org_id, grant in grants.items():
                Membership.create(user=user, organisation=org_id, role=grant.role,
                                  **{r: r in grant.rights for r in RIGHT_NAMES})
            secret = tokens.issue(user, "invitation", INVITATION_LIFETIME, now=now)
            _, after = _audit_rights({}, grants, organisations)
            record("user", user.id, "invite", None,
                   {"email": email, "last_name": last_name, "first_name": first_name, **after}, user=scope,
                   note="Utilisateur invité : lien valable 24 heures envoyé par e-mail.")
            _send_invitation(user, scope.user, [organisations[i] for i in grants], link_for(secret),
                             now + INVITATION_LIFETIME)
    except IntegrityError:  # the same address created meanwhile by another request
        raise UsersRefused(EMAIL_REFUSED) from None
    return user


def _target(scope, user, organisations):
    """The user as stored, if one of `organisations` (a dict) is theirs; else OutOfScope."""
    found = get_user(scope, getattr(user, "id", user), organisations=list(organisations.values()))
    if found is None:
        raise OutOfScope()
    return found


def change_rights(scope, user, grants):
    """Set the user's access to the administrator's establishments: {organisation id: Grant or None}.

    Establishments left out keep their access; None removes it. Return True when something changed.
    """
    organisations = _managed(scope)
    new = checked_grants(grants, organisations)
    with immediate_transaction():
        _lock(organisations)
        user = _target(scope, user, organisations)
        current = {m.organisation.id: m for m in memberships_in(user, list(organisations.values()))}
        before = {i: grant_of(m) for i, m in current.items()}
        after = {**before, **new}
        for org_id, grant in (grants or {}).items():
            if grant is None:
                after.pop(org_id, None)
        if before == after:
            return False
        losing = [organisations[i] for i, g in before.items()
                  if g.role == ADMIN_OF and (i not in after or after[i].role != ADMIN_OF)]
        _keep_one_admin(user, losing)
        for org_id in set(before) | set(after):
            if before.get(org_id) == after.get(org_id):
                continue
            if org_id not in after:
                Membership.delete().where(Membership.id == current[org_id].id).execute()
            elif org_id in current:
                Membership.update(role=after[org_id].role, **{r: r in after[org_id].rights for r in RIGHT_NAMES}) \
                    .where(Membership.id == current[org_id].id).execute()
            else:
                Membership.create(user=user, organisation=org_id, role=after[org_id].role,
                                  **{r: r in after[org_id].rights for r in RIGHT_NAMES})
        old, changed = _audit_rights(before, after, organisations)
        record("user", user.id, "change_rights", old, changed, user=scope)
    return True


def _acting_scope(scope, user, organisations):
    """The administrator's scope in an establishment of `user` (the USER machine checks that organisation).

    The whole account is switched on or off: every organisation it opens must be one the administrator manages.
    """
    all_ids = {m.organisation_id for m in Membership.select().where(Membership.user == user.id)}
    if not all_ids <= set(organisations):
        raise UsersRefused("Ce compte donne aussi accès à des organismes que vous n'administrez pas : seul l'OPCO "
                           "peut le désactiver ou le réactiver.")
    membership = (Membership.select().where((Membership.user == scope.user.id) & (Membership.role == ADMIN_OF)
                                            & Membership.organisation.in_(sorted(all_ids)))
                  .order_by(Membership.organisation).first())
    return Scope.of_membership(membership, user=scope.user), [organisations[i] for i in sorted(all_ids)]


def deactivate(scope, user):
    """Switch the account off: every open session ends at once (new session token), open links are revoked."""
    organisations = _managed(scope)
    with immediate_transaction():
        _lock(organisations)
        user = _target(scope, user, organisations)
        if user.id == scope.user.id:
            raise UsersRefused("Vous ne pouvez pas désactiver votre propre compte.")
        actor, theirs = _acting_scope(scope, user, organisations)
        admin_of = {m.organisation_id for m in Membership.select().where(
            (Membership.user == user.id) & (Membership.role == ADMIN_OF))}
        _keep_one_admin(user, [o for o in theirs if o.id in admin_of])
        try:
            row = change_activity(USER_ACTIVITY, "desactiver", user, actor)
        except TransitionRefused as refused:
            raise UsersRefused(_sentence(refused)) from None
        tokens.revoke_open_tokens(user.id)
    return row


def reactivate(scope, user):
    organisations = _managed(scope)
    with immediate_transaction():
        user = _target(scope, user, organisations)
        actor, _ = _acting_scope(scope, user, organisations)
        try:
            return change_activity(USER_ACTIVITY, "reactiver", user, actor)
        except TransitionRefused as refused:
            raise UsersRefused(_sentence(refused)) from None


def _sentence(refused):
    text = str(refused)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def resend_invitation(scope, user, link_for, now=None):
    """A new invitation link (the older ones stop working) for a user who never chose a password."""
    organisations = _managed(scope)
    now = (now or db_now()).replace(microsecond=0)
    with immediate_transaction():
        user = _target(scope, user, organisations)
        if not invitation_pending(user):
            raise UsersRefused("Ce compte n'attend pas d'invitation : s'il est actif, l'utilisateur choisit un "
                               "nouveau mot de passe avec « Mot de passe oublié ».")
        secret = tokens.issue(user, "invitation", INVITATION_LIFETIME, now=now)
        record("user", user.id, "resend_invitation", user=scope, note="Nouveau lien d'invitation envoyé.")
        theirs = [m.organisation for m in memberships_in(user, list(organisations.values()))]
        _send_invitation(user, scope.user, theirs, link_for(secret), now + INVITATION_LIFETIME)


def invited_user(secret, now=None):
    """The active user an open invitation link belongs to; raise tokens.TokenInvalid otherwise."""
    token = tokens.check(secret, "invitation", now)
    user = User.get_or_none(User.id == token.user_id)
    if user is None or not user.active:
        raise tokens.TokenInvalid("unknown")
    return user


def accept_invitation(secret, password, now=None):
    """Set the invited user's password through the link: the email is confirmed, nobody is signed in.

    Raise PasswordRefused (the link stays usable) or tokens.TokenInvalid.
    """
    invited_user(secret, now)

    def confirm_email(user, now):
        User.update(email_confirmed_at=now).where(User.id == user.id).execute()
        record("user", user.id, "accept_invitation", {"email_confirmed_at": None},
               {"email_confirmed_at": now}, user=user, note="Invitation acceptée : mot de passe choisi.")

    user = set_password_by_link(secret, "invitation", password, confirm_email, now)
    return User.get_by_id(user.id)
