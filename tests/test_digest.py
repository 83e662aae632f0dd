"""The daily digest: one email per CFA user who wants it, with the unread notifications of their scope."""
import datetime as dt

import models
from workflows.digest import send_daily_digest
from workflows.notify import notify_organisation


def test_each_cfa_user_gets_the_unread_notifications_of_their_organisations_only(app, factory, db):
    sud, nord, ouest = factory.organisation(name="CFA Sud"), factory.organisation(name="CFA Nord"), \
        factory.organisation(name="CFA Ouest")
    models.Delegation.create(delegate=sud, delegator=ouest, state="approuvee")
    wants = factory.cfa_user(organisation=sud, email="veut@cfa.test")
    factory.cfa_user(organisation=sud, email="refuse@cfa.test", daily_digest=False)
    factory.cfa_user(organisation=nord, email="nord@cfa.test")
    dossier = factory.dossier(organisation=ouest)
    notify_organisation(sud, "Facture validée", category="billing")
    notify_organisation(ouest, "Dossier engagé", dossier=dossier)  # Sud manages Ouest's contracts: told too
    notify_organisation(nord, "Pour le Nord")
    models.Notification.create(organisation=sud, user=wants, message="Déjà lue", read_at=dt.datetime.now())
    models.Notification.create(organisation=sud, user=wants, message="Trop ancienne",
                               created_at=dt.datetime.now() - dt.timedelta(days=3))

    with app.app_context():
        assert send_daily_digest(dt.datetime.now() - dt.timedelta(hours=24)) == 2
    mails = {m.recipient: m for m in models.OutboxEmail.select()}
    assert set(mails) == {"veut@cfa.test", "nord@cfa.test"}
    body = mails["veut@cfa.test"].body
    assert "Facture validée" in body and "Dossier engagé" in body and dossier.number in body
    assert "Pour le Nord" not in body and "Déjà lue" not in body and "Trop ancienne" not in body
    assert "Pour le Nord" in mails["nord@cfa.test"].body


def test_the_digest_command_reports_what_it_wrote(app, factory, db):
    user = factory.cfa_user()
    org = models.Membership.get(models.Membership.user == user.id).organisation
    notify_organisation(org, "Pièces demandées")
    result = app.test_cli_runner().invoke(args=["digest"])
    assert result.exit_code == 0 and "1 récapitulatif(s)" in result.output
    assert models.OutboxEmail.select().count() == 1
