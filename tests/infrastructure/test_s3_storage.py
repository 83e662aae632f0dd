"""S3-compatible storage against a real S3-protocol server (moto's, on the loopback, started by the tests): the
same contract as the local folder, objects private and never reachable without credentials, the portal's upload
and download through a bucket, and /readyz judging the bucket."""
import hashlib
import io
import secrets
import socket
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

import models
from app import create_app
from infrastructure.s3_storage import S3Storage, s3_client
from infrastructure.storage import LocalStorage, get_storage, parse_storage_url
from tests.factories import make_pdf

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "portail-test", "AWS_SECRET_ACCESS_KEY": "portail-test-secret",
               "AWS_DEFAULT_REGION": "eu-west-3"}


@pytest.fixture(scope="session")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_env(monkeypatch):
    """boto3's standard variables, as a deployment sets them (and no real credentials from the machine)."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def admin_client(s3_endpoint):
    """A client with its own credentials, to look into the bucket as an operator would."""
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
                        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])


@pytest.fixture
def bucket(admin_client):
    name = f"portail-{secrets.token_hex(4)}"
    admin_client.create_bucket(Bucket=name,
                               CreateBucketConfiguration={"LocationConstraint": CREDENTIALS["AWS_DEFAULT_REGION"]})
    return name


def keys_in(admin_client, bucket):
    return sorted(item["Key"] for item in admin_client.list_objects_v2(Bucket=bucket).get("Contents", []))


@pytest.fixture
def s3_storage(app, s3_env, s3_endpoint, bucket):
    """A bucket's storage built as `get_storage()` builds it from the configuration."""
    app.config.update(STORAGE_URL=f"s3://{bucket}/portail/fichiers", S3_ENDPOINT_URL=s3_endpoint)
    with app.app_context():
        backend = get_storage()
    assert isinstance(backend, S3Storage)
    return backend


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    """Each contract test runs on the local folder and on a bucket."""
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    return request.getfixturevalue("s3_storage")


# --- the contract, on both backends --------------------------------------------------------------------------

def test_a_saved_file_reads_back_identical_with_its_sha256_and_size(storage):
    data = make_pdf("Convention") + bytes(range(256))
    name, sha256, size = storage.save(data, suffix=".pdf")
    assert name.endswith(".pdf") and "/" not in name and len(name) == 32 + 4
    assert (sha256, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert storage.exists(name)
    assert storage.read(name) == data


def test_each_save_gets_a_new_name_even_for_the_same_bytes(storage):
    first, _, _ = storage.save(b"%PDF-1.4 same", suffix=".pdf")
    second, _, _ = storage.save(b"%PDF-1.4 same", suffix=".pdf")
    assert first != second
    assert storage.read(first) == storage.read(second) == b"%PDF-1.4 same"


def test_an_empty_file_keeps_its_size_of_zero(storage):
    name, sha256, size = storage.save(b"", suffix=".probe")
    assert (sha256, size) == (hashlib.sha256(b"").hexdigest(), 0)
    assert storage.read(name) == b""


def test_a_deleted_file_is_gone_and_deleting_it_again_is_harmless(storage):
    name, _, _ = storage.save(b"to be removed")
    storage.delete(name)
    assert not storage.exists(name)
    with pytest.raises(FileNotFoundError):
        storage.read(name)
    storage.delete(name)


def test_an_unknown_name_reads_as_file_not_found_which_the_download_views_turn_into_404(storage):
    unknown = secrets.token_hex(16) + ".pdf"
    assert storage.exists(unknown) is False
    with pytest.raises(FileNotFoundError):
        storage.read(unknown)
    with pytest.raises(FileNotFoundError):  # before any byte of a response is sent
        storage.stream(unknown)


def test_a_large_file_is_saved_from_disk_and_streamed_back_by_chunks(storage, tmp_path):
    """Background exports: a file written on disk goes in without being read whole (multipart beyond 8 MB on
    S3), and comes back by chunks."""
    source = tmp_path / "export.csv"
    with open(source, "wb") as out:
        for number in range(10):
            out.write(bytes([number]) * (1024 * 1024 + 7))
    data = source.read_bytes()
    name, sha256, size = storage.save_file(source, ".csv")
    assert name.endswith(".csv") and (sha256, size) == (hashlib.sha256(data).hexdigest(), len(data))
    chunks = list(storage.stream(name, size=1024 * 1024))
    assert len(chunks) >= 10 and max(len(c) for c in chunks) <= 1024 * 1024
    assert b"".join(chunks) == data and storage.read(name) == data
    assert source.exists()  # the caller's file stays the caller's to remove


@pytest.mark.parametrize("name", ["", "../secret.pdf", "ab/cdef.pdf", "ab\\cd.pdf", ".hidden", "..", "/etc/passwd"])
def test_a_name_that_could_leave_the_store_is_refused_by_every_operation(storage, name):
    for operation in (storage.read, storage.exists, storage.delete, storage.stream):
        with pytest.raises(ValueError):
            operation(name)


# --- what only a bucket has ------------------------------------------------------------------------------------

def test_objects_land_under_the_prefix_then_the_two_first_characters(s3_storage, admin_client, bucket):
    name, _, _ = s3_storage.save(b"%PDF-1.4 placed")
    assert keys_in(admin_client, bucket) == [f"portail/fichiers/{name[:2]}/{name}"]
    s3_storage.delete(name)
    assert keys_in(admin_client, bucket) == []


def test_without_a_prefix_objects_land_at_the_root_of_the_bucket(app, s3_env, s3_endpoint, bucket, admin_client):
    app.config.update(STORAGE_URL=f"s3://{bucket}", S3_ENDPOINT_URL=s3_endpoint)
    with app.app_context():
        name, _, _ = get_storage().save(b"root")
    assert keys_in(admin_client, bucket) == [f"{name[:2]}/{name}"]


def test_objects_are_private_and_refused_to_an_unauthenticated_get(s3_storage, admin_client, bucket, s3_endpoint):
    name, _, _ = s3_storage.save(b"%PDF-1.4 private")
    key = f"portail/fichiers/{name[:2]}/{name}"
    grantees = [grant["Grantee"] for grant in admin_client.get_object_acl(Bucket=bucket, Key=key)["Grants"]]
    assert [g for g in grantees if g.get("Type") == "Group"] == []  # neither AllUsers nor AuthenticatedUsers
    assert [g["Type"] for g in grantees] == ["CanonicalUser"]  # the owner only
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_endpoint}/{bucket}/{key}", timeout=10)
    assert refused.value.code == 403

    # The check itself would see a public object: made public by hand, the same GET gets the bytes.
    admin_client.put_object_acl(Bucket=bucket, Key=key, ACL="public-read")
    with urllib.request.urlopen(f"{s3_endpoint}/{bucket}/{key}", timeout=10) as response:
        assert response.read() == b"%PDF-1.4 private"


def test_one_client_per_process_and_endpoint_kept_on_the_app(app, s3_env, s3_endpoint, bucket):
    app.config.update(STORAGE_URL=f"s3://{bucket}/p", S3_ENDPOINT_URL=s3_endpoint)
    with app.app_context():
        first, second = get_storage(), get_storage()
    assert first.client is second.client is s3_client(app)
    assert app.extensions["s3_clients"][s3_endpoint] is first.client
    options = first.client.meta.config
    assert options.connect_timeout <= 10 and options.read_timeout <= 60
    assert options.retries == {"total_max_attempts": 3, "mode": "standard"}


@pytest.mark.parametrize("url,expected", [
    ("s3://portail", ("portail", "")),
    ("s3://portail/", ("portail", "")),
    ("s3://portail/prod/fichiers/", ("portail", "prod/fichiers")),
])
def test_the_storage_url_names_a_bucket_and_a_prefix(url, expected):
    assert parse_storage_url(url) == expected


@pytest.mark.parametrize("url", ["http://portail/fichiers", "s3:///fichiers", "portail/fichiers",
                                 "s3://portail/a//b", "s3://portail/../autre", "s3://portail/p?acl=public"])
def test_a_mistyped_storage_url_stops_the_application_at_start(url, tmp_path):
    with pytest.raises(ValueError, match="STORAGE_URL"):
        parse_storage_url(url)
    with pytest.raises(ValueError, match="STORAGE_URL"):
        create_app({"STORAGE_URL": url, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "DATA_DIR": str(tmp_path),
                    "SECRET_KEY": "test", "TESTING": True})


# --- end to end: the portal on a bucket ------------------------------------------------------------------------

@pytest.fixture
def on_s3(app, s3_env, s3_endpoint, bucket):
    app.config.update(STORAGE_URL=f"s3://{bucket}/documents", S3_ENDPOINT_URL=s3_endpoint)
    return bucket


def test_a_document_uploaded_on_the_portal_goes_to_the_bucket_and_downloads_back_identical(
        app, on_s3, admin_client, factory, make_client):
    org = factory.organisation(name="CFA Sud")
    factory.cfa_user(org, email="admin@cfa-sud.test")
    dossier = factory.dossier(organisation=org)
    client = make_client("admin@cfa-sud.test")
    data = make_pdf("Convention")
    response = client.post_form(f"/portail/dossiers/{dossier.number}/documents",
                                {"doc_type": "convention", "file": (io.BytesIO(data), "convention.pdf")},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    doc = models.Document.get()
    assert (doc.sha256, doc.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert keys_in(admin_client, on_s3) == [f"documents/{doc.stored_name[:2]}/{doc.stored_name}"]
    stored = admin_client.get_object(Bucket=on_s3, Key=f"documents/{doc.stored_name[:2]}/{doc.stored_name}")
    assert stored["Body"].read() == data
    assert [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()] == []  # nothing on disk

    download = client.get(f"/portail/documents/{doc.id}")
    assert download.status_code == 200 and download.data == data
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Location" not in download.headers  # the app sends the bytes itself: no redirect to the bucket

    admin_client.delete_object(Bucket=on_s3, Key=f"documents/{doc.stored_name[:2]}/{doc.stored_name}")
    assert client.get(f"/portail/documents/{doc.id}").status_code == 404  # lost object: 404, not 500


def test_a_backup_says_the_files_are_in_the_bucket_and_archives_none(app, on_s3, factory, make_client, tmp_path):
    org = factory.organisation()
    client = make_client(factory.cfa_user(org).email)
    dossier = factory.dossier(organisation=org)
    assert client.post_form(f"/portail/dossiers/{dossier.number}/documents",
                            {"doc_type": "convention", "file": (io.BytesIO(make_pdf()), "c.pdf")},
                            content_type="multipart/form-data").status_code == 302
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "dans le seau S3, pas dans l'archive" in result.output and "fichier(s) déposé(s)" not in result.output
    [archive] = list((tmp_path / "out").glob("portail-*.tar.gz"))
    with tarfile.open(archive) as tar:
        assert [name for name in tar.getnames() if name.startswith("files")] == []


def test_readyz_answers_200_with_the_bucket_and_leaves_no_probe_in_it(client, on_s3, admin_client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["checks"]["storage"] == {"ok": True, "detail": "écriture, relecture, suppression"}
    assert keys_in(admin_client, on_s3) == []


def test_readyz_answers_503_when_the_bucket_is_missing(client, app, on_s3, s3_endpoint):
    app.config["STORAGE_URL"] = f"s3://absent-{secrets.token_hex(4)}/documents"
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["storage"] == {"ok": False, "detail": "NoSuchBucket"}
    assert checks["database"]["ok"] is True and checks["migrations"]["ok"] is True


def test_readyz_answers_503_when_the_endpoint_is_down_and_names_no_host(client, app, on_s3):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once the socket is closed
    app.config["S3_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["storage"] == {"ok": False, "detail": "EndpointConnectionError"}
    assert str(port) not in response.get_data(as_text=True)
