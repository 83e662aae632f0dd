"""API keys from the command line, for the OPCO's operators: create (the raw key printed once), revoke, list;
and the daily expiry warning (`warn-api-keys`, from cron). Audited as « système », noted « ligne de commande »."""
import datetime as dt

import click
from flask.cli import AppGroup

from infrastructure.formatting import date_fr

STATE_LABELS = {"active": "active", "expiree": "expirée", "revoquee": "révoquée"}


def _organisation(siret):
    from models import Organisation

    organisation = Organisation.get_or_none(Organisation.siret == siret.replace(" ", ""))
    if organisation is None:
        raise click.ClickException(f"Aucun organisme n'a le SIRET {siret}.")
    return organisation


def register_api_key_cli(app):
    group = AppGroup("api-key", help="Créer, révoquer et lister les clés API des organismes.")

    @group.command("create")
    @click.option("--siret", required=True, help="SIRET de l'établissement.")
    @click.option("--name", required=True, help="Nom de la clé (le logiciel qui l'utilisera).")
    def create(siret, name):
        """Create a key and print it once: it is never shown again."""
        from models.states import OrganisationStatus
        from workflows.api_keys import ApiKeyRefused, create_by_operator

        organisation = _organisation(siret)
        if organisation.status != OrganisationStatus.ACTIVE:
            raise click.ClickException(f"{organisation.name} ({organisation.siret}) n'est pas actif : "
                                       f"aucune clé ne peut lui être délivrée.")
        try:
            key, raw = create_by_operator(organisation, name)
        except ApiKeyRefused as refused:
            raise click.ClickException(str(refused)) from None
        click.echo(f"Clé « {key.name} » créée pour {organisation.name} ({organisation.siret}), "
                   f"valable jusqu'au {date_fr(key.expires_at)} (préfixe {key.prefix}).")
        click.echo("Elle ne sera plus jamais affichée : transmettez-la maintenant par un canal sûr.")
        click.echo(raw)

    @group.command("revoke")
    @click.option("--prefix", default="", help="Préfixe de la clé (pcfa_ et 7 caractères).")
    @click.option("--id", "key_id", type=int, default=None, help="Identifiant de la clé.")
    def revoke(prefix, key_id):
        """Revoke one key, named by its prefix or its id."""
        from models import ApiKey
        from workflows.api_keys import revoke as revoke_key

        if bool(prefix) == (key_id is not None):
            raise click.UsageError("Indiquez --prefix ou --id (l'un des deux).")
        query = ApiKey.select().where(ApiKey.prefix == prefix.strip()) if prefix else \
            ApiKey.select().where(ApiKey.id == key_id)
        found = list(query.limit(2))
        if not found:
            raise click.ClickException("Aucune clé ne correspond.")
        if len(found) > 1:
            raise click.ClickException("Plusieurs clés ont ce préfixe : révoquez-la par son identifiant (--id).")
        key = found[0]
        if revoke_key(key, None, note=f"{key.prefix} ({key.name}), ligne de commande"):
            click.echo(f"Clé {key.prefix} « {key.name} » révoquée.")
        else:
            click.echo(f"La clé {key.prefix} « {key.name} » était déjà révoquée.")

    @group.command("list")
    @click.option("--siret", default="", help="Seulement les clés de cet établissement.")
    def list_keys(siret):
        """List the keys (never the keys themselves): id, prefix, name, organisation, dates, state."""
        from models import ApiKey, Organisation
        from workflows.api_keys import state_of

        query = (ApiKey.select(ApiKey, Organisation).join(Organisation)
                 .order_by(Organisation.siret, ApiKey.created_at, ApiKey.id))
        if siret:
            query = query.where(ApiKey.organisation == _organisation(siret).id)
        count = 0
        for key in query:
            used = date_fr(key.last_used_at) if key.last_used_at else "jamais"
            click.echo(f"{key.id}\t{key.prefix}\t{key.name}\t{key.organisation.siret} {key.organisation.name}\t"
                       f"créée le {date_fr(key.created_at)}\texpire le {date_fr(key.expires_at)}\t"
                       f"utilisée : {used}\t{STATE_LABELS[state_of(key)]}")
            count += 1
        click.echo(f"{count} clé(s).")

    app.cli.add_command(group)

    @app.cli.command("warn-api-keys")
    def warn_api_keys():
        """Run daily (cron): warn the administrators OF of each key expiring within 30 days, once per key."""
        from workflows.api_keys import warn_expiring_keys

        count = warn_expiring_keys(dt.datetime.now(), site_url=app.config.get("SITE_URL", ""))
        click.echo(f"{count} clé(s) API expirant dans les 30 jours signalée(s) à leurs administrateurs.")
        if count and app.config.get("MAIL_SERVER"):
            from infrastructure.mail import drain_outbox
            sent, failed = drain_outbox(app.config)
            click.echo(f"{sent} email(s) envoyé(s), {failed} en échec (nouvel essai au prochain envoi).")
