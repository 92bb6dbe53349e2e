"""Small additions to flask-restx fields for accurate Swagger schemas."""
from flask_restx import fields


class NullableString(fields.String):
    """A string that may also be null (Swagger 2.0 ``x-nullable``; JSON-schema type list)."""

    __schema_type__ = ["string", "null"]

    def schema(self):
        schema = super().schema()
        schema["type"] = "string"
        schema["x-nullable"] = True
        return schema


class NullableRaw(fields.Raw):
    """Any JSON value, null included."""

    def schema(self):
        schema = super().schema()
        schema["x-nullable"] = True
        return schema


class NullableInteger(fields.Integer):
    """An integer that may also be null."""

    def schema(self):
        schema = super().schema()
        schema["x-nullable"] = True
        return schema


class JsonValue(fields.Raw):
    """Any JSON value (string or object, as the description says); no type in the schema."""

    def schema(self):
        schema = super().schema()
        schema.pop("type", None)
        return schema
