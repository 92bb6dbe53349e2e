"""Media API: upload to WhatsApp, metadata, streamed download, delete."""
from flask import Response
from flask_restx import Resource

from app.api.media.models import media_model, ns, upload_parser
from app.api.media.services import MediaService
from app.api.media.transfer import stream_response, upload_from_request
from app.utils.media_types import SUPPORTED_TYPES

MEDIA_ID = "Meta's media id, or our id (UUID)"


@ns.route("")
class MediaList(Resource):
    @ns.expect(upload_parser)
    @ns.response(201, "Uploaded to WhatsApp and recorded", media_model)
    @ns.response(400, "No `file` part, or an empty file")
    @ns.response(404, "Unknown line")
    @ns.response(409, "Inactive line")
    @ns.response(413, "Over WhatsApp's size limit for the type")
    @ns.response(415, "Not multipart/form-data, a type WhatsApp does not take, or a Content-Type the bytes contradict")
    @ns.response(502, "WhatsApp refused the upload; nothing recorded")
    def post(self):
        """Upload a file to WhatsApp (multipart/form-data) and get its media_id"""
        upload, line_id = upload_from_request()
        return MediaService().upload(upload.stream, upload.mimetype, upload.filename, line_id), 201


@ns.route("/<string:media_id>")
@ns.param("media_id", MEDIA_ID)
class MediaItem(Resource):
    @ns.response(200, "The media's metadata", media_model)
    @ns.response(404, "Unknown media")
    def get(self, media_id):
        """Get a media object's metadata"""
        return MediaService().get(media_id)

    @ns.response(204, "Deleted at WhatsApp (or already gone there) and here; no body")
    @ns.response(404, "Unknown media")
    @ns.response(502, "WhatsApp refused the delete; the record is kept")
    def delete(self, media_id):
        """Delete a media object at WhatsApp and here"""
        MediaService().delete(media_id)
        return Response(status=204)


@ns.route("/<string:media_id>/download")
@ns.param("media_id", MEDIA_ID)
class MediaDownload(Resource):
    @ns.produces(["application/octet-stream", *sorted(SUPPORTED_TYPES), "application/json"])
    @ns.response(200, "The bytes, streamed, with Content-Type, Content-Length and Content-Disposition")
    @ns.response(404, "Unknown media")
    @ns.response(502, "WhatsApp refused or failed to serve it")
    def get(self, media_id):
        """Download a media object's bytes (uploaded or received) through this service"""
        return stream_response(MediaService().download(media_id))
