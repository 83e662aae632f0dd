"""Gapless numbering under concurrency: 4 processes create invoices and credit notes at once."""
import multiprocessing as mp
import traceback
from decimal import Decimal

import pytest
from peewee import IntegrityError

import models
from workflows.credit_notes import create_credit_note
from workflows.invoice_workflow import InvoiceWorkflowError, create_invoice
from infrastructure.numbering import immediate_transaction, next_number

PROCESSES = 4
INVOICES_EACH = 250
CREDIT_NOTES_EACH = 50


def _worker(database_url, upload_dir, organisation_id, dossier_id, invoices, credit_notes):
    """One process, one app of its own, the same service calls the views make."""
    from app import create_app

    app = create_app({"DATABASE_URL": database_url, "DATA_DIR": upload_dir, "UPLOAD_DIR": upload_dir,
                      "SECRET_KEY": "test", "TESTING": True})
    database = app.extensions["database"]
    failures = []
    with app.app_context():
        database.connect(reuse_if_open=True)
        organisation = models.Organisation.get_by_id(organisation_id)
        dossier = models.Dossier.get_by_id(dossier_id)
        for i in range(max(invoices, credit_notes)):
            try:
                if i < invoices:
                    create_invoice(organisation, [dict(dossier=dossier, nature="lodging", quantity=1,
                                                       amount=Decimal("6.00"))], dossier=dossier)
                if i < credit_notes:
                    create_credit_note(dossier, Decimal("1.00"), "amendment")
            except Exception:  # every failure is a failed request: counted, reported
                failures.append(traceback.format_exc())
        database.close()
    return failures


def test_invoices_and_credit_notes_from_4_processes_are_numbered_1_to_n_without_gap(app, factory, tmp_path):
    organisation = factory.organisation()
    dossier = factory.dossier(organisation=organisation, state="engage")
    url = app.config["DATABASE_URL"]
    app.extensions["database"].close()
    ctx = mp.get_context("spawn")
    with ctx.Pool(PROCESSES) as pool:
        results = [pool.apply_async(_worker, (url, str(tmp_path), organisation.id, dossier.id,
                                              INVOICES_EACH, CREDIT_NOTES_EACH)) for _ in range(PROCESSES)]
        failures = [f for r in results for f in r.get(timeout=120)]
    app.extensions["database"].connect(reuse_if_open=True)
    assert failures == []
    invoice_numbers = [n for (n,) in models.Invoice.select(models.Invoice.number).tuples()]
    note_numbers = [n for (n,) in models.CreditNote.select(models.CreditNote.number).tuples()]
    assert sorted(invoice_numbers) == list(range(1, PROCESSES * INVOICES_EACH + 1))
    assert sorted(note_numbers) == list(range(1, PROCESSES * CREDIT_NOTES_EACH + 1))


def test_a_failure_after_allocation_leaves_no_gap(factory):
    organisation = factory.organisation()
    dossier = factory.dossier(organisation=organisation, state="engage")
    first = create_invoice(organisation, [dict(dossier=dossier, nature="meals", quantity=2, amount=Decimal("6"))])
    with pytest.raises(IntegrityError):
        # a line without a nature fails after the number was allocated: everything rolls back
        create_invoice(organisation, [dict(dossier=dossier, nature=None, quantity=1, amount=Decimal("6"))])
    second = create_invoice(organisation, [dict(dossier=dossier, nature="meals", quantity=1, amount=Decimal("3"))])
    assert (first.number, second.number) == (1, 2)
    assert models.Invoice.select().count() == 2


def test_a_draft_gets_no_number_until_it_is_submitted(factory):
    from workflows.invoice_workflow import submit_invoice

    organisation = factory.organisation()
    dossier = factory.dossier(organisation=organisation, state="engage")
    draft = create_invoice(organisation, [dict(dossier=dossier, nature="meals", quantity=1, amount=Decimal("3"))],
                           state="brouillon", kind="mass")
    assert draft.number is None
    other = create_invoice(organisation, [dict(dossier=dossier, nature="meals", quantity=1, amount=Decimal("3"))])
    cfa = factory.cfa_user(organisation)
    sent = submit_invoice(draft, cfa)
    assert (other.number, sent.number, sent.state) == (1, 2, "en_traitement")
    with pytest.raises(InvoiceWorkflowError):
        submit_invoice(sent, cfa)


def test_each_series_counts_on_its_own(db):
    with immediate_transaction():
        assert [next_number("invoice"), next_number("invoice"), next_number("credit_note")] == [1, 2, 1]


REQUESTS_EACH = 8
WORKFLOW_EACH = 25


def _portal_worker(database_url, folder, email, dossier_numbers, organisation_id, lock, barrier):
    """Reimbursement requests through the real portal URL, interleaved with back-office-style creations."""
    import io

    from app import create_app
    from tests.conftest import PortalClient
    from tests.factories import make_pdf

    app = create_app({"DATABASE_URL": database_url, "DATA_DIR": folder, "UPLOAD_DIR": f"{folder}/files",
                      "SECRET_KEY": "test-secret", "TESTING": True})
    client = PortalClient(app)
    failures = []
    # Sign in one at a time, then start together: concurrent sign-ins are not what this test measures
    with lock:
        client.login(email)
    barrier.wait(timeout=60)
    database = app.extensions["database"]
    for i in range(max(len(dossier_numbers), WORKFLOW_EACH)):
        if i < len(dossier_numbers):
            body = {"period_start": "01/09/2025", "period_end": "28/02/2026", "teaching_amount": "2 800,00",
                    "terms": "y", "invoice_pdf": (io.BytesIO(make_pdf("Facture")), "facture.pdf")}
            response = client.post_form(f"/portail/dossiers/{dossier_numbers[i]}/remboursement", body,
                                        content_type="multipart/form-data")
            if response.status_code != 302:
                failures.append(f"{dossier_numbers[i]}: {response.status_code}")
        if i < WORKFLOW_EACH:
            with app.app_context():
                database.connect(reuse_if_open=True)
                try:
                    organisation = models.Organisation.get_by_id(organisation_id)
                    dossier = models.Dossier.get(models.Dossier.number == dossier_numbers[0])
                    create_invoice(organisation, [dict(dossier=dossier, nature="meals", quantity=1,
                                                       amount=Decimal("3.00"))], dossier=dossier)
                except Exception:
                    failures.append(traceback.format_exc())
                finally:
                    database.close()
    return failures


def test_portal_reimbursements_and_workflow_invoices_share_one_gapless_series(app, factory, tmp_path):
    pass

    organisation = factory.organisation()
    user = factory.cfa_user(organisation)
    numbers = [factory.engaged_dossier(organisation).number for _ in range(PROCESSES * REQUESTS_EACH)]
    url = app.config["DATABASE_URL"]
    app.extensions["database"].close()
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(PROCESSES) as pool:
        lock, barrier = manager.Lock(), manager.Barrier(PROCESSES)
        jobs = [pool.apply_async(_portal_worker, (url, str(tmp_path), user.email,
                                                  numbers[p * REQUESTS_EACH:(p + 1) * REQUESTS_EACH], organisation.id,
                                                  lock, barrier))
                for p in range(PROCESSES)]
        failures = [f for job in jobs for f in job.get(timeout=180)]
    app.extensions["database"].connect(reuse_if_open=True)
    assert failures == []
    total = PROCESSES * (REQUESTS_EACH + WORKFLOW_EACH)
    assert sorted(n for (n,) in models.Invoice.select(models.Invoice.number).tuples()) == list(range(1, total + 1))
    receipts = sorted(i.receipt_number for i in models.Invoice.select().where(models.Invoice.receipt_number != ""))
    assert receipts == [f"R{n:07d}" for n in range(1, PROCESSES * REQUESTS_EACH + 1)]
