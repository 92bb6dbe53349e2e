"""Media over real HTTP: upload to disk, metadata, streamed download, URL expiry, ownership, delete."""
from __future__ import annotations

import hashlib
import os
import time

import pytest
import requests

from sandbox import EmulatorSettings, start_in_thread

TOKEN = "media-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PNID = "100000000000001"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    media_dir = tmp_path_factory.mktemp("media")
    running = start_in_thread(EmulatorSettings(access_token=TOKEN, media_dir=str(media_dir)))
    yield running
    running.stop()


def upload(emulator, data: bytes, mime: str, *, fields=None, filename: str = "file.bin", pnid: str = PNID):
    form = {"messaging_product": "whatsapp", "type": mime} if fields is None else fields
    return requests.post(f"{emulator.base_url}/v23.0/{pnid}/media", data=form,
                         files={"file": (filename, data, mime)}, headers=AUTH, timeout=30)


def metadata(emulator, media_id: str, **params):
    return requests.get(f"{emulator.base_url}/v23.0/{media_id}", params=params, headers=AUTH, timeout=5)


def test_upload_metadata_download_round_trip_keeps_bytes_and_type(emulator):
    data = os.urandom(300_000)
    uploaded = upload(emulator, data, "image/png", filename="photo.png")
    assert uploaded.status_code == 200, uploaded.text
    media_id = uploaded.json()["id"]
    assert media_id.isdigit() and list(uploaded.json()) == ["id"]

    meta = metadata(emulator, media_id)
    assert meta.status_code == 200, meta.text
    body = meta.json()
    assert body["messaging_product"] == "whatsapp" and body["id"] == media_id
    assert body["mime_type"] == "image/png"
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["file_size"] == len(data)
    assert body["url"].startswith(f"{emulator.base_url}/_media/{media_id}?expires=")

    with requests.get(body["url"], headers=AUTH, stream=True, timeout=5) as download:
        assert download.status_code == 200
        assert download.headers["Content-Type"] == "image/png"
        assert download.headers["Content-Length"] == str(len(data))
        assert download.content == data


def test_download_is_streamed_in_chunks_not_one_buffer(emulator):
    data = os.urandom(200_000)
    media_id = upload(emulator, data, "video/mp4").json()["id"]
    url = metadata(emulator, media_id).json()["url"]
    path = url.split(emulator.base_url, 1)[1]
    response = emulator.app.test_client().get(path, headers=AUTH, buffered=False)
    assert response.status_code == 200 and response.headers["Content-Type"] == "video/mp4"
    chunks = list(response.response)
    response.close()
    assert b"".join(chunks) == data
    assert len(chunks) > 1 and max(len(chunk) for chunk in chunks) <= 64 * 1024


def test_uploaded_file_is_stored_on_disk_in_the_media_dir(emulator):
    uploaded = upload(emulator, b"%PDF-1.4 hello", "application/pdf", filename="a.pdf")
    assert uploaded.status_code == 200, uploaded.text
    media_id = uploaded.json()["id"]
    path = os.path.join(emulator.settings.media_dir, media_id)
    with open(path, "rb") as handle:
        assert handle.read() == b"%PDF-1.4 hello"
    assert [name for name in os.listdir(emulator.settings.media_dir) if name.startswith(".upload")] == []


def test_download_needs_the_bearer_token(emulator):
    media_id = upload(emulator, b"abc", "text/plain").json()["id"]
    url = metadata(emulator, media_id).json()["url"]
    response = requests.get(url, timeout=5)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == 190


def test_download_url_expires_after_media_url_ttl(emulator):
    emulator.settings.media_url_ttl = 0.3
    media_id = upload(emulator, b"short lived", "text/plain").json()["id"]
    url = metadata(emulator, media_id).json()["url"]
    fresh = requests.get(url, headers=AUTH, timeout=5)
    assert (fresh.status_code, fresh.content) == (200, b"short lived")
    time.sleep(0.4)
    stale = requests.get(url, headers=AUTH, timeout=5)
    assert stale.status_code == 404
    renewed = requests.get(metadata(emulator, media_id).json()["url"], headers=AUTH, timeout=5)
    assert (renewed.status_code, renewed.content) == (200, b"short lived")


def test_tampered_download_url_is_404(emulator):
    media_id = upload(emulator, b"abc", "text/plain").json()["id"]
    url = metadata(emulator, media_id).json()["url"]
    response = requests.get(url[:-4] + "0000", headers=AUTH, timeout=5)
    assert response.status_code == 404


def test_phone_number_id_filter_must_match_the_uploader(emulator):
    media_id = upload(emulator, b"abc", "text/plain").json()["id"]
    assert metadata(emulator, media_id, phone_number_id=PNID).status_code == 200
    other = metadata(emulator, media_id, phone_number_id="999")
    assert other.status_code == 400 and other.json()["error"]["code"] == 100


def test_delete_removes_the_media_and_unknown_ids_get_code_100(emulator):
    media_id = upload(emulator, b"abc", "text/plain").json()["id"]
    deleted = requests.delete(f"{emulator.base_url}/v23.0/{media_id}", headers=AUTH, timeout=5)
    assert (deleted.status_code, deleted.json()) == (200, {"success": True})
    gone = metadata(emulator, media_id)
    assert gone.status_code == 400
    assert gone.json()["error"]["code"] == 100
    assert gone.json()["error"]["message"].startswith("(#100) Unsupported get request")
    again = requests.delete(f"{emulator.base_url}/v23.0/{media_id}", headers=AUTH, timeout=5)
    assert again.status_code == 400 and again.json()["error"]["code"] == 100
    assert not os.path.exists(os.path.join(emulator.settings.media_dir, media_id))


@pytest.mark.parametrize(("mime", "size", "code"), [
    ("image/gif", 10, 100),
    ("image/jpeg", 5 * 1024 * 1024 + 1, 131053),
    ("image/webp", 500 * 1024 + 1, 131053),
])
def test_unsupported_type_or_oversized_file_is_rejected(emulator, mime, size, code):
    response = upload(emulator, b"\0" * size, mime)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["error_data"]["details"]
    assert emulator.state.media.list() == []
    assert os.listdir(emulator.settings.media_dir) == []


def test_sticker_within_500_kb_is_accepted(emulator):
    response = upload(emulator, b"\0" * (500 * 1024), "image/webp")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("fields", "field"), [
    ({"type": "text/plain"}, "messaging_product"),
    ({"messaging_product": "whatsapp"}, "type"),
])
def test_upload_without_required_fields_gets_131008(emulator, fields, field):
    response = upload(emulator, b"abc", "text/plain", fields=fields)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 131008 and field in error["error_data"]["details"]


def test_upload_without_a_file_gets_131008(emulator):
    response = requests.post(f"{emulator.base_url}/v23.0/{PNID}/media", headers=AUTH, timeout=5,
                             data={"messaging_product": "whatsapp", "type": "text/plain"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 131008
    assert "file" in response.json()["error"]["error_data"]["details"]


def test_large_document_streams_through_without_loss(emulator):
    data = os.urandom(1024 * 1024) * 12  # 12 MB
    uploaded = upload(emulator, data, "application/pdf", filename="big.pdf")
    assert uploaded.status_code == 200, uploaded.text
    body = metadata(emulator, uploaded.json()["id"]).json()
    assert body["file_size"] == len(data) and body["sha256"] == hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    with requests.get(body["url"], headers=AUTH, stream=True, timeout=30) as download:
        assert download.status_code == 200
        for chunk in download.iter_content(chunk_size=256 * 1024):
            digest.update(chunk)
    assert digest.hexdigest() == body["sha256"]
