"""Media over HTTP to the emulator: real files of every kind, limits, streamed downloads, delete,
inbound media, and MEDIA_UPLOAD_LINKS sending a link as an uploaded id."""
import base64
import hashlib
import io
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from sqlalchemy import select

from app.extensions import get_graph_client
from database.connection import db
from database.models import Media, Message
from tests.conftest import GRAPH_TOKEN
from tests.fixtures import media_files as files
from tests.helpers import SEND_LINES, SEND_PNID, drain, graph_bodies, wait_until

KB, MB = 1024, 1024 * 1024
TO = "+16505551234"
MEDIA_KEYS = {"id", "media_id", "mime_type", "file_size", "sha256", "filename", "line_id", "direction", "created_at"}


def _upload(client, auth, data: bytes, filename: str, content_type: str | None, **form):
    part = (io.BytesIO(data), filename, content_type) if content_type else (io.BytesIO(data), filename)
    return client.post("/api/v1/media", data={"file": part, **form}, headers=auth, content_type="multipart/form-data")


def _rows(app):
    with app.app_context():
        return list(db.session.scalars(select(Media)))


def _leaks(emulator, response) -> list[str]:
    """Anything of the Graph URL or the token found in a response's headers or body."""
    text = response.get_data() + str(dict(response.headers)).encode()
    needles = [emulator.base_url, "_media", "sig=", "expires=", GRAPH_TOKEN]
    return [needle for needle in needles if needle.encode() in text]


# -- uploads of every kind ------------------------------------------------------------------------------
KINDS = [
    ("photo.jpg", "image/jpeg", files.jpeg(64, 48)),
    ("logo.png", "image/png", files.png(32, 32)),
    ("clip.mp4", "video/mp4", files.mp4()),
    ("voice.ogg", "audio/ogg", files.ogg_opus()),
    ("invoice.pdf", "application/pdf", files.pdf()),
    ("sticker.webp", "image/webp", files.webp_static(64, 64)),
]


@pytest.mark.parametrize("filename, mime_type, data", KINDS, ids=[k[1] for k in KINDS])
def test_each_kind_of_real_file_is_uploaded_recorded_and_stored_at_the_emulator(wa_app, emulator, auth, filename,
                                                                                   mime_type, data):
    client = wa_app.test_client()
    response = _upload(client, auth, data, filename, mime_type)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == MEDIA_KEYS
    assert (body["mime_type"], body["file_size"], body["sha256"]) == (mime_type, len(data),
                                                                      hashlib.sha256(data).hexdigest())
    assert (body["filename"], body["line_id"], body["direction"]) == (filename, "main", "outbound")
    uuid.UUID(body["id"])
    stored = emulator.state.media.get(body["media_id"])
    assert stored is not None
    assert (stored.mime_type, stored.file_size, stored.sha256, stored.uploader) == (
        mime_type, len(data), body["sha256"], SEND_PNID)
    for key in (body["media_id"], body["id"]):
        again = client.get(f"/api/v1/media/{key}", headers=auth)
        assert again.status_code == 200 and again.get_json() == body


def test_without_a_part_content_type_the_bytes_decide(wa_app, emulator, auth):
    response = _upload(wa_app.test_client(), auth, files.png(), "scan", "application/octet-stream")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["mime_type"] == "image/png" and response.get_json()["filename"] == "scan"
    assert emulator.state.media.get(response.get_json()["media_id"]).mime_type == "image/png"


def test_upload_from_another_line_goes_from_that_number(wa_app, emulator, auth):
    response = _upload(wa_app.test_client(), auth, files.jpeg(), "a.jpg", "image/jpeg", line_id="tiny")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["line_id"] == "tiny"
    assert emulator.state.media.get(response.get_json()["media_id"]).uploader == "100000000000002"


def test_client_paths_are_stripped_from_the_filename(wa_app, auth):
    response = _upload(wa_app.test_client(), auth, files.jpeg(), "../../home/ana/photo.jpg", "image/jpeg")
    assert response.status_code == 201 and response.get_json()["filename"] == "photo.jpg"


# -- what is refused before anything goes to Meta ---------------------------------------------------------
@pytest.mark.parametrize("data, filename, declared, detected", [
    (files.jpeg(), "photo.png", "image/png", "image/jpeg"),
    (files.pdf(), "photo.jpg", "image/jpeg", "application/pdf"),
    (files.gif(), "anim.gif", "image/gif", "image/gif"),
    (files.exe(), "tool.pdf", "application/pdf", "application/x-executable"),
    (files.ogg_vorbis_head(), "song.ogg", "audio/ogg", "audio/ogg"),
])
def test_a_lying_or_unsupported_type_is_415_and_nothing_reaches_the_emulator(wa_app, emulator, auth, data,
                                                                             filename, declared, detected):
    response = _upload(wa_app.test_client(), auth, data, filename, declared)
    assert response.status_code == 415, response.get_json()
    envelope = response.get_json()
    assert envelope["error"] == "UNSUPPORTED_MEDIA_TYPE" and "file" in envelope["details"]
    assert envelope["details"]["detected"] == detected and envelope["request_id"]
    assert emulator.state.requests() == [] and emulator.state.media.list() == []
    assert _rows(wa_app) == []


@pytest.mark.parametrize("data, declared, limit", [
    (files.padded(files.jpeg(), 5 * MB + 1), "image/jpeg", 5 * MB),
    (files.padded(files.png(), 5 * MB + 1), "image/png", 5 * MB),
    (files.padded(files.webp_static(), 100 * KB + 1), "image/webp", 100 * KB),
    (files.padded(files.webp_animated(), 500 * KB + 1), "image/webp", 500 * KB),
    (files.padded(files.mp4(), 16 * MB + 1), "video/mp4", 16 * MB),
], ids=["jpeg-5MB", "png-5MB", "static-sticker-100KB", "animated-sticker-500KB", "video-16MB"])
def test_a_file_over_its_type_limit_is_413_and_nothing_reaches_the_emulator(wa_app, emulator, auth, data,
                                                                            declared, limit):
    response = _upload(wa_app.test_client(), auth, data, "big", declared)
    assert response.status_code == 413, response.get_json()
    envelope = response.get_json()
    assert envelope["error"] == "PAYLOAD_TOO_LARGE"
    assert envelope["details"] == {"file": "is too large", "limit_bytes": limit, "size_bytes": len(data)}
    assert emulator.state.requests() == [] and _rows(wa_app) == []


def test_a_sticker_just_under_its_limit_is_taken(wa_app, emulator, auth):
    data = files.padded(files.webp_static(), 100 * KB)
    response = _upload(wa_app.test_client(), auth, data, "s.webp", "image/webp")
    assert response.status_code == 201, response.get_json()
    assert emulator.state.media.get(response.get_json()["media_id"]).file_size == 100 * KB


def test_a_document_over_100_mb_is_413(wa_app, emulator, auth):
    started = time.monotonic()
    data = files.padded(files.pdf(), 100 * MB + 1)
    response = _upload(wa_app.test_client(), auth, data, "huge.pdf", "application/pdf")
    assert response.status_code == 413, response.get_json()
    assert response.get_json()["details"]["limit_bytes"] == 100 * MB
    assert emulator.state.requests() == [] and _rows(wa_app) == []
    assert time.monotonic() - started < 10


def test_missing_file_part_is_400_naming_file(wa_app, emulator, auth):
    client = wa_app.test_client()
    missing = client.post("/api/v1/media", data={"line_id": "main"}, headers=auth, content_type="multipart/form-data")
    assert missing.status_code == 400
    assert missing.get_json()["error"] == "VALIDATION_ERROR" and missing.get_json()["details"] == {"file": "is required"}
    as_field = client.post("/api/v1/media", data={"file": "not a file part"}, headers=auth,
                           content_type="multipart/form-data")
    assert as_field.status_code == 400 and as_field.get_json()["details"] == {"file": "is required"}
    empty = _upload(client, auth, b"", "empty.txt", "text/plain")
    assert empty.status_code == 400 and empty.get_json()["details"] == {"file": "is empty"}
    assert emulator.state.requests() == []


def test_a_body_that_is_not_multipart_is_415(wa_app, emulator, auth):
    client = wa_app.test_client()
    as_json = client.post("/api/v1/media", json={"file": "abc"}, headers=auth)
    assert as_json.status_code == 415
    assert as_json.get_json()["error"] == "UNSUPPORTED_MEDIA_TYPE"
    assert as_json.get_json()["details"] == {"content_type": "application/json"}
    raw = client.post("/api/v1/media", data=files.jpeg(), headers={**auth, "Content-Type": "image/jpeg"})
    assert raw.status_code == 415 and raw.get_json()["details"] == {"content_type": "image/jpeg"}
    assert emulator.state.requests() == []


def test_unknown_line_is_404_and_inactive_line_is_409(wa_app, emulator, auth):
    client = wa_app.test_client()
    unknown = _upload(client, auth, files.jpeg(), "a.jpg", "image/jpeg", line_id="nope")
    assert unknown.status_code == 404 and unknown.get_json()["details"] == {"line_id": "nope"}
    inactive = _upload(client, auth, files.jpeg(), "a.jpg", "image/jpeg", line_id="off")
    assert inactive.status_code == 409 and inactive.get_json()["error"] == "LINE_INACTIVE"
    assert emulator.state.requests() == [] and _rows(wa_app) == []


def test_a_graph_refusal_is_502_with_graph_details_and_records_nothing(wa_app, emulator, auth):
    emulator.settings.access_token = "another-token"  # Meta refuses our token: code 190
    response = _upload(wa_app.test_client(), auth, files.jpeg(), "a.jpg", "image/jpeg")
    assert response.status_code == 502
    envelope = response.get_json()
    assert envelope["error"] == "WHATSAPP_API_ERROR"
    assert envelope["details"]["graph_code"] == 190 and envelope["details"]["retryable"] is False
    assert GRAPH_TOKEN not in response.get_data(as_text=True)
    assert _rows(wa_app) == []


def test_media_needs_credentials(wa_app):
    client = wa_app.test_client()
    assert client.post("/api/v1/media", data={}).status_code == 401
    assert client.get(f"/api/v1/media/{uuid.uuid4()}/download").status_code == 401


def test_unknown_media_is_404_everywhere(wa_app, auth):
    client = wa_app.test_client()
    for method, path in (("get", "/123456"), ("get", f"/{uuid.uuid4()}"), ("get", "/123456/download"),
                         ("delete", "/123456")):
        response = getattr(client, method)(f"/api/v1/media{path}", headers=auth)
        assert response.status_code == 404 and response.get_json()["error"] == "NOT_FOUND", path


# -- downloads ------------------------------------------------------------------------------------------------
def test_download_streams_the_exact_bytes_with_headers_and_never_the_graph_url(wa_app, emulator, auth):
    client = wa_app.test_client()
    data = files.padded(files.pdf(), 3 * MB + 17)
    uploaded = _upload(client, auth, data, "report 2026.pdf", "application/pdf").get_json()
    response = client.get(f"/api/v1/media/{uploaded['media_id']}/download", headers=auth, buffered=False)
    assert response.status_code == 200
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) > 1 and max(map(len, chunks)) <= 64 * KB
    assert b"".join(chunks) == data
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["Content-Disposition"] == 'attachment; filename="report 2026.pdf"'
    assert response.headers["X-Request-ID"]
    response.close()
    assert _leaks(emulator, response) == []
    downloads = [r for r in emulator.state.requests() if r["path"].startswith("/_media/")]
    assert [r["status"] for r in downloads] == [200]
    [lookup] = [r for r in emulator.state.requests() if r["path"] == f"/v23.0/{uploaded['media_id']}"]
    assert lookup["query"] == {"phone_number_id": SEND_PNID}


def test_download_by_our_id_and_a_non_ascii_filename(wa_app, emulator, auth):
    client = wa_app.test_client()
    data = files.jpeg()
    uploaded = _upload(client, auth, data, "café.jpg", "image/jpeg").get_json()
    response = client.get(f"/api/v1/media/{uploaded['id']}/download", headers=auth)
    assert response.status_code == 200 and response.data == data
    assert response.headers["Content-Disposition"] == ("attachment; filename=\"caf_.jpg\"; "
                                                       "filename*=UTF-8''caf%C3%A9.jpg")


def test_an_expired_download_url_is_fetched_again_once(wa_app, emulator, auth, monkeypatch):
    client = wa_app.test_client()
    data = files.png(40, 40)
    uploaded = _upload(client, auth, data, "logo.png", "image/png").get_json()
    with wa_app.app_context():
        graph = get_graph_client()
    real_get_media, urls = graph.get_media, []

    def first_url_goes_stale(*args, **kwargs):
        info = real_get_media(*args, **kwargs)
        urls.append(info.url)
        if len(urls) == 1:
            time.sleep(0.3)  # outlive the tiny TTL: the emulator answers this URL with 404
            emulator.settings.media_url_ttl = 300.0
        return info

    monkeypatch.setattr(graph, "get_media", first_url_goes_stale)
    emulator.settings.media_url_ttl = 0.1
    response = client.get(f"/api/v1/media/{uploaded['media_id']}/download", headers=auth)
    assert response.status_code == 200, response.get_json()
    assert response.data == data and response.headers["Content-Type"] == "image/png"
    assert len(urls) == 2 and urls[0] != urls[1]
    downloads = [r["status"] for r in emulator.state.requests() if r["path"].startswith("/_media/")]
    assert downloads == [404, 200]
    assert _leaks(emulator, response) == []


def test_a_url_that_keeps_expiring_is_502_without_leaking_it(wa_app, emulator, auth):
    client = wa_app.test_client()
    uploaded = _upload(client, auth, files.jpeg(), "a.jpg", "image/jpeg").get_json()
    emulator.settings.media_url_ttl = -1.0  # every URL is born expired
    response = client.get(f"/api/v1/media/{uploaded['media_id']}/download", headers=auth)
    assert response.status_code == 502
    assert response.get_json()["error"] == "WHATSAPP_API_ERROR"
    assert response.get_json()["details"]["http_status"] == 404
    downloads = [r["status"] for r in emulator.state.requests() if r["path"].startswith("/_media/")]
    assert downloads == [404, 404]
    assert _leaks(emulator, response) == []


# -- delete ---------------------------------------------------------------------------------------------------
def test_delete_removes_the_media_at_meta_and_here(wa_app, emulator, auth):
    client = wa_app.test_client()
    uploaded = _upload(client, auth, files.jpeg(), "a.jpg", "image/jpeg").get_json()
    media_id = uploaded["media_id"]
    deleted = client.delete(f"/api/v1/media/{media_id}", headers=auth)
    assert deleted.status_code == 204 and deleted.data == b""
    assert emulator.state.media.get(media_id) is None
    at_meta = requests.get(f"{emulator.base_url}/v23.0/{media_id}", timeout=5,
                           headers={"Authorization": f"Bearer {GRAPH_TOKEN}"})
    assert at_meta.status_code == 400 and at_meta.json()["error"]["code"] == 100
    assert client.get(f"/api/v1/media/{media_id}", headers=auth).status_code == 404
    assert client.delete(f"/api/v1/media/{uploaded['id']}", headers=auth).status_code == 404
    assert _rows(wa_app) == []


def test_deleting_media_already_gone_at_meta_forgets_it_here(wa_app, emulator, auth):
    client = wa_app.test_client()
    uploaded = _upload(client, auth, files.jpeg(), "a.jpg", "image/jpeg").get_json()
    assert emulator.state.media.delete(uploaded["media_id"])
    response = client.delete(f"/api/v1/media/{uploaded['id']}", headers=auth)
    assert response.status_code == 204
    assert _rows(wa_app) == []


def test_a_refused_delete_is_502_and_keeps_the_record(wa_app, emulator, auth):
    client = wa_app.test_client()
    uploaded = _upload(client, auth, files.jpeg(), "a.jpg", "image/jpeg").get_json()
    emulator.settings.access_token = "another-token"
    response = client.delete(f"/api/v1/media/{uploaded['media_id']}", headers=auth)
    assert response.status_code == 502 and response.get_json()["details"]["graph_code"] == 190
    assert [row.media_id for row in _rows(wa_app)] == [uploaded["media_id"]]
    assert emulator.state.media.get(uploaded["media_id"]) is not None


# -- inbound media --------------------------------------------------------------------------------------------
def _inbound_media(app, emulator, kind: str, data: bytes, **extra) -> dict:
    answer = requests.post(f"{emulator.base_url}/_sandbox/inbound", timeout=5, json={
        "phone_number_id": SEND_PNID, "from": "16505551234", "name": "Alice", "type": kind,
        "data": base64.b64encode(data).decode(), **extra})
    assert answer.status_code == 200, answer.text
    wamid = answer.json()["id"]

    def recorded():
        with app.app_context():
            message = db.session.scalar(select(Message).where(Message.whatsapp_message_id == wamid))
            return message and db.session.scalar(select(Media).where(Media.message_id == message.id))

    wait_until(recorded)
    drain(app)
    return answer.json()["payload"]["entry"][0]["changes"][0]["value"]["messages"][0][kind]


def test_inbound_media_is_recorded_and_downloads_through_the_same_endpoint(wa_app, emulator, auth):
    client = wa_app.test_client()
    photo, document = files.jpeg(20, 20), files.pdf()
    image = _inbound_media(wa_app, emulator, "image", photo, mime_type="image/jpeg", caption="Look")
    pdf = _inbound_media(wa_app, emulator, "document", document, mime_type="application/pdf",
                         filename="contract.pdf")

    meta = client.get(f"/api/v1/media/{image['id']}", headers=auth).get_json()
    assert (meta["direction"], meta["line_id"], meta["mime_type"]) == ("inbound", "main", "image/jpeg")
    assert meta["sha256"] == hashlib.sha256(photo).hexdigest()  # hex, though the webhook gave base64
    response = client.get(f"/api/v1/media/{image['id']}/download", headers=auth)
    assert response.status_code == 200 and response.data == photo
    assert response.headers["Content-Disposition"] == f'attachment; filename="{image["id"]}.jpg"'
    assert _leaks(emulator, response) == []

    response = client.get(f"/api/v1/media/{pdf['id']}/download", headers=auth)
    assert response.status_code == 200 and response.data == document
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="contract.pdf"'


# -- MEDIA_UPLOAD_LINKS -------------------------------------------------------------------------------------
class LinkServer:
    """A loopback HTTP server: path -> (status, headers, body); records every request path."""

    def __init__(self, routes: dict) -> None:
        server = self
        self.routes, self.paths = routes, []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                server.paths.append(self.path)
                status, headers, body = server.routes.get(self.path, (404, {}, b"not here"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "X-Unsized" not in headers:  # else the body ends when the connection closes
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the service stopped reading: that is the point of some tests

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


PHOTO = files.jpeg(30, 30)
BIG_PHOTO = files.padded(files.jpeg(), 5 * MB + 1)


@pytest.fixture
def links(make_app, emulator):
    app = make_app({"WHATSAPP_API_BASE_URL": emulator.base_url, "WHATSAPP_ACCESS_TOKEN": GRAPH_TOKEN,
                    "MESSAGING_LINES": SEND_LINES, "GRAPH_READ_TIMEOUT": "1.5", "MEDIA_UPLOAD_LINKS": "true"})
    app.config["MEDIA_LINK_ALLOW_PRIVATE"] = True  # the link server is on loopback
    emulator.target.app = app
    server = LinkServer({
        "/photo.jpg": (200, {"Content-Type": "image/jpeg"}, PHOTO),
        "/files/Q3%20report.pdf": (200, {"Content-Type": "application/pdf"}, files.pdf()),
        "/hop1": (302, {"Location": "/hop2"}, b""),
        "/hop2": (301, {"Location": "/hop3"}, b""),
        "/hop3": (307, {"Location": "/photo.jpg"}, b""),
        "/loop1": (302, {"Location": "/loop2"}, b""), "/loop2": (302, {"Location": "/loop3"}, b""),
        "/loop3": (302, {"Location": "/loop4"}, b""), "/loop4": (302, {"Location": "/photo.jpg"}, b""),
        "/big.jpg": (200, {"Content-Type": "image/jpeg"}, BIG_PHOTO),
        "/big-unsized.jpg": (200, {"Content-Type": "image/jpeg", "X-Unsized": "1"}, BIG_PHOTO),
        "/unsized.jpg": (200, {"Content-Type": "image/jpeg", "X-Unsized": "1"}, PHOTO),
        "/lying.png": (200, {"Content-Type": "image/png"}, PHOTO),
        "/octet": (200, {"Content-Type": "application/octet-stream"}, PHOTO),
        "/broken": (500, {}, b"oops"),
    })
    yield app, server
    emulator.wait_idle(10)  # the sends' status webhooks, processed before the tables are truncated
    drain(app)
    server.close()


def _free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _send(app, auth, path, **fields):
    return app.test_client().post(f"/api/v1/messages/{path}", json={"phone_number": TO, **fields}, headers=auth)


def test_a_link_is_fetched_uploaded_and_sent_as_a_media_id(links, emulator, auth):
    app, server = links
    response = _send(app, auth, "image", media_url=f"{server.base}/photo.jpg", caption="Look")
    assert response.status_code == 201, response.get_json()
    [graph] = graph_bodies(emulator)
    assert set(graph["image"]) == {"id", "caption"} and graph["image"]["caption"] == "Look"
    assert response.get_json()["content"]["image"] == graph["image"]
    stored = emulator.state.media.get(graph["image"]["id"])
    assert stored.sha256 == hashlib.sha256(PHOTO).hexdigest() and stored.mime_type == "image/jpeg"
    meta = app.test_client().get(f"/api/v1/media/{graph['image']['id']}", headers=auth).get_json()
    assert (meta["direction"], meta["line_id"], meta["filename"], meta["file_size"]) == (
        "outbound", "main", "photo.jpg", len(PHOTO))
    assert server.paths == ["/photo.jpg"]


def test_a_document_link_keeps_filename_and_caption(links, emulator, auth):
    app, server = links
    response = _send(app, auth, "document", media_url=f"{server.base}/files/Q3%20report.pdf", caption="Q3",
                     filename="report.pdf")
    assert response.status_code == 201, response.get_json()
    document = graph_bodies(emulator)[0]["document"]
    assert set(document) == {"id", "caption", "filename"} and document["filename"] == "report.pdf"
    meta = app.test_client().get(f"/api/v1/media/{document['id']}", headers=auth).get_json()
    assert meta["filename"] == "Q3 report.pdf" and meta["mime_type"] == "application/pdf"


def test_a_generic_content_type_lets_the_bytes_decide(links, emulator, auth):
    app, server = links
    response = _send(app, auth, "image", media_url=f"{server.base}/octet")
    assert response.status_code == 201, response.get_json()
    assert emulator.state.media.get(graph_bodies(emulator)[0]["image"]["id"]).mime_type == "image/jpeg"


def test_up_to_three_redirects_are_followed(links, emulator, auth):
    app, server = links
    response = _send(app, auth, "image", media_url=f"{server.base}/hop1")
    assert response.status_code == 201, response.get_json()
    assert server.paths == ["/hop1", "/hop2", "/hop3", "/photo.jpg"]
    assert "id" in graph_bodies(emulator)[0]["image"]


@pytest.mark.parametrize("path, reason", [
    ("/loop1", "redirected more than 3 times"),
    ("/missing.jpg", "HTTP 404"),
    ("/broken", "HTTP 500"),
])
def test_a_link_that_cannot_be_fetched_is_400_naming_media_url(links, emulator, auth, path, reason):
    app, server = links
    response = _send(app, auth, "image", media_url=f"{server.base}{path}")
    assert response.status_code == 400, response.get_json()
    envelope = response.get_json()
    assert envelope["error"] == "VALIDATION_ERROR" and reason in envelope["details"]["media_url"]
    assert reason in envelope["message"]
    assert emulator.state.requests() == [] and _rows(app) == []


def test_an_unreachable_link_is_400_naming_media_url(links, emulator, auth):
    app, _ = links
    response = _send(app, auth, "image", media_url=f"http://127.0.0.1:{_free_port()}/x.jpg")
    assert response.status_code == 400
    assert "could not be reached" in response.get_json()["details"]["media_url"]


@pytest.mark.parametrize("path", ["/big.jpg", "/big-unsized.jpg"], ids=["content-length", "counted-while-streaming"])
def test_a_link_over_the_type_limit_is_413_and_nothing_is_uploaded(links, emulator, auth, path):
    app, server = links
    response = _send(app, auth, "image", media_url=f"{server.base}{path}")
    assert response.status_code == 413, response.get_json()
    details = response.get_json()["details"]
    assert details["media_url"] == "is too large" and details["limit_bytes"] == 5 * MB
    assert emulator.state.requests() == [] and _rows(app) == []


def test_a_link_without_content_length_is_counted_as_it_streams(links, emulator, auth):
    app, server = links
    response = _send(app, auth, "image", media_url=f"{server.base}/unsized.jpg")
    assert response.status_code == 201, response.get_json()
    media_id = graph_bodies(emulator)[0]["image"]["id"]
    meta = app.test_client().get(f"/api/v1/media/{media_id}", headers=auth).get_json()
    assert meta["file_size"] == len(PHOTO) and meta["sha256"] == hashlib.sha256(PHOTO).hexdigest()


@pytest.mark.parametrize("path, message_type", [("/lying.png", "image"), ("/photo.jpg", "video"),
                                                ("/photo.jpg", "sticker")])
def test_a_link_of_the_wrong_type_is_415_naming_media_url(links, emulator, auth, path, message_type):
    app, server = links
    response = _send(app, auth, message_type, media_url=f"{server.base}{path}")
    assert response.status_code == 415, response.get_json()
    assert "media_url" in response.get_json()["details"]
    assert emulator.state.requests() == []


def test_private_addresses_are_refused_unless_allowed(links, emulator, auth):
    app, server = links
    app.config["MEDIA_LINK_ALLOW_PRIVATE"] = False
    for url in (f"{server.base}/photo.jpg", "http://10.1.2.3/x.jpg", "http://169.254.169.254/latest/meta-data",
                "http://[::ffff:127.0.0.1]/x.jpg", "ftp://example.com/x.jpg"):
        response = _send(app, auth, "image", media_url=url)
        assert response.status_code == 400, (url, response.get_json())
        assert "media_url" in response.get_json()["details"], url
    assert server.paths == [] and emulator.state.requests() == []


def test_the_address_a_connection_reaches_is_checked_too_so_dns_cannot_rebind(links, emulator, auth, monkeypatch):
    from app.api.media import links as link_fetching

    app, server = links
    app.config["MEDIA_LINK_ALLOW_PRIVATE"] = False
    # As if DNS had answered the check with a public address and the connection with loopback.
    monkeypatch.setattr(link_fetching, "_check_url", lambda url, allow_private: None)
    response = _send(app, auth, "image", media_url=f"{server.base}/photo.jpg")
    assert response.status_code == 400, response.get_json()
    assert "private, loopback or link-local" in response.get_json()["details"]["media_url"]
    assert server.paths == [] and emulator.state.requests() == []


def test_a_blocked_recipient_is_409_before_the_link_is_fetched(links, emulator, auth):
    app, server = links
    client = app.test_client()
    assert client.post(f"/api/v1/contacts/{TO}/block", headers=auth).status_code == 200
    response = _send(app, auth, "image", media_url=f"{server.base}/photo.jpg")
    assert response.status_code == 409 and response.get_json()["error"] == "CONTACT_BLOCKED"
    assert server.paths == [] and emulator.state.requests() == []


def test_media_ids_pass_through_untouched_with_links_on(links, emulator, auth):
    app, server = links
    response = _send(app, auth, "image", media_id="1234")
    assert response.status_code == 201
    assert graph_bodies(emulator)[0]["image"] == {"id": "1234"} and server.paths == []

