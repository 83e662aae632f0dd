"""« Exporter en arrière-plan » (issue 14, item 4): the back-office dossier CSV asked by a staff user, written by
the worker to storage, listed in « Mes exports » and downloaded by that user only — the same bytes as the
synchronous export, failures shown in French and retried, files purged after 7 days."""
import csv
import datetime as dt
import io
import re
import uuid
from decimal import Decimal

import pytest

import models
from commands import tasks
from infrastructure import jobs
from infrastructure.storage import LocalStorage
from tests.test_jobs import Worker, wait_for
from views.admin import background_exports as views_exports
from workflows import background_exports


@pytest.fixture
def queue(app, tmp_path):
    """The app's queue on its embedded backend (a SQLite file), empty; as the session's app had it afterwards."""
    saved = {k: app.config.get(k) for k in ("REDIS_URL", "JOBS_DATABASE", "JOBS_QUEUE_NAME")}
    app.config.update(REDIS_URL="", JOBS_DATABASE=str(tmp_path / "jobs.db"),
                      JOBS_QUEUE_NAME=f"portail-test-{uuid.uuid4().hex[:10]}")
    huey = jobs.init_app(app)
    yield huey
    huey.immediate = False
    huey.storage.flush_all()
    app.config.update(saved)
    jobs.init_app(app)


@pytest.fixture
def dossiers(factory):
    """Dossiers whose cells need care: quotes and ';' in a name, a formula-like employer, amounts, an advisor."""
    sud = factory.organisation(name='CFA "Sud"; Provence')
    advisor = factory.staff("conseiller")
    factory.dossier(organisation=sud, total_financed=Decimal("1234567.8"), advisor=advisor, state="engage")
    factory.dossier(organisation=sud, employer=factory.employer(name='=HYPERLINK("http://x")'),
                    total_financed=Decimal("-12.5"), scheme="pro_a")
    factory.dossier(organisation=factory.organisation(name="CFA Nord"), apprentice_name="Ligne 1\nLigne 2")
    return sud


@pytest.fixture
def storage(app):
    return LocalStorage(app.config["UPLOAD_DIR"])


def _rows(body):
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def _ask(client, query=""):
    """Press « Exporter en arrière-plan » on the dossier list (with `query` as the list's arguments)."""
    page = client.get(f"/admin/dossier/{query}").get_data(as_text=True)
    assert "Exporter en arrière-plan" in page
    action = re.search(r'<form method="post" action="([^"]*arriere-plan[^"]*)"', page).group(1).replace("&amp;", "&")
    return client.post_form(action)


def _download_link(page):
    return re.search(r'href="(/admin/mes-exports/\d+/telecharger)"', page).group(1)


def test_an_export_asked_from_the_list_is_written_by_the_job_and_downloads_as_the_synchronous_export(storage, 
        queue, make_client, factory, dossiers, db):
    staff = factory.staff("comptable")
    client = make_client(staff.email)
    queue.immediate = True
    response = _ask(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/mes-exports/")

    page = client.get("/admin/mes-exports/").get_data(as_text=True)
    assert "Prête" in page and "tous les dossiers" in page and "Télécharger" in page
    row = models.ExportRequest.get()
    assert (row.requested_by_id, row.state, row.row_count, row.attempts) == (staff.id, "prete", 3, 1)
    assert storage.exists(row.stored_name)

    download = client.get(_download_link(page))
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.mimetype == "text/csv"
    synchronous = client.get("/admin/dossier/export/csv/").get_data()
    assert download.get_data() == synchronous
    assert len(_rows(synchronous)) == 4
    audit = models.AuditEntry.get((models.AuditEntry.entity == "export_request")
                                  & (models.AuditEntry.action == "download"))
    assert audit.user_id == staff.id and audit.entity_id == str(row.id)


def test_the_export_honours_the_lists_search_and_filters(queue, make_client, factory, dossiers, db):
    client = make_client(factory.staff("conseiller").email)
    kept = models.Dossier.get(models.Dossier.state == "engage")
    queue.immediate = True
    _ask(client, f"?search={kept.number}")
    row = models.ExportRequest.get()
    assert row.row_count == 1 and kept.number in row.description
    page = client.get("/admin/mes-exports/").get_data(as_text=True)
    body = client.get(_download_link(page)).get_data()
    assert body == client.get(f"/admin/dossier/export/csv/?search={kept.number}").get_data()
    assert [r[0] for r in _rows(body)[1:]] == [kept.number]


def test_a_real_consumer_on_the_sqlite_queue_runs_the_job_queued_after_commit(queue, make_client, factory, dossiers,
                                                                               db):
    client = make_client(factory.staff("admin").email)
    _ask(client)
    row = models.ExportRequest.get()
    assert [(t.name, t.args) for t in queue.pending()] == [("build_export", (row.id,))]
    assert "En attente" in client.get("/admin/mes-exports/").get_data(as_text=True)
    with Worker(queue):
        assert wait_for(lambda: models.ExportRequest.get_by_id(row.id).state == "prete")
    page = client.get("/admin/mes-exports/").get_data(as_text=True)
    assert client.get(_download_link(page)).get_data() == client.get("/admin/dossier/export/csv/").get_data()


def test_another_staff_user_even_an_admin_gets_404_and_so_does_an_unready_export(queue, make_client, factory,
                                                                                  dossiers, db):
    owner = make_client(factory.staff("conseiller").email)
    queue.immediate = True
    _ask(owner)
    url = _download_link(owner.get("/admin/mes-exports/").get_data(as_text=True))
    other = make_client(factory.staff("admin").email)
    assert other.get(url).status_code == 404
    assert "Télécharger" not in other.get("/admin/mes-exports/").get_data(as_text=True)
    assert make_client(factory.cfa_user().email).get(url).status_code == 403
    assert make_client().get(url).status_code == 302  # to the sign-in page
    models.ExportRequest.update(state="en_cours").execute()
    assert owner.get(url).status_code == 404
    assert not models.AuditEntry.select().where(models.AuditEntry.action == "download").exists()


def test_a_failing_job_marks_the_request_failed_in_french_and_is_retried(queue, make_client, factory, dossiers, db,
                                                                         monkeypatch):
    client = make_client(factory.staff("admin").email)
    calls = []

    def broken(out, row):
        calls.append(row.id)
        raise OSError("disque plein")
    monkeypatch.setitem(views_exports.WRITERS, "dossiers", broken)
    monkeypatch.setattr(tasks.build_export.task_class, "default_retry_delay", 0.1)
    _ask(client)
    row = models.ExportRequest.get()
    with Worker(queue):
        assert wait_for(lambda: len(calls) == 3)  # the first run and Huey's two retries
        assert wait_for(lambda: models.ExportRequest.get_by_id(row.id).finished_at is not None
                        and models.ExportRequest.get_by_id(row.id).attempts == 3)
    failed = models.ExportRequest.get_by_id(row.id)
    assert failed.state == "echec" and failed.stored_name is None
    assert "L'export a échoué (OSError : disque plein)" in failed.error
    assert "demandez un nouvel export" in failed.error  # the last attempt says no retry follows
    page = client.get("/admin/mes-exports/").get_data(as_text=True)
    assert "Échec" in page and "disque plein" in page and "Télécharger" not in page


def test_a_first_failure_says_a_retry_follows_then_the_retry_succeeds(queue, make_client, factory, dossiers, db,
                                                                      monkeypatch):
    client = make_client(factory.staff("admin").email)
    real = views_exports.WRITERS["dossiers"]
    seen = []

    def flaky(out, row):
        seen.append(models.ExportRequest.get_by_id(row.id).error)
        if len(seen) == 1:
            raise RuntimeError("base indisponible")
        return real(out, row)
    monkeypatch.setitem(views_exports.WRITERS, "dossiers", flaky)
    monkeypatch.setattr(tasks.build_export.task_class, "default_retry_delay", 0.1)
    _ask(client)
    row = models.ExportRequest.get()
    with Worker(queue):
        assert wait_for(lambda: models.ExportRequest.get_by_id(row.id).state == "prete")
    assert "Une nouvelle tentative est programmée" in seen[1]
    done = models.ExportRequest.get_by_id(row.id)
    assert done.error is None and done.attempts == 2 and done.row_count == 3


def test_files_are_purged_after_7_days_and_interrupted_runs_are_explained(storage, queue, make_client, factory, dossiers,
                                                                          db):
    client = make_client(factory.staff("admin").email)
    queue.immediate = True
    _ask(client)
    _ask(client)
    old, recent = models.ExportRequest.select().order_by(models.ExportRequest.id)
    models.ExportRequest.update(finished_at=models.now() - dt.timedelta(days=7, minutes=1)).where(
        models.ExportRequest.id == old.id).execute()
    stuck = models.ExportRequest.create(requested_by=old.requested_by_id, state="en_cours", description="Dossiers",
                                        started_at=models.now() - dt.timedelta(hours=3))
    tasks.sweep_exports()
    old, recent, stuck = (models.ExportRequest.get_by_id(r.id) for r in (old, recent, stuck))
    assert old.state == "expiree" and old.stored_name is None
    assert recent.state == "prete" and storage.exists(recent.stored_name)
    assert stuck.state == "echec" and "interrompu" in stuck.error
    assert len(list(storage.root.rglob("*.csv"))) == 1
    page = client.get("/admin/mes-exports/").get_data(as_text=True)
    assert page.count("Télécharger") == 1 and "Expirée" in page and "interrompu" in page


def test_a_request_the_queue_never_received_is_queued_again_by_the_sweep(storage, queue, factory, db):
    staff = factory.staff("admin")
    row = models.ExportRequest.create(requested_by=staff.id, description="Dossiers (CSV) : tous les dossiers",
                                      requested_at=models.now() - dt.timedelta(minutes=11))
    background_exports.sweep_exports(storage)
    assert [(t.name, t.args) for t in queue.pending()] == [("build_export", (row.id,))]
    assert "sweep_exports" in {t.name for t in queue._registry.periodic_tasks}


def test_the_request_needs_the_csrf_token(queue, make_client, factory, db):
    client = make_client(factory.staff("admin").email)
    assert client.post("/admin/dossier/export/arriere-plan/").status_code == 400
    assert models.ExportRequest.select().count() == 0


def test_the_request_is_audited_and_the_button_says_what_it_exports(queue, make_client, factory, dossiers, db):
    staff = factory.staff("conseiller")
    client = make_client(staff.email)
    assert "Exporter en arrière-plan (tous les dossiers)" in client.get("/admin/dossier/").get_data(as_text=True)
    assert "Exporter en arrière-plan (liste filtrée)" in client.get("/admin/dossier/?search=X").get_data(as_text=True)
    _ask(client)
    entry = models.AuditEntry.get((models.AuditEntry.entity == "export_request")
                                  & (models.AuditEntry.action == "request"))
    assert entry.user_id == staff.id and "tous les dossiers" in entry.note
