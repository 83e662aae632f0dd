"""Demo registrations: one organisation the OPCO knows with no account yet (to try *Pas de compte ?* with its
SIRET) and one registration sheet waiting for the OPCO's decision, sent through workflows.registration."""
from flask import current_app

from infrastructure import signed_links
from models import Organisation
from workflows import registration

KNOWN_WITHOUT_ACCOUNT = dict(siret="51234567900017", name="CFA Est Formation", street="4 rue des Tanneurs",
                             postal_code="67000", city="Strasbourg", email="contact@cfa-est.test", uai="0671234C",
                             da_number="42670123467")
PENDING_SIRET = "79845612500029"
PENDING_REQUESTER = "direction@cfa-rail.test"
PENDING_SHEET = dict(
    opco_reference="", name="Les Compagnons du Rail", name_suite="CFA ferroviaire", street="18 quai de la Gare",
    street_suite="", postal_code="69007", city="Lyon", phone="04 72 00 11 22", email="contact@cfa-rail.test",
    is_fpc_provider=False, is_cfa=True, da_number="CFA", for_profit=False, vat_liable=False,
    contact_civility="Mme", contact_last_name="Garnier", contact_first_name="Hélène", contact_phone="06 12 34 56 78",
    contact_email=PENDING_REQUESTER, contact_function="Directrice", zone="Auvergne-Rhône-Alpes",
    registration_comment="Nouveau CFA ouvert à la rentrée 2026 : maintenance ferroviaire.")


def _links():
    site = current_app.config["SITE_URL"]
    return {"activation": lambda secret: f"{site}/activer/{signed_links.sign(secret, 'activation')}",
            "login": lambda: f"{site}/connexion"}


def add_registrations(password, now):
    """The known organisation without account, and the pending registration with its requester."""
    Organisation.create(status="active", is_cfa=True, **KNOWN_WITHOUT_ACCOUNT)
    registration.register_organisation(PENDING_SIRET, PENDING_SHEET, PENDING_REQUESTER, password, _links(), now=now)
