"""The storage interface on an S3-compatible bucket (AWS, MinIO, Scaleway, OVH…), through boto3.

Objects are written without any ACL, so they stay private to the bucket's owner: the app reads them with its
credentials and streams them as it does local files; no public or presigned address is ever produced.
Credentials and region come from boto3's usual chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_DEFAULT_REGION, or an instance role); the endpoint of a non-AWS provider from S3_ENDPOINT_URL.
"""
import base64
import hashlib
import threading

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from infrastructure.storage import CHUNK, checked_name, file_digest, new_name

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_client_lock = threading.Lock()


def s3_client(app):
    """One client per process and endpoint, made on first use (after gunicorn forks) and kept in the app's
    extensions; botocore clients are thread-safe. Short connect timeout, bounded retries: a slow or absent
    endpoint fails a request (and /readyz) in seconds rather than holding a worker."""
    endpoint = app.config.get("S3_ENDPOINT_URL") or None
    clients = app.extensions.setdefault("s3_clients", {})
    with _client_lock:
        if endpoint not in clients:
            clients[endpoint] = boto3.session.Session().client(
                "s3", endpoint_url=endpoint,
                config=BotoConfig(
                    connect_timeout=5, read_timeout=30, retries={"total_max_attempts": 3, "mode": "standard"},
                    # Path-style addresses work on every S3-compatible service (MinIO needs them by default).
                    s3={"addressing_style": "path" if endpoint else "auto"},
                    # Newer botocore adds CRC checksums some S3-compatible services refuse: only when required
                    # (our own Content-MD5 guards each upload instead).
                    request_checksum_calculation="when_required", response_checksum_validation="when_required",
                ))
        return clients[endpoint]


class S3Storage:
    def __init__(self, client, bucket, prefix=""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    def _key(self, name):
        name = checked_name(name)
        key = f"{name[:2]}/{name}"
        return f"{self.prefix}/{key}" if self.prefix else key

    def save(self, data: bytes, suffix=".pdf"):
        """Store bytes under a generated name; return (stored_name, sha256, size)."""
        name = new_name(suffix)
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(name), Body=data, ContentType="application/octet-stream",
            ContentMD5=base64.b64encode(hashlib.md5(data).digest()).decode())  # the server checks what it got
        return name, hashlib.sha256(data).hexdigest(), len(data)

    def save_file(self, source, suffix=".csv"):
        """Store the file at `source` through boto3's managed upload (multipart beyond 8 MB, parts of a few MB:
        memory stays flat); return (stored_name, sha256, size)."""
        name = new_name(suffix)
        digest, size = file_digest(source)
        self.client.upload_file(str(source), self.bucket, self._key(name),
                                ExtraArgs={"ContentType": "application/octet-stream"})
        return name, digest, size

    def _get(self, name):
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as error:
            if _code(error) in _NOT_FOUND:
                raise FileNotFoundError(name) from None
            raise

    def read(self, name) -> bytes:
        with self._get(name)["Body"] as body:
            return body.read()

    def stream(self, name, size=CHUNK):
        """The object's bytes by chunks; a missing object raises FileNotFoundError now, before any byte is sent."""
        body = self._get(name)["Body"]

        def chunks():
            with body:
                yield from body.iter_chunks(size)
        return chunks()

    def exists(self, name) -> bool:
        key = self._key(name)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in _NOT_FOUND:
                return False
            raise
        return True

    def delete(self, name):
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))  # S3 says yes for a missing key too


def _code(error):
    return str(error.response.get("Error", {}).get("Code", ""))
