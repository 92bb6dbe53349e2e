"""RESTX models of the media API."""
from flask_restx import Namespace, fields
from werkzeug.datastructures import FileStorage

from app.private.auth import require_auth
from app.utils.restx import NullableInteger, NullableString

ns = Namespace("media", description="Upload media to WhatsApp, read its metadata, download it, delete it",
               decorators=[require_auth])

upload_parser = ns.parser()
upload_parser.add_argument(
    "file", location="files", type=FileStorage, required=True,
    help="The file. Its type is read from its bytes and must match the part's Content-Type when one is given: "
         "image jpeg/png 5 MB; video mp4/3gpp 16 MB; audio aac/amr/mpeg/mp4/ogg (Opus) 16 MB; "
         "sticker webp 100 KB static, 500 KB animated; documents (pdf, txt, Office) 100 MB")
upload_parser.add_argument("line_id", location="form", required=False,
                           help="Line whose business number uploads it; DEFAULT_LINE_ID when absent")

media_model = ns.model("Media", {
    "id": fields.String(required=True, example="0b8e5c7a-2f4d-4a61-8c3e-5d9f1b2a7e40", description="Our id (UUID)"),
    "media_id": fields.String(required=True, example="1166846181421424",
                              description="Meta's media id: send it as media_id; it lives 30 days at Meta"),
    "mime_type": NullableString(example="image/jpeg", description="The type detected from the bytes"),
    "file_size": NullableInteger(example=303833, description="Bytes"),
    "sha256": NullableString(example="a3f1c9d2e4b5a6978c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b",
                             description="Hex SHA-256 of the bytes"),
    "filename": NullableString(example="receipt.jpg", description="The uploader's file name, without any path"),
    "line_id": NullableString(example="line_1", description="Line that uploaded or received it"),
    "direction": fields.String(required=True, enum=["outbound", "inbound"], example="outbound",
                               description="outbound: uploaded here; inbound: received in a webhook"),
    "created_at": fields.String(required=True, example="2026-12-03T10:00:00+00:00"),
})
