"""MEDIA_UPLOAD_LINKS: fetch a media_url ourselves, check it like an upload, send by id instead.

The link is fetched with its own ``requests`` session (this is not Meta): http(s) only, explicit
timeouts and an overall time budget, at most 3 redirects. Unless MEDIA_LINK_ALLOW_PRIVATE is set,
every hop whose host resolves to a private, loopback or link-local address is refused, and the
address each connection actually reaches is checked again before a byte is sent (so DNS cannot
rebind between the check and the connection). The bytes are spooled (memory, then disk) and
counted as they arrive; the transfer stops as soon as they pass the type's WhatsApp limit.
"""
from __future__ import annotations

import hashlib
import ipaddress
import itertools
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urljoin, urlsplit

import requests
from flask import current_app
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from app.api.media.services import CheckedFile, MediaService, UploadTarget
from app.api.media.transfer import CHUNK, clean_filename
from app.errors import AppError, PayloadTooLarge, UnsupportedMediaType, ValidationError
from app.utils.media_types import DOCUMENT, SNIFF_BYTES, check_media, label_for

FIELD = "media_url"
MAX_REDIRECTS = 3
CONNECT_TIMEOUT, READ_TIMEOUT = 5.0, 20.0
TOTAL_SECONDS = 120.0
SPOOL_BYTES = 8 * 1024 * 1024
PRIVATE = "it points to a private, loopback or link-local address"


def materialize_link(line, body: dict, token: str | None, graph) -> dict:
    """Return body with its media `link` replaced by the id of an upload of that link's bytes.

    Ends the caller's (read-only) transaction before the fetch and commits the Media row at once:
    the upload exists at Meta whatever happens to the send afterwards.
    """
    media_type = body.get("type")
    ref = body.get(media_type) if isinstance(body.get(media_type), dict) else None
    if not ref or not ref.get("link"):
        return body
    target = UploadTarget(line.line_id, line.phone_number_id, token)
    service = MediaService(graph=graph)
    service.end_read_transaction()  # hold no lock or connection while the link downloads
    file = fetch_link(ref["link"], media_type, bool(current_app.config.get("MEDIA_LINK_ALLOW_PRIVATE", False)))
    try:
        media = service.upload_checked(target, file)
    finally:
        file.stream.close()
    kept = {key: value for key, value in ref.items() if key != "link"}
    return {**body, media_type: {**kept, "id": media.media_id}}


def fetch_link(url: str, media_type: str, allow_private: bool) -> CheckedFile:
    """Download url into a spooled file, checked as media of media_type; errors name media_url."""
    deadline = time.monotonic() + TOTAL_SECONDS
    with _open(url, allow_private) as (response, final_url):
        try:
            return _receive(response, final_url, media_type, deadline)
        except requests.exceptions.RequestException:
            raise _unfetchable("the transfer broke off part-way") from None


def _receive(response: requests.Response, url: str, media_type: str, deadline: float) -> CheckedFile:
    chunks = response.iter_content(CHUNK)
    head = bytearray()
    for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    filename = clean_filename(unquote(urlsplit(url).path.rsplit("/", 1)[-1]))
    declared = response.headers.get("Content-Type")
    check = _renamed(check_media, bytes(head), declared, _length(response), filename)
    if check.category != media_type and media_type != DOCUMENT:
        raise UnsupportedMediaType(f"media_url is {label_for(check.mime_type)} ({check.mime_type}), "
                                   f"which WhatsApp does not send as {media_type}.",
                                   {FIELD: f"is {check.category} media, not {media_type}",
                                    "detected": check.mime_type})
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed to the caller
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in itertools.chain([bytes(head)], chunks):
            size += len(chunk)
            if size > check.max_bytes:
                raise PayloadTooLarge(f"media_url is larger than {check.max_bytes} bytes, WhatsApp's limit "
                                      f"for {check.mime_type}.",
                                      {FIELD: "is too large", "limit_bytes": check.max_bytes})
            if time.monotonic() > deadline:
                raise _unfetchable(f"it took longer than {TOTAL_SECONDS:.0f} seconds to download")
            digest.update(chunk)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return CheckedFile(spool, check, size, digest.hexdigest(), filename)


@contextmanager
def _open(url: str, allow_private: bool) -> Iterator[tuple[requests.Response, str]]:
    """The 2xx response to GET url (redirects followed and re-checked by hand), closed on exit."""
    session = requests.Session()
    session.trust_env = False  # no proxies or ~/.netrc credentials from the environment
    if not allow_private:
        session.mount("http://", PublicOnlyAdapter())
        session.mount("https://", PublicOnlyAdapter())
    response = None
    try:
        for _ in range(MAX_REDIRECTS + 1):
            _check_url(url, allow_private)
            response = _get(session, url)
            if not response.is_redirect:
                break
            url = urljoin(url, response.headers["Location"])
            response.close()
        else:
            raise _unfetchable(f"it redirected more than {MAX_REDIRECTS} times")
        if not 200 <= response.status_code < 300:
            raise _unfetchable(f"it answered HTTP {response.status_code}")
        yield response, url
    finally:
        if response is not None:
            response.close()
        session.close()


def _get(session: requests.Session, url: str) -> requests.Response:
    try:
        return session.get(url, stream=True, allow_redirects=False, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                           headers={"User-Agent": "whatsapp-api-microservice", "Accept": "*/*"})
    except requests.exceptions.Timeout:
        raise _unfetchable("its server did not answer in time") from None
    except requests.exceptions.RequestException as exc:
        if isinstance(getattr(exc.args[0] if exc.args else None, "reason", None), PrivateAddress):
            raise _unfetchable(PRIVATE) from None
        raise _unfetchable("its server could not be reached") from None


def _check_url(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _unfetchable("it is not an http or https URL")
    if parts.username or parts.password:
        raise _unfetchable("it carries credentials")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError, ValueError):
        raise _unfetchable(f"its host {parts.hostname} could not be resolved") from None
    if not all(_is_public(address) for address in addresses):
        raise _unfetchable(PRIVATE)


class PrivateAddress(NewConnectionError):
    """The connection reached an address that is not public (caught before any byte is sent)."""


class _PublicOnly:
    """Check the address actually connected to, which DNS cannot change after _check_url."""

    def _new_conn(self):
        sock = super()._new_conn()
        address = sock.getpeername()[0]
        if not _is_public(address):
            sock.close()
            raise PrivateAddress(self, f"{address} is not a public address")
        return sock


class _PublicHTTPConnection(_PublicOnly, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicOnly, HTTPSConnection):
    pass


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class PublicOnlyAdapter(HTTPAdapter):
    """A requests adapter whose connections refuse private, loopback and link-local peers."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _length(response: requests.Response) -> int | None:
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _renamed(check, *args):
    """Run check_media, naming media_url (not the upload's `file`) in any error."""
    try:
        return check(*args)
    except (ValidationError, UnsupportedMediaType, PayloadTooLarge) as exc:
        details = {(FIELD if key == "file" else key): value for key, value in (exc.details or {}).items()}
        raise type(exc)(f"media_url: {exc.message}", details) from None


def _unfetchable(reason: str) -> AppError:
    return ValidationError(f"media_url could not be fetched: {reason}.", {FIELD: f"could not be fetched: {reason}"})
