"""Command-line tasks: `flask --app app <command>`."""
import datetime as dt
from pathlib import Path

import click

import models


def register_cli(app):
    @app.cli.command("init-db")
    def init_db():
        """Create the tables (idempotent) and apply pending migrations."""
        models.create_schema()
        click.echo("Base de données prête.")

    @app.cli.command("migrate")
    def migrate():
        """Apply pending schema migrations."""
        ran = models.migrate_schema()
        click.echo(f"{ran} migration(s) appliquée(s).")

    @app.cli.command("optimize-db")
    def optimize_db():
        """Refresh the query planner's statistics (SQLite: ANALYZE once, then PRAGMA optimize; PostgreSQL:
        ANALYZE). Run after a bulk load and periodically (daily)."""
        ran = models.refresh_planner_statistics(full=True)
        click.echo(f"Statistiques du planificateur à jour ({', '.join(ran)}).")

    @app.cli.command("create-staff")
    @click.option("--email", required=True)
    @click.option("--password", required=True)
    @click.option("--role", type=click.Choice(["conseiller", "comptable", "admin"]), default="admin")
    @click.option("--first-name", default="")
    @click.option("--last-name", default="")
    def create_staff(email, password, role, first_name, last_name):
        """Create an OPCO staff user."""
        from infrastructure.passwords import hash_password
        models.create_schema()
        models.User.create(email=email.strip().lower(), password_hash=hash_password(password), kind="staff",
                           staff_role=role, first_name=first_name, last_name=last_name)
        click.echo(f"Utilisateur {email} créé ({role}).")

    @app.cli.command("backup")
    @click.argument("target_dir", required=False)
    def backup(target_dir):
        """Archive the SQLite database, the uploaded files and the secret key (default folder: DATA_DIR/sauvegardes)."""
        from commands.backup import create_backup
        folder = target_dir or str(Path(app.config["DATA_DIR"]) / "sauvegardes")
        archive, contents = create_backup(app.config, folder)
        click.echo(f"Sauvegarde écrite dans {archive} : {', '.join(contents)}.")
        if "base de données" not in contents:
            click.echo("La base PostgreSQL n'est pas dans l'archive : sauvegardez-la avec pg_dump.")
        if app.config.get("STORAGE_URL"):
            click.echo("Les fichiers déposés sont dans le seau S3, pas dans l'archive : sauvegardez-le chez le "
                       "fournisseur (versionnement, réplication).")

    @app.cli.command("restore")
    @click.argument("archive")
    @click.option("--force", is_flag=True, help="Remplacer la base et la clé existantes.")
    def restore(archive, force):
        """Put back a backup made by `backup` (stop the application first)."""
        from commands.backup import BackupError, restore_backup
        models.db.close()
        try:
            restored = restore_backup(app.config, archive, force=force)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Restauré : {', '.join(restored)}. Redémarrez l'application.")

    @app.cli.command("check")
    def check():
        """Check the ledger's invariants: print each anomaly in French, exit 1 when there is any."""
        from workflows import integrity
        found = integrity.problems()
        for problem in found:
            click.echo(problem.message)
        if found:
            click.echo(f"{len(found)} anomalie(s) trouvée(s).")
            raise SystemExit(1)
        click.echo(f"Contrôle d'intégrité : aucune anomalie ({integrity.summary()}).")

    @app.cli.command("rebuild-counters")
    def rebuild_counters():
        """Recount the dashboard counters from the dossiers (after `check` reported them wrong)."""
        from models import DossierCounter, db
        from workflows.installments import refresh_all_due_dates
        total = DossierCounter.rebuild()
        with db.atomic():
            refresh_all_due_dates()
        click.echo(f"Compteurs du tableau de bord recalculés : {total} dossier(s) comptés ; "
                   f"prochaines échéances à facturer recalculées.")

    @app.cli.command("import-npec")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def import_npec(path):
        """Import France compétences' NPEC referential (CSV or XLSX) and its IDCC → CPNE table."""
        from workflows.npec_import import ReferentialError, import_referential
        try:
            report = import_referential(Path(path).name, Path(path).read_bytes())
        except ReferentialError as exc:
            raise click.ClickException(str(exc))
        click.echo(report.summary())
        for table, line, reason in report.rejected:
            click.echo(f"  {table}, ligne {line} : {reason}")

    @app.cli.command("overdue-credit-notes")
    @click.option("--date", "on", default="", help="Jour de référence (jj/mm/aaaa), aujourd'hui par défaut.")
    def overdue_credit_notes(on):
        """Run daily (cron): refund-mode credit notes unpaid after 15 days become overdue and their CFA is told."""
        from infrastructure.formatting import parse_date_fr
        from infrastructure import clock
        from workflows.credit_notes import mark_overdue_credit_notes
        today = parse_date_fr(on) if on else clock.today()
        if on and today is None:
            raise click.BadParameter("date attendue au format jj/mm/aaaa", param_hint="--date")
        count = mark_overdue_credit_notes(today)
        click.echo(f"{count} avoir(s) passé(s) en retard de remboursement.")

    @app.cli.command("digest")
    @click.option("--hours", default=24, show_default=True, help="période couverte, en heures")
    def digest(hours):
        """Send the daily digest of unread notifications (run it once a day, e.g. from cron)."""
        from workflows.digest import send_daily_digest
        since = dt.datetime.now() - dt.timedelta(hours=hours)
        count = send_daily_digest(since, site_url=app.config["SITE_URL"])
        click.echo(f"{count} récapitulatif(s) écrit(s) dans la boîte d'envoi.")
        _send_outbox()

    @app.cli.command("send-emails")
    def send_emails():
        """Send the outbox emails not sent yet by SMTP (MAIL_SERVER); run it from cron to retry failures."""
        if not app.config.get("MAIL_SERVER"):
            click.echo("MAIL_SERVER n'est pas configuré : les emails restent dans la boîte d'envoi "
                       "(back office, Administration › Boîte d'envoi).")
            return
        _send_outbox()

    @app.cli.command("deliver-webhooks")
    @click.option("--loop", is_flag=True, help="Continuer indéfiniment (une passe toutes les --interval secondes).")
    @click.option("--interval", default=10, show_default=True, help="secondes entre deux passes avec --loop")
    def deliver_webhooks(loop, interval):
        """Send the due webhook deliveries once (from cron), or keep sending with --loop (a worker)."""
        import time
        from workflows.webhooks import deliver_due
        allow_private = bool(app.config.get("WEBHOOK_ALLOW_PRIVATE"))
        while True:
            counts = deliver_due(allow_private=allow_private)
            click.echo(f"Webhooks : {counts['delivered']} remis, {counts['retried']} à réessayer, "
                       f"{counts['failed']} en échec définitif.")
            if not loop:
                return
            models.db.close()  # a long-running worker holds no connection between passes
            time.sleep(max(1, interval))

    def _send_outbox():
        from infrastructure.mail import drain_outbox
        if app.config.get("MAIL_SERVER"):
            sent, failed = drain_outbox(app.config)
            click.echo(f"{sent} email(s) envoyé(s), {failed} en échec (nouvel essai au prochain envoi).")

    from commands.demo import register_demo_cli
    register_demo_cli(app)

    from commands.api_keys import register_api_key_cli
    register_api_key_cli(app)
