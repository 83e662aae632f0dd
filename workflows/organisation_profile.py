"""The organisation's profile (seed 003 *Fiche OF*, SPEC §3): what an admin OF may change, and the audit of it.

SIRET, OPCO reference, status, settlement mode and the registration answers stay out of reach: only the
fields in EDITABLE are written, whatever a form posts. One audit entry per change, with the changed fields
only, so the log reads as "who changed what from what to what".
"""
from access.permissions import can
from models import Organisation
from rules.identifiers import normalize_email, normalize_postal_code, normalize_uai
from workflows.audit import record

EDITABLE = (
    "name", "name_suite", "street", "street_suite", "postal_code", "city", "phone", "email", "uai", "da_number",
    "vat_liable", "contact_civility", "contact_last_name", "contact_first_name", "contact_function",
    "contact_phone", "contact_email", "esignature",
)
CIVILITIES = [("", "—"), ("M.", "M."), ("Mme", "Mme")]
NORMALIZE = {"uai": normalize_uai, "postal_code": normalize_postal_code, "email": normalize_email,
             "contact_email": normalize_email}


class ProfileRefused(PermissionError):
    """The actor may not change this organisation's profile; the message is French."""


def may_edit(scope, organisation):
    """The admin OF of the organisation picked in the header, and nobody else."""
    return can(scope, "organisation.admin", organisation)


def update_profile(scope, organisation, values):
    """Write the editable fields of `values` that differ; return the changed field names (empty: nothing done)."""
    if not may_edit(scope, organisation):
        raise ProfileRefused("Seul l'administrateur de l'organisme peut modifier sa fiche.")
    changes = {}
    for field in EDITABLE:
        if field not in values:
            continue
        value = values[field]
        if isinstance(value, str):
            value = value.strip()
            value = NORMALIZE.get(field, lambda v: v)(value)
        if getattr(organisation, field) != value:
            changes[field] = value
    if not changes:
        return []
    with Organisation._meta.database.atomic():
        before = {field: getattr(organisation, field) for field in changes}
        Organisation.update(**changes).where(Organisation.id == organisation.id).execute()
        for field, value in changes.items():
            setattr(organisation, field, value)
        record("organisation", organisation.id, "update_profile", before=before, after=dict(changes), user=scope)
    return sorted(changes)
