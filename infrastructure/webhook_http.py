"""Webhook URLs checked against SSRF, and the signed POST that delivers an event.

A CFA types the URL, the portal's server calls it: without a guard the portal would call its own network
(the database, a cloud metadata service at 169.254.169.254…) for anyone holding an admin OF account. So the
URL must be https, and every address its host resolves to must be public; the POST then connects to one of
the addresses just checked (never a second DNS answer, which could point elsewhere: DNS rebinding), with the
TLS certificate still verified against the host name, and follows no redirect.
`allow_private` (the WEBHOOK_ALLOW_PRIVATE setting) lifts both rules, for tests and a developer's machine.
"""
import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import time
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 5
MAX_URL_LENGTH = 500


class WebhookUrlError(ValueError):
    """A URL refused; the French message says why."""


def signature(secret, timestamp, body):
    """`sha256=` + hex HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret (header X-Portail-Signature)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _refused(ip):
    """True for any address that is not a public unicast one (IPv4-mapped IPv6 judged as its IPv4)."""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
            or ip.is_unspecified or not ip.is_global)


def check_url(url, allow_private=False, resolve=socket.getaddrinfo):
    """The URL's parts and the addresses its host resolves to, each checked; raise WebhookUrlError otherwise."""
    url = (url or "").strip()
    if not url:
        raise WebhookUrlError("Indiquez l'adresse (URL) qui recevra les notifications.")
    if len(url) > MAX_URL_LENGTH:
        raise WebhookUrlError(f"L'adresse ne doit pas dépasser {MAX_URL_LENGTH} caractères.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookUrlError("Cette adresse n'est pas une URL valide (exemple : https://cfa.example.fr/webhooks).")
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise WebhookUrlError("L'adresse doit commencer par https:// : les notifications sont signées et "
                              "ne circulent que chiffrées.")
    if not parts.hostname:
        raise WebhookUrlError("Cette adresse n'est pas une URL valide (exemple : https://cfa.example.fr/webhooks).")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlError("L'adresse ne doit pas contenir d'identifiant ni de mot de passe.")
    if any(ch.isspace() for ch in url):
        raise WebhookUrlError("L'adresse ne doit pas contenir d'espace.")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found = resolve(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise WebhookUrlError(f"Le nom d'hôte « {parts.hostname} » est introuvable (DNS).") from None
    addresses = []
    for family, _, _, _, sockaddr in found:
        try:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        except ValueError:
            raise WebhookUrlError(f"Le nom d'hôte « {parts.hostname} » donne une adresse illisible.") from None
        if not allow_private and _refused(ip):
            raise WebhookUrlError(f"L'adresse « {parts.hostname} » mène à un réseau privé, local ou réservé "
                                  f"({ip}) : seules les adresses publiques sont acceptées.")
        addresses.append((family, sockaddr))
    if not addresses:
        raise WebhookUrlError(f"Le nom d'hôte « {parts.hostname} » est introuvable (DNS).")
    return parts, port, addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address already checked, whatever the DNS says now."""

    def __init__(self, host, port, sockaddr, family, **kwargs):
        super().__init__(host, port, **kwargs)
        self._sockaddr, self._family = sockaddr, family

    def _open(self):
        sock = socket.socket(self._family, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._sockaddr)
        except OSError:
            sock.close()
            raise
        return sock

    def connect(self):
        self.sock = self._open()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    def __init__(self, host, port, sockaddr, family, **kwargs):
        super().__init__(host, port, sockaddr, family, **kwargs)
        self._context = ssl.create_default_context()

    def connect(self):
        self.sock = self._context.wrap_socket(self._open(), server_hostname=self.host)


def post(url, body, headers, allow_private=False, timeout=TIMEOUT_SECONDS):
    """POST `body` to `url` (checked again now); return the HTTP status. Redirects are not followed (a 3xx is
    an answer like any other). Raise WebhookUrlError for a refused URL, OSError/HTTPException on failure."""
    parts, port, addresses = check_url(url, allow_private)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    family, sockaddr = addresses[0]
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = kind(parts.hostname, port, sockaddr, family, timeout=timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        return connection.getresponse().status  # the body is never read: only the status counts
    finally:
        connection.close()


def timed(callable_, *args, **kwargs):
    """(result, exception, milliseconds) of one call, the exception caught."""
    start = time.monotonic()
    try:
        result, error = callable_(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 — any failure of the receiver is logged, never raised
        result, error = None, exc
    return result, error, int((time.monotonic() - start) * 1000)
