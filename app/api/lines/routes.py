"""Lines API: list, get and update messaging lines."""
from flask_restx import Resource

from app.api.lines.models import line_list_model, line_model, line_update_model, ns
from app.api.lines.services import LineService
from app.utils.validation import parse


@ns.route("")
class LineList(Resource):
    @ns.response(200, "The configured lines", line_list_model)
    def get(self):
        """List messaging lines with today's quota use"""
        return {"items": LineService().list()}


@ns.route("/<string:line_id>")
@ns.param("line_id", "The line's id from configuration")
class LineItem(Resource):
    @ns.response(200, "The line", line_model)
    @ns.response(404, "Unknown line")
    def get(self, line_id):
        """Get one line"""
        return LineService().get(line_id)

    @ns.expect(line_update_model)
    @ns.response(200, "The updated line", line_model)
    @ns.response(400, "Invalid field")
    @ns.response(404, "Unknown line")
    def patch(self, line_id):
        """Update a line's display name, webhook URL, active flag or daily limit"""
        return LineService().update(line_id, parse(line_update_model))
