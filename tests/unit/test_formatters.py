"""Unit tests for app.utils.formatters: Graph bodies from our API fields, and WhatsApp's limits."""
from __future__ import annotations

import pytest

from app.errors import ValidationError
from app.utils.formatters import (
    LIMITS,
    MESSAGE_TYPES,
    build_contacts,
    build_interactive_buttons,
    build_interactive_cta_url,
    build_interactive_list,
    build_location,
    build_mark_read,
    build_media,
    build_message,
    build_reaction,
    build_template,
    build_text,
    detect_message_type,
    template_body,
    template_button,
    template_header,
    validate_graph_native,
)

TO = "16505551234"
WAMID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI3QkE4RjU2QzE0MjQ0NjQ3QjkA"
ENVELOPE = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+16505551234"}


def details_of(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.details


def sent(message_type: str, payload, **extra) -> dict:
    return {**ENVELOPE, "type": message_type, message_type: payload, **extra}


def buttons(n: int) -> list[dict]:
    return [{"id": f"btn-{i}", "title": f"Option {i}"} for i in range(n)]


def rows(n: int, prefix: str = "row") -> list[dict]:
    return [{"id": f"{prefix}-{i}", "title": f"Row {i}"} for i in range(n)]


def native(message_type: str, payload, **extra) -> dict:
    return {"to": "+16505551234", "type": message_type, message_type: payload, **extra}


# --- LIMITS -----------------------------------------------------------------------------------

def test_limits_carry_whatsapps_numbers():
    assert LIMITS == {
        "text": 4096, "caption": 1024, "buttons": 3, "button_title": 20, "button_id": 256,
        "interactive_body": 1024, "header": 60, "footer": 60, "list_sections": 10, "list_rows": 10,
        "button_text": 20, "section_title": 24, "row_title": 24, "row_id": 200, "row_description": 72,
        "cta_display_text": 20, "contacts": 257, "template_name": 512, "biz_opaque_callback_data": 512,
    }


# --- common fields ----------------------------------------------------------------------------

@pytest.mark.parametrize("to", ["+16505551234", "", "1650 555 1234", "1" * 16, None, 16505551234, "１６５０"])
def test_recipient_not_normalised_to_digits_is_rejected_as_phone_number(to):
    assert details_of(lambda: build_text(to, "Hi")) == {
        "phone_number": "must be the recipient's E.164 digits without '+', e.g. 16505551234"}


def test_reply_to_adds_graph_context():
    assert build_text(TO, "Hi", reply_to=WAMID)["context"] == {"message_id": WAMID}


def test_blank_reply_to_is_rejected():
    assert details_of(lambda: build_text(TO, "Hi", reply_to=" ")) == {"reply_to": "must not be empty"}


def test_every_problem_is_named_at_once():
    error = pytest.raises(ValidationError, build_text, "+1", "", preview_url="yes").value
    assert error.details == {
        "phone_number": "must be the recipient's E.164 digits without '+', e.g. 16505551234",
        "text": "must not be empty",
        "preview_url": "must be true or false",
    }
    assert error.message == ("Invalid field 'phone_number': must be the recipient's E.164 digits without '+', "
                             "e.g. 16505551234 (and 2 more).")


def test_unknown_keyword_is_a_programming_error():
    with pytest.raises(TypeError):
        build_text(TO, "Hi", caption="no")


# --- text -------------------------------------------------------------------------------------

def test_text_always_sends_preview_url():
    assert build_text(TO, "Hello") == sent("text", {"body": "Hello", "preview_url": False})


def test_text_with_preview_url_and_reply():
    assert build_text(TO, "See https://example.com", preview_url=True, reply_to=WAMID) == sent(
        "text", {"body": "See https://example.com", "preview_url": True}, context={"message_id": WAMID})


def test_text_preview_url_none_means_off():
    assert build_text(TO, "Hi", preview_url=None)["text"] == {"body": "Hi", "preview_url": False}


@pytest.mark.parametrize("text, problem", [(None, "is required"), ("  \n", "must not be empty"),
                                           (42, "must be a string")])
def test_text_must_be_a_non_blank_string(text, problem):
    assert details_of(lambda: build_text(TO, text)) == {"text": problem}


def test_text_length_counts_characters_not_bytes():
    assert build_text(TO, "\N{GRINNING FACE}" * 4096)["text"]["body"] == "\N{GRINNING FACE}" * 4096
    assert details_of(lambda: build_text(TO, "é" * 4097)) == {"text": "must be at most 4096 characters"}


# --- media ------------------------------------------------------------------------------------

@pytest.mark.parametrize("media_type", ["image", "video", "audio", "document", "sticker"])
def test_media_by_id(media_type):
    assert build_media(media_type, TO, media_id="1479537139650973") == sent(media_type, {"id": "1479537139650973"})


@pytest.mark.parametrize("media_type", ["image", "video", "audio", "document", "sticker"])
def test_media_by_url(media_type):
    url = "https://cdn.example.com/a.bin?v=2"
    assert build_media(media_type, TO, media_url=url) == sent(media_type, {"link": url})


def test_document_with_caption_filename_and_reply():
    assert build_media("document", TO, media_url="http://example.com/i.pdf", caption="Your invoice",
                       filename="invoice.pdf", reply_to=WAMID) == sent(
        "document", {"link": "http://example.com/i.pdf", "caption": "Your invoice", "filename": "invoice.pdf"},
        context={"message_id": WAMID})


@pytest.mark.parametrize("voice", [True, False])
def test_audio_voice_flag_is_sent_as_given(voice):
    assert build_media("audio", TO, media_id="1", voice=voice) == sent("audio", {"id": "1", "voice": voice})


@pytest.mark.parametrize("media_id, media_url", [("1", "https://example.com/a.jpg"), (None, None)])
def test_media_needs_exactly_one_of_id_or_url(media_id, media_url):
    assert details_of(lambda: build_media("image", TO, media_id=media_id, media_url=media_url)) == {
        "media_id": "exactly one of media_id or media_url is required"}


@pytest.mark.parametrize("url", ["ftp://example.com/a.jpg", "example.com/a.jpg", "https://", "https://ex ample.com/a",
                                 "javascript:alert(1)"])
def test_media_url_must_be_http_or_https(url):
    assert details_of(lambda: build_media("image", TO, media_url=url)) == {"media_url": "must be an http(s) URL"}


@pytest.mark.parametrize("media_type", ["audio", "sticker"])
def test_caption_is_refused_for_audio_and_sticker(media_type):
    assert details_of(lambda: build_media(media_type, TO, media_id="1", caption="Hi")) == {
        "caption": "is only allowed for image, video and document messages"}


def test_filename_is_only_for_documents():
    assert details_of(lambda: build_media("image", TO, media_id="1", filename="a.jpg")) == {
        "filename": "is only allowed for document messages"}


def test_voice_is_only_for_audio():
    assert details_of(lambda: build_media("video", TO, media_id="1", voice=True)) == {
        "voice": "is only allowed for audio messages"}


def test_voice_must_be_a_bool():
    assert details_of(lambda: build_media("audio", TO, media_id="1", voice="yes")) == {
        "voice": "must be true or false"}


def test_unknown_media_type_names_message_type():
    assert details_of(lambda: build_media("gif", TO, media_id="1")) == {
        "message_type": "must be one of image, video, audio, document, sticker"}


# --- location ---------------------------------------------------------------------------------

def test_location_with_name_and_address():
    assert build_location(TO, 37.758056, -122.425332, name="META HQ", address="1 Hacker Way") == sent(
        "location", {"latitude": 37.758056, "longitude": -122.425332, "name": "META HQ", "address": "1 Hacker Way"})


def test_location_without_optional_fields_and_with_reply():
    assert build_location(TO, 0, 0, reply_to=WAMID) == sent("location", {"latitude": 0, "longitude": 0},
                                                          context={"message_id": WAMID})


@pytest.mark.parametrize("latitude, longitude", [(90, 180), (-90, -180), (90.0, -180.0)])
def test_location_accepts_the_edges_of_the_globe(latitude, longitude):
    assert build_location(TO, latitude, longitude)["location"] == {"latitude": latitude, "longitude": longitude}


@pytest.mark.parametrize("latitude, longitude, details", [
    (90.000001, 0, {"latitude": "must be between -90 and 90"}),
    (-90.5, 0, {"latitude": "must be between -90 and 90"}),
    (0, 180.000001, {"longitude": "must be between -180 and 180"}),
    (0, -181, {"longitude": "must be between -180 and 180"}),
    ("37.7", 0, {"latitude": "must be a number"}),
    (True, 0, {"latitude": "must be a number"}),
    (float("nan"), float("inf"), {"latitude": "must be a number", "longitude": "must be a number"}),
    (None, None, {"latitude": "is required", "longitude": "is required"}),
])
def test_location_coordinates_must_be_numbers_in_range(latitude, longitude, details):
    assert details_of(lambda: build_location(TO, latitude, longitude)) == details


# --- contacts ---------------------------------------------------------------------------------

CONTACT = {"name": {"formatted_name": "Ana Lima", "first_name": "Ana"},
           "phones": [{"phone": "+55 11 95555 1234", "type": "CELL", "wa_id": "5511955551234"}]}


def test_contacts_pass_graph_objects_through():
    assert build_contacts(TO, [CONTACT], reply_to=WAMID) == sent("contacts", [CONTACT], context={"message_id": WAMID})


def test_contacts_output_does_not_share_objects_with_the_input():
    contacts = [{"name": {"formatted_name": "Ana Lima"}}]
    body = build_contacts(TO, contacts)
    contacts[0]["name"]["formatted_name"] = "Changed"
    assert body["contacts"] == [{"name": {"formatted_name": "Ana Lima"}}]


@pytest.mark.parametrize("contacts, details", [
    ([], {"contacts": "must have at least 1 item"}),
    ({"name": {}}, {"contacts": "must be a list"}),
    ([{"phones": []}], {"contacts[0].name": "is required"}),
    ([CONTACT, {"name": {"formatted_name": " "}}], {"contacts[1].name.formatted_name": "must not be empty"}),
    ([{"name": {"first_name": "Ana"}}], {"contacts[0].name.formatted_name": "is required"}),
    ([{"name": {"formatted_name": "A"}, "phones": "+1"}], {"contacts[0].phones": "must be a list"}),
    ([{"name": {"formatted_name": "A"}, "emails": ["a@b.c"]}], {"contacts[0].emails[0]": "must be an object"}),
    (["Ana"], {"contacts[0]": "must be an object"}),
])
def test_contacts_need_a_formatted_name_each(contacts, details):
    assert details_of(lambda: build_contacts(TO, contacts)) == details


# --- reaction ---------------------------------------------------------------------------------

def test_reaction_has_no_context():
    assert build_reaction(TO, WAMID, "\N{THUMBS UP SIGN}") == sent(
        "reaction", {"message_id": WAMID, "emoji": "\N{THUMBS UP SIGN}"})


def test_empty_emoji_removes_a_reaction():
    assert build_reaction(TO, WAMID, "") == sent("reaction", {"message_id": WAMID, "emoji": ""})


def test_reaction_cannot_reply_to_a_message():
    assert details_of(lambda: build_reaction(TO, WAMID, "\N{THUMBS UP SIGN}", reply_to=WAMID)) == {
        "reply_to": "is not allowed for reaction messages"}


@pytest.mark.parametrize("message_id, emoji, details", [
    (None, "x", {"message_id": "is required"}),
    ("", "x", {"message_id": "must not be empty"}),
    (WAMID, None, {"emoji": "is required (an empty string removes the reaction)"}),
    (WAMID, "  ", {"emoji": "must be an emoji, or empty to remove the reaction"}),
    (WAMID, 1, {"emoji": "must be an emoji, or empty to remove the reaction"}),
])
def test_reaction_needs_a_message_id_and_an_emoji(message_id, emoji, details):
    assert details_of(lambda: build_reaction(TO, message_id, emoji)) == details


# --- template ---------------------------------------------------------------------------------

def test_template_without_components_omits_them():
    assert build_template(TO, "hello_world", "en_US") == sent(
        "template", {"name": "hello_world", "language": {"code": "en_US"}})


def test_template_with_components_and_reply():
    components = [template_header("Order 1234"), template_body(["Ana", "June 1"]),
                  template_button("url", 0, ["8812"])]
    assert build_template(TO, "order_update", "pt_BR", components=components, reply_to=WAMID) == sent(
        "template", {"name": "order_update", "language": {"code": "pt_BR"}, "components": [
            {"type": "header", "parameters": [{"type": "text", "text": "Order 1234"}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "June 1"}]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "8812"}]},
        ]}, context={"message_id": WAMID})


def test_template_components_are_copied():
    components = [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]
    body = build_template(TO, "welcome", "en", components=components)
    components[0]["parameters"][0]["text"] = "Changed"
    assert body["template"]["components"] == [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]


def test_template_accepts_every_known_parameter_type():
    components = [
        {"type": "header", "parameters": [{"type": "location", "location": {
            "latitude": "37.48", "longitude": -122.14, "name": "HQ", "address": "1 Hacker Way"}}]},
        {"type": "body", "parameters": [
            {"type": "text", "text": "Ana", "parameter_name": "first_name"},
            {"type": "currency", "currency": {"fallback_value": "$1", "code": "USD", "amount_1000": 1000}},
            {"type": "date_time", "date_time": {"fallback_value": "June 1"}},
            {"type": "image", "image": {"id": "1"}},
            {"type": "video", "video": {"link": "https://example.com/v.mp4"}},
            {"type": "document", "document": {"link": "https://example.com/d.pdf", "filename": "d.pdf"}},
            {"type": "product", "product": {"product_retailer_id": "sku-1", "catalog_id": "1"}},
        ]},
        {"type": "limited_time_offer", "parameters": [
            {"type": "limited_time_offer", "limited_time_offer": {"expiration_time_ms": 1767225600000}}]},
        {"type": "button", "sub_type": "quick_reply", "index": "1", "parameters": [{"type": "payload", "payload": "P"}]},
        {"type": "button", "sub_type": "copy_code", "index": 2,
         "parameters": [{"type": "coupon_code", "coupon_code": "SAVE10"}]},
        {"type": "button", "sub_type": "mpm", "index": "3", "parameters": [{"type": "action", "action": {}}]},
        {"type": "button", "sub_type": "voice_call", "index": "4"},
        {"type": "footer"},
    ]
    assert build_template(TO, "everything", "en", components=components)["template"]["components"] == components


def test_template_carousel_cards_are_checked_like_components():
    good = {"type": "carousel", "cards": [{"card_index": 0, "components": [
        {"type": "header", "parameters": [{"type": "image", "image": {"id": "1"}}]}]}]}
    assert build_template(TO, "carousel", "en", components=[good])["template"]["components"] == [good]
    bad = {"type": "carousel", "cards": [{"card_index": 12, "components": [
        {"type": "header", "parameters": [{"type": "image", "image": {}}]}]}]}
    assert details_of(lambda: build_template(TO, "carousel", "en", components=[bad])) == {
        "components[0].cards[0].card_index": "must be the card's position, 0 to 9",
        "components[0].cards[0].components[0].parameters[0].image.id": "exactly one of id or link is required",
    }


@pytest.mark.parametrize("components, details", [
    ("body", {"components": "must be a list"}),
    (["body"], {"components[0]": "must be an object"}),
    ([{"type": "sidebar"}], {"components[0].type": "must be one of header, body, footer, button, carousel, "
                                                   "limited_time_offer"}),
    ([{"type": "button"}], {"components[0].sub_type": "is required for button components",
                            "components[0].index": "is required for button components"}),
    ([{"type": "button", "sub_type": "phone", "index": "0"}],
     {"components[0].sub_type": "must be one of quick_reply, url, copy_code, flow, catalog, mpm, voice_call, "
                                "order_details"}),
    ([{"type": "button", "sub_type": "url", "index": "10"}],
     {"components[0].index": "must be the button's position, 0 to 9"}),
    ([{"type": "button", "sub_type": "url", "index": True}],
     {"components[0].index": "must be the button's position, 0 to 9"}),
    ([{"type": "body", "parameters": []}], {"components[0].parameters": "must have at least 1 item"}),
    ([{"type": "body", "parameters": {"type": "text"}}], {"components[0].parameters": "must be a list"}),
    ([{"type": "body", "parameters": ["Ana"]}], {"components[0].parameters[0]": "must be an object"}),
    ([{"type": "body", "parameters": [{"type": "emoji"}]}],
     {"components[0].parameters[0].type": "must be one of text, currency, date_time, image, video, document, "
                                          "location, payload, action, coupon_code, product, limited_time_offer"}),
    ([{"type": "body", "parameters": [{"type": "text", "text": True}]}],
     {"components[0].parameters[0].text": "must be a string"}),
    ([{"type": "body", "parameters": [{"type": "text", "text": "a", "parameter_name": ""}]}],
     {"components[0].parameters[0].parameter_name": "must not be empty"}),
    ([{"type": "header", "parameters": [{"type": "image", "image": {"id": "1", "link": "https://e.com/a.jpg"}}]}],
     {"components[0].parameters[0].image.id": "exactly one of id or link is required"}),
    ([{"type": "header", "parameters": [{"type": "video", "video": {"link": "ftp://e.com/a.mp4"}}]}],
     {"components[0].parameters[0].video.link": "must be an http(s) URL"}),
    ([{"type": "header", "parameters": [{"type": "document", "document": "1"}]}],
     {"components[0].parameters[0].document": "must be an object"}),
    ([{"type": "body", "parameters": [{"type": "currency", "currency": {"amount_1000": "1.5"}}]}],
     {"components[0].parameters[0].currency.fallback_value": "is required",
      "components[0].parameters[0].currency.code": "is required",
      "components[0].parameters[0].currency.amount_1000": "must be an integer: the amount times 1000"}),
    ([{"type": "body", "parameters": [{"type": "date_time", "date_time": {}}]}],
     {"components[0].parameters[0].date_time.fallback_value": "is required"}),
    ([{"type": "header", "parameters": [{"type": "location", "location": {"latitude": 91, "longitude": "x"}}]}],
     {"components[0].parameters[0].location.latitude": "must be between -90 and 90",
      "components[0].parameters[0].location.longitude": "must be a number"}),
])
def test_template_components_are_validated_with_their_paths(components, details):
    assert details_of(lambda: build_template(TO, "welcome", "en", components=components)) == details


@pytest.mark.parametrize("name, code, details", [
    (None, "en", {"template_name": "is required"}),
    ("welcome", " ", {"language_code": "must not be empty"}),
])
def test_template_needs_a_name_and_a_language(name, code, details):
    assert details_of(lambda: build_template(TO, name, code)) == details


def test_template_sub_type_is_matched_without_case():
    component = {"type": "BUTTON", "sub_type": "CATALOG", "index": 0,
                 "parameters": [{"type": "action", "action": {"thumbnail_product_retailer_id": "x"}}]}
    assert build_template(TO, "catalog", "en", components=[component])["template"]["components"] == [component]


# --- template helpers -------------------------------------------------------------------------

def test_template_body_turns_strings_into_positional_text_parameters():
    currency = {"type": "currency", "currency": {"fallback_value": "$1", "code": "USD", "amount_1000": 1000}}
    assert template_body(["Ana", currency]) == {"type": "body", "parameters": [
        {"type": "text", "text": "Ana"}, currency]}


def test_template_body_turns_a_dict_into_named_parameters():
    assert template_body({"first_name": "Ana", "order_id": "1234"}) == {"type": "body", "parameters": [
        {"type": "text", "parameter_name": "first_name", "text": "Ana"},
        {"type": "text", "parameter_name": "order_id", "text": "1234"}]}


def test_template_body_names_a_graph_parameter_given_in_a_dict():
    date = {"type": "date_time", "date_time": {"fallback_value": "June 1"}}
    assert template_body({"when": date}) == {"type": "body", "parameters": [{**date, "parameter_name": "when"}]}
    assert date == {"type": "date_time", "date_time": {"fallback_value": "June 1"}}


def test_template_body_rejects_other_containers():
    with pytest.raises(TypeError):
        template_body("Ana")


def test_template_header_text_positional_and_named():
    assert template_header("Sale") == {"type": "header", "parameters": [{"type": "text", "text": "Sale"}]}
    assert template_header("Sale", parameter_name="event") == {"type": "header", "parameters": [
        {"type": "text", "text": "Sale", "parameter_name": "event"}]}


@pytest.mark.parametrize("param, graph", [
    ({"type": "image", "media_id": "1"}, {"type": "image", "image": {"id": "1"}}),
    ({"type": "video", "media_url": "https://example.com/v.mp4"},
     {"type": "video", "video": {"link": "https://example.com/v.mp4"}}),
    ({"type": "document", "media_url": "https://example.com/d.pdf", "filename": "d.pdf"},
     {"type": "document", "document": {"link": "https://example.com/d.pdf", "filename": "d.pdf"}}),
    ({"type": "image", "image": {"id": "1"}}, {"type": "image", "image": {"id": "1"}}),
])
def test_template_header_media_from_our_fields_or_graphs(param, graph):
    assert template_header(param) == {"type": "header", "parameters": [graph]}


@pytest.mark.parametrize("sub_type, index, params, parameters", [
    ("quick_reply", 0, ["STOP"], [{"type": "payload", "payload": "STOP"}]),
    ("url", "1", ["8812"], [{"type": "text", "text": "8812"}]),
    ("copy_code", 2, ["SAVE10"], [{"type": "coupon_code", "coupon_code": "SAVE10"}]),
    ("flow", 0, [{"type": "action", "action": {"flow_token": "t"}}], [{"type": "action", "action": {"flow_token": "t"}}]),
])
def test_template_button_picks_the_parameter_type_its_sub_type_takes(sub_type, index, params, parameters):
    assert template_button(sub_type, index, params) == {
        "type": "button", "sub_type": sub_type, "index": str(index), "parameters": parameters}


def test_template_button_without_parameters():
    assert template_button("voice_call", 0) == {"type": "button", "sub_type": "voice_call", "index": "0"}


# --- interactive reply buttons ----------------------------------------------------------------

def test_reply_buttons_with_text_header_and_footer():
    assert build_interactive_buttons(TO, "Pick one", buttons(2), header="Delivery", footer="Reply any time",
                                     reply_to=WAMID) == sent("interactive", {
        "type": "button",
        "header": {"type": "text", "text": "Delivery"},
        "body": {"text": "Pick one"},
        "footer": {"text": "Reply any time"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "btn-0", "title": "Option 0"}},
                               {"type": "reply", "reply": {"id": "btn-1", "title": "Option 1"}}]},
    }, context={"message_id": WAMID})


def test_reply_buttons_minimal():
    assert build_interactive_buttons(TO, "Pick", [{"id": "y", "title": "Yes"}]) == sent("interactive", {
        "type": "button", "body": {"text": "Pick"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "y", "title": "Yes"}}]}})


@pytest.mark.parametrize("header, graph", [
    ({"type": "text", "text": "Hi"}, {"type": "text", "text": "Hi"}),
    ({"type": "image", "media_id": "1"}, {"type": "image", "image": {"id": "1"}}),
    ({"type": "video", "media_url": "https://example.com/v.mp4"},
     {"type": "video", "video": {"link": "https://example.com/v.mp4"}}),
    ({"type": "document", "media_id": "7", "filename": "menu.pdf"},
     {"type": "document", "document": {"id": "7", "filename": "menu.pdf"}}),
])
def test_reply_buttons_header_object_becomes_graphs(header, graph):
    assert build_interactive_buttons(TO, "Pick", buttons(1), header=header)["interactive"]["header"] == graph


@pytest.mark.parametrize("header, details", [
    (7, {"header": "must be a string or an object"}),
    ("", {"header": "must not be empty"}),
    ({"type": "sticker", "media_id": "1"}, {"header.type": "must be one of text, image, video, document"}),
    ({"type": "image"}, {"header.media_id": "exactly one of media_id or media_url is required"}),
    ({"type": "image", "media_url": "file:///etc/passwd"}, {"header.media_url": "must be an http(s) URL"}),
    ({"type": "image", "image": {"id": "1"}}, {"header.image": "is not allowed in an image header",
                                               "header.media_id": "exactly one of media_id or media_url is required"}),
    ({"type": "image", "media_id": "1", "filename": "a.jpg"}, {"header.filename": "is not allowed in an image header"}),
    ({"type": "text"}, {"header.text": "is required"}),
])
def test_reply_buttons_header_problems_are_named(header, details):
    assert details_of(lambda: build_interactive_buttons(TO, "Pick", buttons(1), header=header)) == details


@pytest.mark.parametrize("button_list, details", [
    ([], {"buttons": "must have at least 1 item"}),
    (None, {"buttons": "is required"}),
    ([{"id": "a", "title": "Same"}, {"id": "b", "title": "Same"}], {"buttons[1].title": "must be unique"}),
    ([{"id": "a", "title": "One"}, {"id": "a", "title": "Two"}], {"buttons[1].id": "must be unique"}),
    ([{"id": "a"}], {"buttons[0].title": "is required"}),
    ([{"id": " ", "title": "One"}], {"buttons[0].id": "must not be empty"}),
    (["Yes"], {"buttons[0]": "must be an object"}),
])
def test_reply_buttons_need_unique_ids_and_titles(button_list, details):
    assert details_of(lambda: build_interactive_buttons(TO, "Pick", button_list)) == details


def test_reply_buttons_need_a_body():
    assert details_of(lambda: build_interactive_buttons(TO, None, buttons(1))) == {"body": "is required"}


# --- interactive list -------------------------------------------------------------------------

def test_list_with_sections_header_and_footer():
    sections = [
        {"title": "Pizzas", "rows": [{"id": "p1", "title": "Margherita", "description": "Tomato, mozzarella"}]},
        {"title": "Drinks", "rows": [{"id": "d1", "title": "Water"}]},
    ]
    assert build_interactive_list(TO, "Our menu", "View menu", sections, header="Luigi's", footer="Open till 11",
                                  reply_to=WAMID) == sent("interactive", {
        "type": "list",
        "header": {"type": "text", "text": "Luigi's"},
        "body": {"text": "Our menu"},
        "footer": {"text": "Open till 11"},
        "action": {"button": "View menu", "sections": [
            {"title": "Pizzas", "rows": [{"id": "p1", "title": "Margherita", "description": "Tomato, mozzarella"}]},
            {"title": "Drinks", "rows": [{"id": "d1", "title": "Water"}]},
        ]},
    }, context={"message_id": WAMID})


def test_list_with_one_untitled_section():
    assert build_interactive_list(TO, "Pick", "Open", [{"rows": rows(1)}]) == sent("interactive", {
        "type": "list", "body": {"text": "Pick"},
        "action": {"button": "Open", "sections": [{"rows": [{"id": "row-0", "title": "Row 0"}]}]}})


def test_list_header_object_text_is_accepted():
    body = build_interactive_list(TO, "Pick", "Open", [{"rows": rows(1)}], header={"type": "text", "text": "Menu"})
    assert body["interactive"]["header"] == {"type": "text", "text": "Menu"}


def test_list_header_must_be_text():
    assert details_of(lambda: build_interactive_list(TO, "Pick", "Open", [{"rows": rows(1)}],
                                                     header={"type": "image", "media_id": "1"})) == {
        "header.type": "must be text: list messages take text headers only"}


@pytest.mark.parametrize("sections, details", [
    ([], {"sections": "must have at least 1 item"}),
    ([{"rows": rows(1, "a")}, {"title": "B", "rows": rows(1, "b")}],
     {"sections[0].title": "is required when there is more than one section"}),
    ([{"title": "A", "rows": []}], {"sections[0].rows": "must have at least 1 item"}),
    ([{"title": "A"}], {"sections[0].rows": "is required"}),
    ([{"title": "A", "rows": rows(1)}, {"title": "B", "rows": rows(1)}],
     {"sections[1].rows[0].id": "must be unique"}),
    ([{"title": "A", "rows": [{"id": "x"}]}], {"sections[0].rows[0].title": "is required"}),
    ([{"title": "A", "rows": [{"id": "x", "title": "X", "description": ""}]}],
     {"sections[0].rows[0].description": "must not be empty"}),
    ([{"title": "A", "rows": ["x"]}], {"sections[0].rows[0]": "must be an object"}),
    (["A"], {"sections[0]": "must be an object"}),
])
def test_list_sections_and_rows_are_validated_with_their_paths(sections, details):
    assert details_of(lambda: build_interactive_list(TO, "Pick", "Open", sections)) == details


def test_list_needs_a_button_text():
    assert details_of(lambda: build_interactive_list(TO, "Pick", None, [{"rows": rows(1)}])) == {
        "button_text": "is required"}


# --- interactive cta_url ----------------------------------------------------------------------

def test_cta_url_with_header_and_footer():
    assert build_interactive_cta_url(TO, "Tap to see dates", "See Dates", "https://example.com/dates?x=1",
                                     header={"type": "image", "media_url": "https://example.com/poster.png"},
                                     footer="Dates subject to change", reply_to=WAMID) == sent("interactive", {
        "type": "cta_url",
        "header": {"type": "image", "image": {"link": "https://example.com/poster.png"}},
        "body": {"text": "Tap to see dates"},
        "footer": {"text": "Dates subject to change"},
        "action": {"name": "cta_url", "parameters": {"display_text": "See Dates",
                                                     "url": "https://example.com/dates?x=1"}},
    }, context={"message_id": WAMID})


def test_cta_url_minimal_with_text_header():
    assert build_interactive_cta_url(TO, "Body", "Open", "http://example.com", header="Hi") == sent("interactive", {
        "type": "cta_url", "header": {"type": "text", "text": "Hi"}, "body": {"text": "Body"},
        "action": {"name": "cta_url", "parameters": {"display_text": "Open", "url": "http://example.com"}}})


@pytest.mark.parametrize("display_text, url, details", [
    ("Open", "mailto:a@example.com", {"url": "must be an http(s) URL"}),
    ("Open", None, {"url": "is required"}),
    (" ", "https://example.com", {"display_text": "must not be empty"}),
])
def test_cta_url_needs_display_text_and_http_url(display_text, url, details):
    assert details_of(lambda: build_interactive_cta_url(TO, "Body", display_text, url)) == details


# --- mark read --------------------------------------------------------------------------------

def test_mark_read():
    assert build_mark_read(WAMID) == {"messaging_product": "whatsapp", "status": "read", "message_id": WAMID}


def test_mark_read_with_typing_indicator():
    assert build_mark_read(WAMID, typing_indicator=True) == {
        "messaging_product": "whatsapp", "status": "read", "message_id": WAMID, "typing_indicator": {"type": "text"}}


@pytest.mark.parametrize("message_id, typing, details", [
    ("", False, {"message_id": "must not be empty"}),
    (WAMID, "yes", {"typing_indicator": "must be true or false"}),
])
def test_mark_read_problems(message_id, typing, details):
    assert details_of(lambda: build_mark_read(message_id, typing_indicator=typing)) == details


# --- every length limit at its boundary -------------------------------------------------------

def _buttons_with(**button):
    return lambda s: build_interactive_buttons(TO, "Pick", [{"id": "a", "title": "A", **{k: s for k in button}}])


def _list_with(section=None, row=None, **kwargs):
    def call(s):
        the_row = {"id": "r", "title": "R", **({row: s} if row else {})}
        the_section = {"title": "S", "rows": [the_row], **({section: s} if section else {})}
        args = {"body": "Pick", "button_text": "Open", **{k: s for k in kwargs}}
        return build_interactive_list(TO, sections=[the_section], **args)
    return call


def _cta_with(field):
    return lambda s: build_interactive_cta_url(TO, **{"body": "Body", "display_text": "Open",
                                                      "url": "https://example.com", field: s})


def _native_interactive(interactive):
    return lambda s: validate_graph_native(native("interactive", interactive(s)))


STRING_LIMITS = [
    ("text", lambda s: build_text(TO, s), "text", 4096),
    ("image caption", lambda s: build_media("image", TO, media_id="1", caption=s), "caption", 1024),
    ("video caption", lambda s: build_media("video", TO, media_id="1", caption=s), "caption", 1024),
    ("document caption", lambda s: build_media("document", TO, media_id="1", caption=s), "caption", 1024),
    ("buttons body", lambda s: build_interactive_buttons(TO, s, buttons(1)), "body", 1024),
    ("buttons footer", lambda s: build_interactive_buttons(TO, "B", buttons(1), footer=s), "footer", 60),
    ("buttons header", lambda s: build_interactive_buttons(TO, "B", buttons(1), header=s), "header", 60),
    ("buttons header.text", lambda s: build_interactive_buttons(TO, "B", buttons(1), header={"type": "text",
                                                                                           "text": s}),
     "header.text", 60),
    ("button title", _buttons_with(title=1), "buttons[0].title", 20),
    ("button id", _buttons_with(id=1), "buttons[0].id", 256),
    ("list body", _list_with(body=1), "body", 1024),
    ("list footer", _list_with(footer=1), "footer", 60),
    ("list header", _list_with(header=1), "header", 60),
    ("list button_text", _list_with(button_text=1), "button_text", 20),
    ("list section title", _list_with(section="title"), "sections[0].title", 24),
    ("list row title", _list_with(row="title"), "sections[0].rows[0].title", 24),
    ("list row id", _list_with(row="id"), "sections[0].rows[0].id", 200),
    ("list row description", _list_with(row="description"), "sections[0].rows[0].description", 72),
    ("cta body", _cta_with("body"), "body", 1024),
    ("cta display_text", _cta_with("display_text"), "display_text", 20),
    ("cta header", _cta_with("header"), "header", 60),
    ("cta footer", _cta_with("footer"), "footer", 60),
    ("template name", lambda s: build_template(TO, s, "en"), "template_name", 512),
    ("native text body", lambda s: validate_graph_native(native("text", {"body": s})), "text.body", 4096),
    ("native image caption", lambda s: validate_graph_native(native("image", {"id": "1", "caption": s})),
     "image.caption", 1024),
    ("native reply title", _native_interactive(lambda s: {
        "type": "button", "body": {"text": "B"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": s}}]}}),
     "interactive.action.buttons[0].reply.title", 20),
    ("native list row description", _native_interactive(lambda s: {
        "type": "list", "body": {"text": "B"},
        "action": {"button": "Open", "sections": [{"rows": [{"id": "a", "title": "A", "description": s}]}]}}),
     "interactive.action.sections[0].rows[0].description", 72),
    ("native list header", _native_interactive(lambda s: {
        "type": "list", "header": {"type": "text", "text": s}, "body": {"text": "B"},
        "action": {"button": "Open", "sections": [{"rows": [{"id": "a", "title": "A"}]}]}}),
     "interactive.header.text", 60),
    ("native cta display_text", _native_interactive(lambda s: {
        "type": "cta_url", "body": {"text": "B"},
        "action": {"name": "cta_url", "parameters": {"display_text": s, "url": "https://example.com"}}}),
     "interactive.action.parameters.display_text", 20),
    ("native biz_opaque_callback_data", lambda s: validate_graph_native(
        native("text", {"body": "Hi"}, biz_opaque_callback_data=s)), "biz_opaque_callback_data", 512),
]


@pytest.mark.parametrize("call, path, limit", [case[1:] for case in STRING_LIMITS],
                         ids=[case[0] for case in STRING_LIMITS])
def test_string_at_its_limit_is_accepted(call, path, limit):
    assert isinstance(call("x" * limit), dict)


@pytest.mark.parametrize("call, path, limit", [case[1:] for case in STRING_LIMITS],
                         ids=[case[0] for case in STRING_LIMITS])
def test_string_over_its_limit_names_the_field(call, path, limit):
    assert details_of(lambda: call("x" * (limit + 1))) == {path: f"must be at most {limit} characters"}


def _sections(sizes):
    return [{"title": f"S{i}", "rows": rows(size, f"s{i}")} for i, size in enumerate(sizes)]


COUNT_LIMITS = [
    ("buttons", lambda n: build_interactive_buttons(TO, "Pick", buttons(n)), "buttons", 3,
     "must have at most 3 items"),
    ("list sections", lambda n: build_interactive_list(TO, "Pick", "Open", _sections([1] * n)), "sections", 10,
     "must have at most 10 items"),
    ("list rows in a section", lambda n: build_interactive_list(TO, "Pick", "Open", _sections([n])),
     "sections[0].rows", 10, "must have at most 10 items"),
    ("list rows in all sections", lambda n: build_interactive_list(TO, "Pick", "Open", _sections([4, 3, n - 7])),
     "sections", 10, "must have at most 10 rows in total"),
    ("contacts", lambda n: build_contacts(TO, [{"name": {"formatted_name": f"C{i}"}} for i in range(n)]),
     "contacts", 257, "must have at most 257 items"),
    ("native buttons", _native_interactive(lambda n: {
        "type": "button", "body": {"text": "B"},
        "action": {"buttons": [{"type": "reply", "reply": b} for b in buttons(n)]}}),
     "interactive.action.buttons", 3, "must have at most 3 items"),
    ("native list rows in all sections", _native_interactive(lambda n: {
        "type": "list", "body": {"text": "B"}, "action": {"button": "Open", "sections": _sections([5, n - 5])}}),
     "interactive.action.sections", 10, "must have at most 10 rows in total"),
]


@pytest.mark.parametrize("call, path, limit, problem", [case[1:] for case in COUNT_LIMITS],
                         ids=[case[0] for case in COUNT_LIMITS])
def test_count_at_its_limit_is_accepted(call, path, limit, problem):
    assert isinstance(call(limit), dict)


@pytest.mark.parametrize("call, path, limit, problem", [case[1:] for case in COUNT_LIMITS],
                         ids=[case[0] for case in COUNT_LIMITS])
def test_count_over_its_limit_names_the_field(call, path, limit, problem):
    assert details_of(lambda: call(limit + 1)) == {path: problem}


# --- detect_message_type and build_message ----------------------------------------------------

@pytest.mark.parametrize("fields, message_type", [
    ({"text": "Hi", "preview_url": True}, "text"),
    ({"template_name": "welcome", "language_code": "en"}, "template"),
    ({"body": "Pick", "buttons": buttons(1), "header": "H"}, "interactive_buttons"),
    ({"body": "Pick", "button_text": "Open", "sections": []}, "interactive_list"),
    ({"body": "Go", "display_text": "Open", "url": "https://example.com"}, "interactive_cta_url"),
    ({"latitude": 1, "longitude": 2, "name": "Here"}, "location"),
    ({"contacts": [CONTACT]}, "contacts"),
    ({"emoji": "", "message_id": WAMID}, "reaction"),
    ({"phone_number": TO, "line_id": "l1", "reply_to": WAMID, "text": "Hi"}, "text"),
    ({"text": "Hi", "buttons": None, "media_id": None}, "text"),
])
def test_detect_message_type_from_the_fields_present(fields, message_type):
    assert detect_message_type(fields) == message_type


@pytest.mark.parametrize("fields", [{"media_id": "1"}, {"media_url": "https://e.com/a.jpg", "caption": "Hi"}])
def test_detect_message_type_needs_message_type_for_media(fields):
    error = pytest.raises(ValidationError, detect_message_type, fields).value
    assert error.details == {"message_type": "is required for media: one of image, video, audio, document or sticker"}
    assert "send message_type image, video, audio, document or sticker" in error.message


@pytest.mark.parametrize("fields", [{}, {"phone_number": TO}, {"body": "Pick", "footer": "F"}, {"text": None}])
def test_detect_message_type_without_any_type_fields_says_so(fields):
    error = pytest.raises(ValidationError, detect_message_type, fields).value
    assert error.details == {"message_type": "is required: no message fields were found"}
    assert error.message.startswith("The message type cannot be detected")


def test_detect_message_type_with_fields_of_several_types_names_them():
    error = pytest.raises(ValidationError, detect_message_type, {"text": "Hi", "buttons": [], "media_id": "1"}).value
    assert error.details == {"message_type": "is required: the fields fit text, interactive_buttons, media"}
    assert error.message == ("The fields point to several message types: text (from text), interactive_buttons "
                             "(from buttons), media (from media_id); send message_type to choose.")


def test_message_types_cover_every_builder():
    assert sorted(MESSAGE_TYPES) == sorted(["text", "image", "video", "audio", "document", "sticker", "location",
                                            "contacts", "reaction", "template", "interactive_buttons",
                                            "interactive_list", "interactive_cta_url"])


def test_build_message_dispatches_and_ignores_routing_fields():
    fields = {"phone_number": "+16505551234", "line_id": "main", "message_type": "image", "reply_to": WAMID,
              "media_id": "1", "caption": "Look", "media_url": None}
    assert build_message("image", TO, fields) == sent("image", {"id": "1", "caption": "Look"},
                                                      context={"message_id": WAMID})


def test_build_message_reports_missing_and_foreign_fields():
    assert details_of(lambda: build_message("location", TO, {"latitude": 1, "caption": "x"})) == {
        "longitude": "is required for location messages", "caption": "is not allowed in location messages"}


def test_build_message_refuses_reply_to_on_a_reaction():
    assert details_of(lambda: build_message("reaction", TO, {"message_id": WAMID, "emoji": "", "reply_to": WAMID})) \
        == {"reply_to": "is not allowed for reaction messages"}


def test_build_message_unknown_type():
    assert list(details_of(lambda: build_message("poll", TO, {}))) == ["message_type"]


# --- validate_graph_native --------------------------------------------------------------------

def test_native_body_gets_the_defaults_and_is_a_copy():
    body = {"to": "+16505551234", "text": {"body": "Hi"}}
    result = validate_graph_native(body)
    assert result == {**ENVELOPE, "type": "text", "text": {"body": "Hi"}}
    assert body == {"to": "+16505551234", "text": {"body": "Hi"}}
    result["text"]["body"] = "Changed"
    assert body["text"]["body"] == "Hi"


@pytest.mark.parametrize("body", [
    native("image", {"link": "https://example.com/a.jpg", "caption": "Look"}, context={"message_id": WAMID}),
    native("audio", {"id": "1", "voice": True}, biz_opaque_callback_data="campaign-7"),
    native("document", {"id": "1", "filename": "a.pdf"}),
    native("location", {"latitude": "37.44", "longitude": "-122.16"}),  # Meta's docs send strings
    native("contacts", [CONTACT]),
    native("reaction", {"message_id": WAMID, "emoji": ""}),
    native("template", {"name": "welcome", "language": {"code": "en", "policy": "deterministic"}}),
    native("interactive", {"type": "list", "body": {"text": "B"}, "action": {
        "button": "Open", "sections": [{"rows": [{"id": "a", "title": "A"}]}]}}),
    native("interactive", {"type": "button", "header": {"type": "document", "document": {"id": "1"}},
                           "body": {"text": "B"},
                           "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}]}}),
    native("interactive", {"type": "location_request_message", "body": {"text": "Where are you?"},
                           "action": {"name": "send_location"}}),
    native("interactive", {"type": "flow", "anything": ["goes"]}),
    native("voice_note_2027", {"whatever": 1}),
])
def test_native_body_that_passes_comes_back_unchanged(body):
    assert validate_graph_native(body) == {**body, "messaging_product": "whatsapp", "recipient_type": "individual"}


@pytest.mark.parametrize("body, details", [
    (["not", "a", "body"], {"body": "must be an object"}),
    ({"type": "text", "text": {"body": "Hi"}}, {"to": "is required"}),
    ({"to": "+1", "image": {"id": "1"}}, {"type": "is required (Graph assumes text when it is missing)"}),
    ({**native("text", {"body": "Hi"}), "messaging_product": "sms"}, {"messaging_product": 'must be "whatsapp"'}),
    ({**native("text", {"body": "Hi"}), "recipient_type": "group"}, {"recipient_type": 'must be "individual"'}),
    ({"to": "+1", "type": 5}, {"type": "must be a message type such as text or image"}),
    ({"to": "+1", "type": "text"}, {"text": "is required for type text"}),
    (native("text", {"body": "Hi"}, image={"id": "1"}), {"image": "is not allowed in a text message"}),
    (native("text", "Hi"), {"text": "must be an object"}),
    (native("text", {"body": "Hi", "preview_url": "no"}), {"text.preview_url": "must be true or false"}),
    (native("text", {"body": "Hi"}, context={"message_id": ""}), {"context.message_id": "must not be empty"}),
    (native("text", {"body": "Hi"}, context="wamid"), {"context": "must be an object"}),
    (native("reaction", {"message_id": WAMID, "emoji": "x"}, context={"message_id": WAMID}),
     {"context": "is not allowed for reaction messages"}),
    (native("reaction", {"emoji": "x"}), {"reaction.message_id": "is required"}),
    (native("image", {"id": "1", "link": "https://e.com/a.jpg"}), {"image.id": "exactly one of id or link is required"}),
    (native("sticker", {"link": "ftp://e.com/a.webp"}), {"sticker.link": "must be an http(s) URL"}),
    (native("audio", {"id": "1", "caption": "x"}), {"audio.caption": "is only allowed for image, video and document "
                                                                      "messages"}),
    (native("location", {"latitude": 100, "longitude": "east"}),
     {"location.latitude": "must be between -90 and 90", "location.longitude": "must be a number"}),
    (native("contacts", {"name": {"formatted_name": "A"}}), {"contacts": "must be a list"}),
    (native("contacts", [{"name": {}}]), {"contacts[0].name.formatted_name": "is required"}),
    (native("template", {"name": "welcome"}), {"template.language": "is required"}),
    (native("template", {"name": "", "language": {}}),
     {"template.name": "must not be empty", "template.language.code": "is required"}),
    (native("template", {"name": "w", "language": {"code": "en"}, "components": [{"type": "button"}]}),
     {"template.components[0].sub_type": "is required for button components",
      "template.components[0].index": "is required for button components"}),
    (native("futuristic", "text"), {"futuristic": "must be an object"}),
    (native("interactive", {"type": "flow"}, text={"body": "Hi"}), {"text": "is not allowed in an interactive message"}),
])
def test_native_body_problems_are_named_in_graph_terms(body, details):
    assert details_of(lambda: validate_graph_native(body)) == details


def _native_buttons(buttons_, **interactive):
    return native("interactive", {"type": "button", "body": {"text": "B"}, "action": {"buttons": buttons_},
                                  **interactive})


@pytest.mark.parametrize("body, details", [
    (_native_buttons([{"type": "reply", "reply": b} for b in buttons(3)] + [{"type": "reply"}]),
     {"interactive.action.buttons": "must have at most 3 items",
      "interactive.action.buttons[3].reply": "is required"}),
    (_native_buttons([{"type": "reply", "reply": {"id": "a", "title": "A"}}, "second"]),
     {"interactive.action.buttons[1]": "must be an object"}),
    (_native_buttons([{"type": "url", "reply": {"id": "a", "title": "A"}}]),
     {"interactive.action.buttons[0].type": 'must be "reply"'}),
    (_native_buttons([{"type": "reply"}]), {"interactive.action.buttons[0].reply": "is required"}),
    (_native_buttons([{"type": "reply", "reply": {"id": "a", "title": "A"}},
                      {"type": "reply", "reply": {"id": "a", "title": "B"}}]),
     {"interactive.action.buttons[1].reply.id": "must be unique"}),
    (_native_buttons([{"type": "reply", "reply": {"id": "a", "title": "A"}}], body="B"),
     {"interactive.body": "must be an object"}),
    (_native_buttons([{"type": "reply", "reply": {"id": "a", "title": "A"}}], body={}),
     {"interactive.body.text": "is required"}),
    (_native_buttons([{"type": "reply", "reply": {"id": "a", "title": "A"}}], footer={"text": "x" * 61}),
     {"interactive.footer.text": "must be at most 60 characters"}),
    (_native_buttons([{"type": "reply", "reply": {"id": "a", "title": "A"}}],
                     header={"type": "image", "image": {"link": "https://e.com/a.jpg", "id": "1"}}),
     {"interactive.header.image.id": "exactly one of id or link is required"}),
    (_native_buttons([{"type": "reply", "reply": {"id": "a", "title": "A"}}], header={"type": "audio"}),
     {"interactive.header.type": "must be one of text, image, video, document"}),
    (native("interactive", {"type": "button", "body": {"text": "B"}}), {"interactive.action": "is required"}),
    (native("interactive", {"type": "list", "header": {"type": "video", "video": {"id": "1"}}, "body": {"text": "B"},
                            "action": {"button": "Open", "sections": [{"rows": [{"id": "a", "title": "A"}]}]}}),
     {"interactive.header.type": "must be text: list messages take text headers only"}),
    (native("interactive", {"type": "list", "body": {"text": "B"}, "action": {
        "sections": [{"rows": [{"id": "a", "title": "A"}]}, {"rows": [{"id": "a", "title": "B"}]}]}}),
     {"interactive.action.button": "is required",
      "interactive.action.sections[0].title": "is required when there is more than one section",
      "interactive.action.sections[1].title": "is required when there is more than one section",
      "interactive.action.sections[1].rows[0].id": "must be unique"}),
    (native("interactive", {"type": "cta_url", "body": {"text": "B"}, "action": {
        "name": "flow", "parameters": {"display_text": "Go", "url": "www.example.com"}}}),
     {"interactive.action.name": 'must be "cta_url"', "interactive.action.parameters.url": "must be an http(s) URL"}),
    (native("interactive", {"type": "cta_url", "body": {"text": "B"}, "action": {"name": "cta_url"}}),
     {"interactive.action.parameters": "is required"}),
    (native("interactive", {"body": {"text": "B"}}), {"interactive.type": "is required"}),
])
def test_native_interactive_problems_are_named_in_graph_terms(body, details):
    assert details_of(lambda: validate_graph_native(body)) == details
