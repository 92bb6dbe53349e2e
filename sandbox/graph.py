"""The Graph API routes Meta serves: messages, media, media downloads and message templates."""
from __future__ import annotations

import hmac
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from sandbox.errors import GraphError, bad_param, missing, token_error
from sandbox.media import MediaObject, SpoolFile, check_upload, stream_file
from sandbox.sending import handle_messages
from sandbox.state import EmulatorState

graph = Blueprint("graph", __name__)
HIDDEN_QUERY = ("access_token",)


def emulator() -> EmulatorState:
    """Return the state of the emulator serving this request."""
    return current_app.extensions["sandbox"]


@graph.before_request
def _authenticate_and_delay() -> None:
    """Add the configured latency, then require a bearer token (Meta's error 190 otherwise)."""
    settings = emulator().settings
    if settings.latency > 0:
        time.sleep(settings.latency)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        token = request.args.get("access_token", "")
        if not token:
            raise token_error("An active access token must be used to query information.")
    token = token.strip()
    if settings.access_token is not None and not hmac.compare_digest(token, settings.access_token):
        raise token_error("Invalid OAuth access token - Cannot parse access token")


@graph.after_request
def _record(response: Response) -> Response:
    """Remember the request for GET /_sandbox/requests (never the Authorization header)."""
    emulator().record_request({
        "method": request.method, "path": request.path,
        "query": {k: v for k, v in request.args.items() if k not in HIDDEN_QUERY},
        "json": request.get_json(silent=True) if request.is_json else None,
        "form": dict(request.form) if "form" in request.__dict__ else None,
        "status": response.status_code, "time": time.time()})
    return response


@graph.post("/<version:version>/<phone_number_id>/messages")
def send_message(version: str, phone_number_id: str) -> Response:
    """Send a message, mark a message read, or show a typing indicator."""
    return jsonify(handle_messages(emulator(), phone_number_id, _json_body()))


@graph.post("/<version:version>/<phone_number_id>/media")
def upload_media(version: str, phone_number_id: str) -> Response:
    """Upload a media file (multipart/form-data), streamed to disk."""
    form, files = request.form, request.files
    product = form.get("messaging_product")
    if not product:
        raise missing("messaging_product")
    if product != "whatsapp":
        raise bad_param("messaging_product", f"must be 'whatsapp' (got {product!r}).")
    upload = files.get("file")
    if upload is None or not isinstance(upload.stream, SpoolFile):
        raise missing("file")
    mime = form.get("type")
    if not mime:
        raise missing("type")
    check_upload(mime, upload.stream.size)
    item = emulator().media.adopt(upload.stream, mime, phone_number_id, upload.filename)
    return jsonify({"id": item.id})


@graph.get("/<version:version>/<media_id>")
def media_metadata(version: str, media_id: str) -> Response:
    """Return a media object's metadata and a fresh, expiring download URL."""
    state = emulator()
    item = _owned_media(media_id, "get")
    base_url = state.settings.public_url or request.url_root
    return jsonify({"messaging_product": "whatsapp", "url": state.media.signed_url(base_url, item.id),
                    "mime_type": item.mime_type, "sha256": item.sha256, "file_size": item.file_size,
                    "id": item.id})


@graph.delete("/<version:version>/<media_id>")
def media_delete(version: str, media_id: str) -> Response:
    """Delete a media object."""
    item = _owned_media(media_id, "delete")
    emulator().media.delete(item.id)
    return jsonify({"success": True})


@graph.get("/_media/<media_id>")
def media_download(media_id: str) -> Response:
    """Stream a media file from disk; the signed URL must not have expired (404 otherwise)."""
    state = emulator()
    item = state.media.get(media_id)
    valid = state.media.url_is_valid(media_id, request.args.get("expires", ""), request.args.get("sig", ""))
    if item is None or not valid:
        raise GraphError(100, "The media URL has expired or does not exist: request a new URL.",
                         http_status=404)
    try:
        chunks = stream_file(item.path)
    except FileNotFoundError:
        raise GraphError(100, "The media was deleted.", http_status=404) from None
    return Response(chunks, status=200, content_type=item.mime_type, direct_passthrough=True,
                    headers={"Content-Length": str(item.file_size)})


@graph.get("/<version:version>/<waba_id>/message_templates")
def message_templates(version: str, waba_id: str) -> Response:
    """List the account's message templates, honouring limit and the after cursor."""
    state = emulator()
    if waba_id != state.settings.waba_id:
        raise unknown_object(waba_id, "get")
    try:
        limit = int(request.args.get("limit", 25))
    except ValueError:
        raise bad_param("limit", "must be an integer.") from None
    body, more = state.templates.page(limit=limit, after=request.args.get("after"),
                                      name=request.args.get("name"), status=request.args.get("status"))
    if more:
        after = body["paging"]["cursors"]["after"]
        body["paging"]["next"] = f"{request.base_url}?limit={limit}&after={after}"
    return jsonify(body)


def unknown_object(object_id: str, verb: str) -> GraphError:
    """Return Meta's error for an id that does not exist (code 100, subcode 33)."""
    message = (f"(#100) Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
               f"loaded due to missing permissions, or does not support this operation.")
    return GraphError(100, message[7:], subcode=33, message=message)


def _owned_media(media_id: str, verb: str) -> MediaObject:
    """Return the media object, honouring ?phone_number_id= (it must be the uploader)."""
    item = emulator().media.get(media_id)
    owner = request.args.get("phone_number_id")
    if item is None or (owner and owner != item.uploader):
        raise unknown_object(media_id, verb)
    return item


def _json_body() -> Any:
    """Return the parsed JSON body; error 100 when the body is not JSON."""
    data = request.get_data(cache=True)
    if not data.strip():
        return {}
    body = request.get_json(silent=True, force=True)
    if body is None:
        raise GraphError(100, "The request body is not valid JSON.")
    return body


def upload_stream_factory(*_args: Any, **_kwargs: Any) -> SpoolFile:
    """Write every uploaded file straight into the media directory (Request._get_file_stream)."""
    spool = emulator().media.new_spool()
    g.setdefault("sandbox_spools", []).append(spool)
    return spool
