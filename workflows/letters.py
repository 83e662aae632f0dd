"""Letters (*courriers*) sent to the CFA about a dossier: rendered as PDF, stored, listed, notified.

One template per kind, ``templates/pdf/letter_<kind>.html`` extending
``pdf/letter_layout.html`` (OPCO header, dossier number, CFA, employer,
apprentice). Any workflow can issue a new kind of letter by adding a template
and calling ``issue_letter``.
"""
import datetime as dt

from models import Apprentice, Employer, Letter, Organisation, User
from workflows.audit import actor_user
from workflows.notify import notify_organisation
from infrastructure.pdf import render_pdf
from infrastructure.storage import get_storage

LETTER_TITLES = {
    "accord": "Courrier d'accord de prise en charge",
    "relance": "Courrier de relance – pièces manquantes",
    "refus": "Courrier de refus de prise en charge",
    "rupture": "Courrier de rupture",
    "avenant": "Courrier d'avenant",
}


def letter_title(kind):
    return LETTER_TITLES.get(kind, f"Courrier ({kind})")


def signatory_of(dossier):
    """Who signs a letter about `dossier`: the OPCO advisor in charge of it, or None (the OPCO signs alone).

    Never the user whose action issued the letter: a CFA user declaring a rupture is not the advisor.
    """
    if not dossier.advisor_id:
        return None
    advisor = User.get_or_none(User.id == dossier.advisor_id)
    return advisor if advisor is not None and advisor.kind == "staff" else None


def issue_letter(dossier, kind, context=None, title=None, user=None, stored_files=None):
    """Render, store and record a letter about `dossier`, and notify its CFA.

    Call inside the transaction of the change the letter announces. The PDF is
    written to storage first; pass a list as `stored_files` to learn its name so
    the caller can delete it if the transaction is rolled back.
    """
    user = actor_user(user)
    title = title or letter_title(kind)
    issued_at = dt.datetime.now().replace(microsecond=0)
    organisation = Organisation.get_by_id(dossier.organisation_id)
    employer = Employer.get_by_id(dossier.employer_id)
    apprentice = Apprentice.get_by_id(dossier.apprentice_id)
    pdf = render_pdf(f"pdf/letter_{kind}.html", dossier=dossier, organisation=organisation, employer=employer,
                     apprentice=apprentice, title=title, issued_at=issued_at, generated_at=issued_at,
                     signatory=signatory_of(dossier), **(context or {}))
    stored_name, sha256, size = get_storage().save(pdf, suffix=".pdf")
    if stored_files is not None:
        stored_files.append(stored_name)
    letter = Letter.create(dossier=dossier.id, kind=kind, title=title, stored_name=stored_name, sha256=sha256,
                           size=size, issued_at=issued_at, created_by=user.id if user else None)
    notify_organisation(organisation.id, f"Dossier {dossier.number} : {title.lower()} disponible.",
                        dossier=dossier.id, category="courrier")
    return letter


def letter_filename(letter, dossier_number):
    return f"courrier-{letter.kind}-{dossier_number}-{letter.issued_at:%Y%m%d}.pdf"


def read_letter(letter):
    return get_storage().read(letter.stored_name)
