"""Contract: our builders produce exactly Meta's own example send bodies (OpenAPI v23.0 examples).

Each modelled example is rebuilt from the equivalent API input, written out by hand below, and
compared with Meta's body after its placeholders are filled with the same concrete values. Where
our design deliberately differs from an example, one named normaliser says why.
"""
from __future__ import annotations

import json
import re

import pytest

from app.errors import ValidationError
from app.utils.formatters import (
    build_contacts,
    build_interactive_buttons,
    build_interactive_list,
    build_location,
    build_mark_read,
    build_media,
    build_reaction,
    build_template,
    build_text,
    template_body,
    template_button,
    template_header,
    validate_graph_native,
)
from tests.fixtures.meta import load_examples

TO = "16505551234"  # what the service hands the builders: normalised E.164 digits
WAMID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI3QkE4RjU2QzE0MjQ0NjQ3QjkA"

# Concrete values for Meta's placeholders; anything not listed is filled by _readable().
CONCRETE = {
    "{{Recipient-Phone-Number}}": "+" + TO,
    "{{Recipient-WA-Phone-Number}}": "+" + TO,
    "{{Flow-ID}}": "1906385232743451",
    "{{Flow-Name}}": "appointment_booking",
    "<MSGID_OF_PREV_MSG>": WAMID,
    "<MSGID_OF_MSG_YOU_ARE_REPLYING_TO>": WAMID,
    "<IMAGE_OBJECT_ID>": "1479537139650973",
    "<AUDIO_OBJECT_ID>": "1013859600285441",
    "<VIDEO_OBJECT_ID>": "1166846181421424",
    "<DOCUMENT_OBJECT_ID>": "1376223850470843",
    "<MEDIA_OBJECT_ID>": "798882015472548",
    "<DOCUMENT_FILENAME>": "lucky-shrub-invoice.pdf",
    "<TEMPLATE_NAME>": "appointment_booking",
    "<FLOW_TOKEN>": "AQAAAAACS5FpgQ_cAAAAAD0QI3s",
}
_PLACEHOLDER = re.compile(r"\{\{[^{}]+\}\}|<[^<>]+>|http\(s\)://[\w./-]+")


def _readable(placeholder: str) -> str:
    inner = placeholder.strip("<>")
    if inner.startswith("http(s)://"):  # Meta writes links as "http(s)://image-url", with or without <>
        return "https://example.com/" + inner[len("http(s)://"):]
    return re.sub(r"[_-]+", " ", inner).capitalize()  # "<SECTION_1_ROW_1_TITLE>" -> "Section 1 row 1 title"


def fill(value):
    """Replace every Meta placeholder, in keys and values, with the value our test passes."""
    if isinstance(value, dict):
        return {fill(key): fill(item) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item) for item in value]
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda match: CONCRETE.get(match.group(0), _readable(match.group(0))), value)
    return value


EXAMPLES = {title: fill(body) for title, body in load_examples().sends.items()}


# --- deliberate differences, applied to Meta's body before comparing ---------------------------

def with_recipient_type(body: dict) -> dict:
    """Meta's example omits recipient_type; we always send Graph's default "individual" explicitly."""
    return {**body, "recipient_type": "individual"}


def with_plus(body: dict) -> dict:
    """Meta's example writes `to` without "+"; we always add it, or Meta would prepend our country code."""
    return {**body, "to": "+" + body["to"].lstrip("+")}


def typed(message_type: str):
    def with_type(body: dict) -> dict:
        """Meta's example omits `type`; we always send it (Graph would read the list reply as text)."""
        return {**body, "type": message_type}
    return with_type


def without_language_policy(body: dict) -> dict:
    """Meta's example sends the legacy, optional language.policy "deterministic"; we don't expose it."""
    template = dict(body["template"], language={"code": body["template"]["language"]["code"]})
    return {**body, "template": template}


def with_string_text_parameters(body: dict) -> dict:
    """Meta's example sends JSON booleans as text parameters; our API requires text to be a string."""
    def fix(node):
        if isinstance(node, dict):
            if node.get("type") == "text" and isinstance(node.get("text"), bool):
                return {**node, "text": json.dumps(node["text"])}
            return {key: fix(item) for key, item in node.items()}
        return [fix(item) for item in node] if isinstance(node, list) else node
    return fix(body)


DIFFERENCES = {
    "Send Contact Message": [with_recipient_type],
    "Send Reply to Contact Message": [with_recipient_type],
    "Send Flow Template Message": [with_recipient_type],
    "Send Test Message": [with_recipient_type],
    "Send Sample Issue Resolution Template": [with_recipient_type, without_language_policy,
                                              with_string_text_parameters],
    "Send Sample Shipping Confirmation Template": [with_plus],
    "Send Sample Text Message": [with_plus],
    "Send Text Message with Preview URL": [with_recipient_type, typed("text")],
    "Send Reply to List Message": [typed("interactive")],
}


def expected(title: str) -> dict:
    body = EXAMPLES[title]
    for normalise in DIFFERENCES.get(title, []):
        body = normalise(body)
    return body


# --- the equivalent API inputs ----------------------------------------------------------------

CURRENCY = {"type": "currency", "currency": {"fallback_value": "$100.99", "code": "USD", "amount_1000": 100990}}
DATE_TIME = {"type": "date_time", "date_time": {"fallback_value": "February 25, 1977", "day_of_week": 5,
                                                "year": 1977, "month": 2, "day_of_month": 25, "hour": 15,
                                                "minute": 33, "calendar": "GREGORIAN"}}
JOHN_SMITH = {
    "name": {"formatted_name": "John Smith", "first_name": "John", "last_name": "Smith", "middle_name": "D.",
             "suffix": "Jr", "prefix": "Dr"},
    "birthday": "2012-08-18",
    "addresses": [
        {"street": "1 Hacker Way", "city": "Menlo Park", "state": "CA", "zip": "94025",
         "country": "United States", "country_code": "us", "type": "HOME"},
        {"street": "200 Jefferson Dr", "city": "Menlo Park", "state": "CA", "zip": "94025",
         "country": "United States", "country_code": "us", "type": "WORK"},
    ],
    "emails": [{"email": "test@fb.com", "type": "WORK"}, {"email": "test@whatsapp.com", "type": "HOME"}],
    "org": {"company": "WhatsApp", "department": "Design", "title": "Manager"},
    "phones": [{"phone": "+1 (940) 555-1234", "type": "HOME"},
               {"phone": "+1 (650) 555-1234", "type": "WORK", "wa_id": "16505551234"}],
    "urls": [{"url": "https://www.facebook.com", "type": "WORK"}, {"url": "https://www.whatsapp.com", "type": "HOME"}],
}
META_HQ = {"latitude": 37.758056, "longitude": -122.425332, "name": "META HQ",
           "address": "1 Hacker Way, Menlo Park, CA 94025"}


def _list_message(reply_to=None) -> dict:
    def row(s, r):
        return {"id": fill(f"<LIST_SECTION_{s}_ROW_{r}_ID>"), "title": fill(f"<SECTION_{s}_ROW_{r}_TITLE>"),
                "description": fill(f"<SECTION_{s}_ROW_{r}_DESC>")}
    sections = [{"title": fill(f"<LIST_SECTION_{s}_TITLE>"), "rows": [row(s, 1), row(s, 2)]} for s in (1, 2)]
    return build_interactive_list(TO, body=fill("<BODY_TEXT>"), button_text=fill("<BUTTON_TEXT>"), sections=sections,
                                  header=fill("<HEADER_TEXT>"), footer=fill("<FOOTER_TEXT>"), reply_to=reply_to)


def _sample_template(to=TO, header=False, quick_replies=False) -> dict:
    components = [template_body(["text-string", CURRENCY, DATE_TIME])]
    if header:
        components.insert(0, template_header({"type": "image", "media_url": fill("http(s)://the-image-url")}))
    if quick_replies:
        components += [template_button("quick_reply", 0, ["aGlzIHRoaXMgaXMgY29v"]),
                       template_button("quick_reply", 1, ["9rwnB8RbYmPF5t2Mn09x4h"])]
    return build_template(to, "template-name", "language-and-locale-code", components=components)


BUILT = {
    "Send Text Message": lambda: build_text(TO, "text-message-content"),
    "Send Text Message with Preview URL": lambda: build_text(
        TO, "Please visit https://youtu.be/hpltvTEiRrY.", preview_url=True),
    "Send Reply to Text Message": lambda: build_text(TO, fill("<TEXT_MSG_CONTENT>"), reply_to=WAMID),
    "Send Image Message by ID": lambda: build_media("image", TO, media_id=fill("<IMAGE_OBJECT_ID>")),
    "Send Image Message by URL": lambda: build_media("image", TO, media_url=fill("http(s)://image-url")),
    "Send Reply to Image Message by ID": lambda: build_media(
        "image", TO, media_id=fill("<IMAGE_OBJECT_ID>"), reply_to=WAMID),
    "Send Reply to Image Message by URL": lambda: build_media(
        "image", TO, media_url=fill("http(s)://image-url"), reply_to=WAMID),
    "Send Video Message by ID": lambda: build_media(
        "video", TO, media_id=fill("<VIDEO_OBJECT_ID>"), caption=fill("<VIDEO_CAPTION_TEXT>")),
    "Send Video Message by URL": lambda: build_media(
        "video", TO, media_url=fill("<http(s)://video-url>"), caption=fill("<VIDEO_CAPTION_TEXT>")),
    "Send Reply to Video Message by ID": lambda: build_media(
        "video", TO, media_id=fill("<VIDEO_OBJECT_ID>"), caption=fill("<VIDEO_CAPTION_TEXT>"), reply_to=WAMID),
    "Send Reply to Video Message by URL": lambda: build_media(
        "video", TO, media_url=fill("<http(s)://video-url>"), caption=fill("<VIDEO_CAPTION_TEXT>"), reply_to=WAMID),
    "Send Audio Message by ID": lambda: build_media("audio", TO, media_id=fill("<AUDIO_OBJECT_ID>")),
    "Send Audio Message by URL": lambda: build_media("audio", TO, media_url=fill("<http(s)://audio-url>")),
    "Send Reply to Audio Message by ID": lambda: build_media(
        "audio", TO, media_id=fill("<AUDIO_OBJECT_ID>"), reply_to=WAMID),
    "Send Reply to Audio Message by URL": lambda: build_media(
        "audio", TO, media_url=fill("http(s)://audio-url"), reply_to=WAMID),
    "Send Document Message by ID": lambda: build_media(
        "document", TO, media_id=fill("<DOCUMENT_OBJECT_ID>"), caption=fill("<DOCUMENT_CAPTION_TO_SEND>"),
        filename=fill("<DOCUMENT_FILENAME>")),
    "Send Document Message by URL": lambda: build_media(
        "document", TO, media_url=fill("<http(s)://document-url>"), caption=fill("<DOCUMENT-CAPTION-TEXT>")),
    "Send Reply to Document Message by ID": lambda: build_media(
        "document", TO, media_id=fill("<DOCUMENT_OBJECT_ID>"), caption=fill("<DOCUMENT_CAPTION_TO_SEND>"),
        filename=fill("<DOCUMENT_FILENAME>"), reply_to=WAMID),
    "Send Reply to Document Message by URL": lambda: build_media(
        "document", TO, media_url=fill("<http(s)://document-url>"), caption=fill("<DOCUMENT_CAPTION_TEXT>"),
        reply_to=WAMID),
    "Send Sticker Message by ID": lambda: build_media("sticker", TO, media_id=fill("<MEDIA_OBJECT_ID>")),
    "Send Sticker Message by URL": lambda: build_media("sticker", TO, media_url=fill("<http(s)://sticker-url>")),
    "Send Reply to Sticker Message by ID": lambda: build_media(
        "sticker", TO, media_id=fill("<MEDIA_OBJECT_ID>"), reply_to=WAMID),
    "Send Reply to Sticker Message by URL": lambda: build_media(
        "sticker", TO, media_url=fill("<http(s)://sticker-url>"), reply_to=WAMID),
    "Send Location Message": lambda: build_location(TO, **META_HQ),
    "Send Reply to Location Message": lambda: build_location(TO, **META_HQ, reply_to=WAMID),
    "Send Contact Message": lambda: build_contacts(TO, [JOHN_SMITH]),
    "Send Reply to Contact Message": lambda: build_contacts(TO, [JOHN_SMITH], reply_to=WAMID),
    "Send Reply with Reaction Message": lambda: build_reaction(TO, "wamid.HBgLM...", "\N{GRINNING FACE}"),
    "Send Reply Button": lambda: build_interactive_buttons(
        TO, body=fill("<BUTTON_TEXT>"),
        buttons=[{"id": fill(f"<UNIQUE_BUTTON_ID_{n}>"), "title": fill(f"<BUTTON_TITLE_{n}>")} for n in (1, 2)]),
    "Send List Message": lambda: _list_message(),
    "Send Reply to List Message": lambda: _list_message(reply_to=WAMID),
    "Send Test Message": lambda: build_template(TO, "hello_world", "en_US"),
    "Send Message Template Text": lambda: _sample_template(),
    "Send Message Template Media": lambda: _sample_template(header=True),
    "Send Message Template Interactive": lambda: _sample_template(header=True, quick_replies=True),
    "Send Sample Shipping Confirmation Template": lambda: _sample_template(to="16315555555"),
    "Send Sample Text Message": lambda: _sample_template(to="16315555555"),
    "Send Sample Issue Resolution Template": lambda: build_template(
        TO, "sample_issue_resolution", "en_US", components=[
            template_body(["*Mr. Jones*"]),
            # Meta's example writes these indexes as numbers, which our helper would make "0"/"1".
            {"type": "button", "sub_type": "quick_reply", "index": 0, "parameters": [{"type": "text", "text": "true"}]},
            {"type": "button", "sub_type": "quick_reply", "index": 1,
             "parameters": [{"type": "text", "text": "false"}]},
        ]),
    "Send Catalog Template Message": lambda: build_template(
        TO, "intro_catalog_offer", "en_US", components=[
            template_body(["100", "400", "3"]),
            # Graph-native as Meta wrote it: upper-case sub_type and a numeric index are accepted as given.
            {"type": "button", "sub_type": "CATALOG", "index": 0,
             "parameters": [{"type": "action", "action": {"thumbnail_product_retailer_id": "2lc20305pt"}}]},
        ]),
    "Send Flow Template Message": lambda: build_template(
        TO, fill("<TEMPLATE_NAME>"), "en_US", components=[
            template_button("flow", 0, [{"type": "action", "action": {
                "flow_token": fill("<FLOW_TOKEN>"), "flow_action_data": {fill("<CUSTOM_KEY>"): fill("<CUSTOM_VALUE>")}}}]),
        ]),
    "Send typing indicator and read receipt": lambda: build_mark_read(
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUYzMjEzNDM2RTZGQ0MzMDJBRgA=", typing_indicator=True),
}

# Types we pass through without modelling them: validate_graph_native must leave them untouched.
NOT_MODELLED = [
    "Send Catalog Message",
    "Send Draft Flow by ID",
    "Send Draft Flow by Name",
    "Send Published Flow by ID",
    "Send Published Flow by Name",
    "Send Single Product Message",
    "Send Multi-Product Message",
    "Send Order Details Message",
    "Send Order Status Message",
]


def test_every_meta_example_is_either_built_or_passed_through():
    assert len(EXAMPLES) == 50
    assert len(BUILT) + len(NOT_MODELLED) == 50
    assert set(BUILT) | set(NOT_MODELLED) == set(EXAMPLES)
    assert not set(BUILT) & set(NOT_MODELLED)
    assert set(DIFFERENCES) <= set(BUILT)


def test_every_placeholder_is_filled():
    leftovers = [title for title, body in EXAMPLES.items() if _PLACEHOLDER.search(json.dumps(body))]
    assert leftovers == []


@pytest.mark.parametrize("title", sorted(BUILT))
def test_builder_output_equals_metas_example(title):
    assert BUILT[title]() == expected(title)


@pytest.mark.parametrize("title", sorted(set(BUILT) - {"Send typing indicator and read receipt"}))
def test_pass_through_accepts_metas_example_as_we_send_it(title):
    body = expected(title)
    assert validate_graph_native(body) == body


@pytest.mark.parametrize("title", sorted(NOT_MODELLED))
def test_pass_through_leaves_unmodelled_example_unchanged(title):
    body = EXAMPLES[title]
    result = validate_graph_native(body)
    assert result == body
    assert result is not body


def test_pass_through_fills_the_recipient_type_and_type_meta_left_out():
    assert validate_graph_native(EXAMPLES["Send Text Message with Preview URL"]) == \
        expected("Send Text Message with Preview URL")
    assert validate_graph_native(EXAMPLES["Send Contact Message"]) == expected("Send Contact Message")


def test_pass_through_rejects_metas_list_reply_without_type():
    # Graph would read a body without `type` as text; this one is a list, so it would fail at Meta.
    with pytest.raises(ValidationError) as caught:
        validate_graph_native(EXAMPLES["Send Reply to List Message"])
    assert caught.value.details == {"type": "is required (Graph assumes text when it is missing)"}


def test_pass_through_rejects_metas_boolean_text_parameters():
    with pytest.raises(ValidationError) as caught:
        validate_graph_native(EXAMPLES["Send Sample Issue Resolution Template"])
    assert caught.value.details == {
        "template.components[1].parameters[0].text": "must be a string",
        "template.components[2].parameters[0].text": "must be a string",
    }
