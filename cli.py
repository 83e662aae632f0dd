"""Command-line tasks: `flask --app app <command>`."""
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

    @app.cli.command("create-staff")
    @click.option("--email", required=True)
    @click.option("--password", required=True)
    @click.option("--role", type=click.Choice(["conseiller", "comptable", "admin"]), default="admin")
    @click.option("--first-name", default="")
    @click.option("--last-name", default="")
    def create_staff(email, password, role, first_name, last_name):
        """Create an OPCO staff user."""
        from services.passwords import hash_password
        models.create_schema()
        models.User.create(email=email.strip().lower(), password_hash=hash_password(password), kind="staff",
                           staff_role=role, first_name=first_name, last_name=last_name)
        click.echo(f"Utilisateur {email} créé ({role}).")

    @app.cli.command("backup")
    @click.argument("target_dir", required=False)
    def backup(target_dir):
        """Archive the SQLite database, the uploaded files and the secret key (default folder: DATA_DIR/sauvegardes)."""
        from services.backup import create_backup
        folder = target_dir or str(Path(app.config["DATA_DIR"]) / "sauvegardes")
        archive, contents = create_backup(app.config, folder)
        click.echo(f"Sauvegarde écrite dans {archive} : {', '.join(contents)}.")
        if "base de données" not in contents:
            click.echo("La base PostgreSQL n'est pas dans l'archive : sauvegardez-la avec pg_dump.")

    @app.cli.command("restore")
    @click.argument("archive")
    @click.option("--force", is_flag=True, help="Remplacer la base et la clé existantes.")
    def restore(archive, force):
        """Put back a backup made by `backup` (stop the application first)."""
        from services.backup import BackupError, restore_backup
        models.db.close()
        try:
            restored = restore_backup(app.config, archive, force=force)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Restauré : {', '.join(restored)}. Redémarrez l'application.")

    @app.cli.command("check")
    def check():
        """Check the ledger's invariants: print each anomaly in French, exit 1 when there is any."""
        from services import integrity
        found = integrity.problems()
        for problem in found:
            click.echo(problem.message)
        if found:
            click.echo(f"{len(found)} anomalie(s) trouvée(s).")
            raise SystemExit(1)
        click.echo(f"Contrôle d'intégrité : aucune anomalie ({integrity.summary()}).")

    from services.npec_import import register_npec_cli
    register_npec_cli(app)

    from services.credit_notes import register_billing_cli
    register_billing_cli(app)

    from services.digest import register_digest_cli
    register_digest_cli(app)

    from commands.demo import register_demo_cli
    register_demo_cli(app)
