"""Bulk invoice decisions sent at the same time by several comptables, on one database.

Each decision runs in its own short transaction: no request answers 500 ("database is locked"),
every selected invoice gets a line saying what was done to it, and what a line says happened is
exactly what the database holds (one InvoiceEvent per decision reported done, none otherwise).
"""
import random
import threading

import models
from tests.factories import make_invoice

WORKERS = 4
ROUNDS = 4
REASON = "Pièce justificative illisible."


def _flashes(client):
    with client.session_transaction() as session:
        return session.pop("_flashes", [])


def _decide(client, name, ids):
    if name == "valider":
        return client.post_form("/admin/invoice/action/", {"action": name, "rowid": [str(i) for i in ids],
                                                           "url": "/admin/invoice/"})
    return client.post_form(f"/admin/invoice/motif/{name}/", {"ids": ",".join(str(i) for i in ids),
                                                             "reason": REASON, "url": "/admin/invoice/"})


def test_concurrent_bulk_decisions_never_fail_and_report_every_invoice(factory, make_client):
    org = factory.organisation()
    dossier = factory.dossier(organisation=org, state="engage")
    invoices = [make_invoice(org, dossier, amount="10.00") for _ in range(16)]
    numbers = {inv.id: inv.display_number for inv in invoices}
    clients = [make_client(factory.staff(role).email) for role in ("comptable", "comptable", "admin", "comptable")]
    barrier = threading.Barrier(WORKERS)
    results, errors = [], []

    def work(k):
        rng = random.Random(k)
        client = clients[k]
        try:
            barrier.wait(timeout=30)
            for _ in range(ROUNDS):
                name = rng.choice(["valider", "valider", "mettre_en_attente", "rejeter"])
                chosen = rng.sample(sorted(numbers), 8)
                response = _decide(client, name, chosen)
                results.append((name, chosen, response.status_code, _flashes(client)))
        except Exception as exc:  # an exception escaping a request or the test client is the failure looked for
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert len(results) == WORKERS * ROUNDS
    done = {inv_id: 0 for inv_id in numbers}
    for name, chosen, status, flashes in results:
        assert status == 302, (name, status)
        lines = [message for _, message in flashes]
        for inv_id in chosen:
            mine = [line for line in lines if line.startswith(f"{numbers[inv_id]} : ")]
            assert len(mine) == 1, (numbers[inv_id], lines)  # one outcome per selected invoice
            assert "réessayez" not in mine[0], mine[0]
            if "refusé" not in mine[0]:
                done[inv_id] += 1
    for inv_id, count in done.items():
        events = models.InvoiceEvent.select().where(models.InvoiceEvent.invoice == inv_id).count()
        assert events == 1 + count, numbers[inv_id]  # the creation, then exactly the decisions reported done


def test_an_invoice_still_busy_after_the_retries_is_reported_and_the_others_are_decided(factory, make_client,
                                                                                         monkeypatch):
    from peewee import OperationalError

    from workflows import invoice_workflow

    org = factory.organisation()
    dossier = factory.dossier(organisation=org, state="engage")
    first, busy = make_invoice(org, dossier), make_invoice(org, dossier)
    validate = invoice_workflow.validate
    tries = []

    def locked_for_one(inv, user=None):
        if inv.id == busy.id:
            tries.append(inv.id)
            raise OperationalError("database is locked")
        return validate(inv, user)

    monkeypatch.setattr(invoice_workflow, "validate", locked_for_one)
    client = make_client(factory.staff("comptable").email)
    response = _decide(client, "valider", [first.id, busy.id])
    assert response.status_code == 302
    lines = [message for _, message in _flashes(client)]
    assert f"{first.display_number} : validée (bon à payer)" in lines
    assert any(line.startswith(f"{busy.display_number} : non traitée") and "réessayez" in line for line in lines)
    assert len(tries) > 1  # retried before giving up
    assert models.Invoice.get_by_id(first.id).state == "validee"
    assert models.Invoice.get_by_id(busy.id).state == "en_traitement"


def test_a_busy_database_outside_the_retried_writes_answers_a_french_503(factory, make_client, monkeypatch):
    from peewee import OperationalError

    import views.portal.notifications as notifications

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(notifications, "_mark_read", locked)
    org = factory.organisation()
    client = make_client(factory.cfa_user(org).email)
    response = client.post_form("/portail/notifications/toutes-lues")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "Réessayez dans quelques secondes" in response.get_data(as_text=True)
