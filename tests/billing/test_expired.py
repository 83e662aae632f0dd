"""Expired dossiers (seed 002): which are listed and why, the 2025 deadline clock, the three declarations."""
import datetime as dt
import io
from contextlib import contextmanager
from decimal import Decimal

import models
import rules
from infrastructure.formatting import montant

from .workflow_helpers import installments, invoice_and_pay

from tests.factories import pdf_file
from infrastructure import clock

TODAY = clock.today()


def ended(factory, org, months_ago=3, **kw):
    """A 2021-regime dossier whose contract ended `months_ago` months ago, nothing invoiced."""
    end = rules.add_months(TODAY, -months_ago)
    defaults = dict(conclusion_date=dt.date(2023, 8, 20), contract_start=dt.date(2023, 9, 1), contract_end=end)
    defaults.update(kw)
    return factory.engaged_dossier(organisation=org, **defaults)


def setup(factory, make_client, rights=None):
    org = factory.organisation()
    return org, make_client(factory.billing_user(org, rights=rights).email)


def test_a_dossier_ended_three_months_ago_is_listed_with_its_reasons(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = ended(factory, org)
    html = client.get("/portail/echus").get_data(as_text=True)
    row = html.split(f'id="expired-{dossier.number}"')[1].split("</tr>")[0]
    assert "Reste à facturer" in row and "Certificat de réalisation manquant" in row


def test_dossiers_that_are_not_expired_are_not_listed(factory, make_client):
    org, client = setup(factory, make_client)
    recent = ended(factory, org, months_ago=1)
    in_process = ended(factory, org)
    invoice_and_pay(in_process, 1, paid=False)  # en_traitement
    done = ended(factory, org, completion_certificate=True)
    invoice_and_pay(done, len(installments(done)))
    closed = ended(factory, org)
    closed.state = "solde"
    closed.save()
    foreign = ended(factory, factory.organisation())
    html = client.get("/portail/echus").get_data(as_text=True)
    for dossier in (recent, in_process, done, closed, foreign):
        assert f'id="expired-{dossier.number}"' not in html
    assert "Aucun dossier échu à traiter" in html


def test_a_paid_dossier_without_certificate_is_listed_for_the_certificate_only(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = ended(factory, org)
    invoice_and_pay(dossier, len(installments(dossier)))
    row = client.get("/portail/echus").get_data(as_text=True).split(f'id="expired-{dossier.number}"')[1].split("</tr>")[0]
    assert "Certificat de réalisation manquant" in row and "Reste à facturer" not in row


def test_the_2025_final_installment_clock_is_shown(factory, make_client):
    org, client = setup(factory, make_client)
    running = ended(factory, org, months_ago=3, conclusion_date=dt.date(2025, 7, 15), contract_start=dt.date(2025, 8, 1))
    lost = ended(factory, org, months_ago=5, conclusion_date=dt.date(2025, 7, 15), contract_start=dt.date(2025, 8, 1))
    html = client.get("/portail/echus").get_data(as_text=True)
    deadline = rules.final_installment_deadline(rules.Contract(dt.date(2025, 7, 15), dt.date(2025, 8, 1),
                                                               running.contract_end, Decimal("7000")))
    running_row = html.split(f'id="expired-{running.number}"')[1].split("</tr>")[0]
    assert f"{(deadline - TODAY).days} jour(s) pour facturer le solde final" in running_row
    assert deadline.strftime("%d/%m/%Y") in running_row
    lost_row = html.split(f'id="expired-{lost.number}"')[1].split("</tr>")[0]
    assert "Solde final (10 %) perdu" in lost_row


def test_declaring_the_certificate_records_it(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = ended(factory, org)
    response = client.post_form(f"/portail/echus/{dossier.number}/certificat", {"document": pdf_file("certif.pdf")},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    assert models.Dossier.get_by_id(dossier.id).completion_certificate is True
    assert models.Document.get().doc_type == "certificat"
    settlement = models.ExpiredSettlement.get()
    assert settlement.kind == "certificate" and settlement.dossier_id == dossier.id
    assert models.AuditEntry.select().where((models.AuditEntry.entity == "dossier")
                                            & (models.AuditEntry.action == "declare_certificate")).count() == 1
    assert "Certificat de réalisation déclaré" in client.get("/portail/echus").get_data(as_text=True)


def test_a_certificate_without_file_or_not_a_pdf_is_refused(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = ended(factory, org)
    assert client.post_form(f"/portail/echus/{dossier.number}/certificat").status_code == 400
    response = client.post_form(f"/portail/echus/{dossier.number}/certificat",
                                {"document": (io.BytesIO(b"hello"), "x.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 400 and "pas un PDF" in response.get_data(as_text=True)
    assert models.Dossier.get_by_id(dossier.id).completion_certificate is False
    assert models.ExpiredSettlement.select().count() == 0


def test_declarations_on_a_dossier_that_is_not_expired_are_refused(factory, make_client):
    org, client = setup(factory, make_client)
    recent = ended(factory, org, months_ago=1)
    response = client.post_form(f"/portail/echus/{recent.number}/certificat", {"document": pdf_file()},
                                content_type="multipart/form-data")
    assert response.status_code == 400 and "ne fait pas partie des dossiers échus" in response.get_data(as_text=True)
    response = client.post_form(f"/portail/echus/{recent.number}/solde", {"confirm": "1"})
    assert response.status_code == 400
    assert models.Dossier.get_by_id(recent.id).state == "engage"
    assert models.ExpiredSettlement.select().count() == 0 and models.Document.select().count() == 0


def test_declaring_the_final_balance_releases_the_commitment(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = ended(factory, org)
    _, paid = invoice_and_pay(dossier, 1)
    left = sum(i.amount for i in installments(dossier, "to_invoice"))
    page = client.get("/portail/echus").get_data(as_text=True)
    assert f"libère {montant(left)}" in page
    assert client.post_form(f"/portail/echus/{dossier.number}/solde", {}).status_code == 400
    response = client.post_form(f"/portail/echus/{dossier.number}/solde", {"confirm": "1"})
    assert response.status_code == 302
    dossier = models.Dossier.get_by_id(dossier.id)
    assert dossier.state == "solde" and dossier.closing_date == TODAY
    assert installments(dossier, "to_invoice") == []
    assert len(installments(dossier, "paid")) == 1
    settlement = models.ExpiredSettlement.get()
    assert settlement.kind == "final_balance" and settlement.amount_released == left
    assert models.AuditEntry.select().where(models.AuditEntry.action == "declare_final_balance").count() == 1
    html = client.get("/portail/echus").get_data(as_text=True)
    assert f'id="expired-{dossier.number}"' not in html and "Solde final déclaré" in html


def test_declaring_a_rupture_from_the_expired_list_is_recorded_there(factory, make_client):
    org, client = setup(factory, make_client)
    dossier = ended(factory, org)
    html = client.get("/portail/echus").get_data(as_text=True)
    assert f"/portail/dossiers/{dossier.number}/rupture?source=expired" in html
    response = client.post_form(f"/portail/dossiers/{dossier.number}/rupture/confirmer",
                                {"date": "31/01/2025", "reason": "Abandon", "source": "expired"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/portail/echus")
    assert models.ExpiredSettlement.get().kind == "rupture"


def test_billing_right_and_scope_are_required(factory, make_client):
    org, client = setup(factory, make_client, rights=["right_contracts"])
    dossier = ended(factory, org)
    assert client.get("/portail/echus").status_code == 403
    assert client.post_form(f"/portail/echus/{dossier.number}/solde", {"confirm": "1"}).status_code == 403
    _, stranger = setup(factory, make_client)
    assert stranger.post_form(f"/portail/echus/{dossier.number}/solde", {"confirm": "1"}).status_code == 404
    assert stranger.post_form(f"/portail/echus/{dossier.number}/certificat", {"document": pdf_file()},
                              content_type="multipart/form-data").status_code == 404
    assert models.Dossier.get_by_id(dossier.id).state == "engage"


@contextmanager
def count_queries(database):
    calls = []
    original = database.execute_sql

    def counting(sql, *args, **kwargs):
        calls.append(sql)
        return original(sql, *args, **kwargs)

    database.execute_sql = counting
    try:
        yield calls
    finally:
        database.execute_sql = original


def test_the_list_does_not_issue_one_query_per_dossier(factory, make_client, db):
    org, client = setup(factory, make_client)
    for _ in range(2):
        ended(factory, org)
    client.get("/portail/echus")
    with count_queries(models.db.obj) as few:
        assert client.get("/portail/echus").status_code == 200
    for _ in range(6):
        ended(factory, org)
    with count_queries(models.db.obj) as many:
        html = client.get("/portail/echus").get_data(as_text=True)
    assert html.count('id="expired-20') == 8
    assert len(many) == len(few)


def test_candidates_are_read_in_batches_until_enough_expired_dossiers_are_found(factory, make_client, monkeypatch):
    import workflows.expired as expired_service

    monkeypatch.setattr(expired_service, "BATCH_SIZE", 2)
    org, client = setup(factory, make_client)
    settled = [ended(factory, org, months_ago=6, completion_certificate=True) for _ in range(3)]
    for dossier in settled:  # ended earlier, so read first, but nothing left to do on them
        invoice_and_pay(dossier, len(installments(dossier)))
    waiting = ended(factory, org, months_ago=3)
    html = client.get("/portail/echus").get_data(as_text=True)
    assert f'id="expired-{waiting.number}"' in html
    assert all(f'id="expired-{d.number}"' not in html for d in settled)


def test_the_dashboard_count_makes_the_list_decision_for_every_kind_of_dossier(factory, make_client):
    """The dashboard counts with workflows.expired.count_expired (plain values, amounts only where the certificate
    is there); it must find exactly the dossiers the list shows, whatever mix of reasons, and stop at its cap."""
    from workflows.expired import count_expired, expired_rows

    org, client = setup(factory, make_client)
    expected = [ended(factory, org),  # nothing invoiced, no certificate
                ended(factory, org, completion_certificate=True)]  # certificate, everything left to invoice
    unpaid_certificate = ended(factory, org)
    invoice_and_pay(unpaid_certificate, len(installments(unpaid_certificate)))  # paid, certificate missing
    expected.append(unpaid_certificate)
    recent = ended(factory, org, months_ago=1)
    in_process = ended(factory, org)
    invoice_and_pay(in_process, 1, paid=False)
    done = ended(factory, org, completion_certificate=True)
    invoice_and_pay(done, len(installments(done)))
    ended(factory, factory.organisation())  # another organisation's
    query = models.Dossier.select().where(models.Dossier.organisation == org.id)

    listed = {row.dossier.id for row in expired_rows(query, TODAY)}
    assert listed == {d.id for d in expected}
    assert not listed & {recent.id, in_process.id, done.id}
    assert count_expired(query, TODAY) == 3
    assert count_expired(query, TODAY, batch=2) == 3
    assert count_expired(query, TODAY, limit=2, batch=1) == 2
    html = client.get("/portail/").get_data(as_text=True)
    badge = html.split("Dossiers échus à traiter</a>")[1].split("</span>")[0]
    assert badge.rsplit(">", 1)[1] == "3"
