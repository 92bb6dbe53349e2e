"""Contacts over HTTP: CRUD, search, blocking across every send path, history kept, the conversation."""
import threading

import pytest
import requests
from sqlalchemy import select, text

from database.connection import db
from database.models import Contact, Message
from tests.helpers import SEND_PNID, drain, graph_bodies, wait_until

TO = "+16505551234"
DIGITS = "16505551234"
CONTACT_KEYS = {"id", "phone_number", "display_name", "profile_name", "wa_id", "is_blocked", "blocked_at",
                "last_seen", "last_inbound_at", "last_outbound_at", "created_at", "updated_at"}


def _url(path=""):
    return f"/api/v1/contacts{path}"


def _create(client, auth, phone, display_name=None):
    body = {"phone_number": phone} if display_name is None else {"phone_number": phone, "display_name": display_name}
    response = client.post(_url(), json=body, headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _send_text(client, auth, text_body, to=TO):
    response = client.post("/api/v1/messages/text", json={"phone_number": to, "text": text_body}, headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _inbound(app, emulator, body="hello", sender=DIGITS, name="Alice"):
    """A user writes to the main line through the emulator; returns once the app has processed it."""
    answer = requests.post(f"{emulator.base_url}/_sandbox/inbound", timeout=5, json={
        "phone_number_id": SEND_PNID, "from": sender, "name": name, "type": "text", "text": {"body": body}})
    assert answer.status_code == 200, answer.text
    wamid = answer.json()["id"]

    def recorded():
        with app.app_context():
            return db.session.scalar(select(Message).where(Message.whatsapp_message_id == wamid))

    wait_until(recorded)
    drain(app)
    return wamid


def _items(response):
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


# -- create, get, update, delete -----------------------------------------------------------------------
def test_create_normalises_the_number_and_returns_the_full_resource(wa_app, auth):
    client = wa_app.test_client()
    body = _create(client, auth, "+1 650-555-1234", "Alice (VIP)")
    assert set(body) == CONTACT_KEYS
    assert body["phone_number"] == DIGITS and body["display_name"] == "Alice (VIP)"
    assert body["is_blocked"] is False and body["blocked_at"] is None
    assert body["profile_name"] is None and body["last_seen"] is None and body["last_outbound_at"] is None
    assert body["created_at"].endswith("+00:00")
    for path in (f"/{DIGITS}", f"/+{DIGITS}", f"/%2B{DIGITS}"):
        response = client.get(_url(path), headers=auth)
        assert response.status_code == 200 and response.get_json() == body, path


def test_duplicate_create_is_409_conflict(wa_app, auth):
    client = wa_app.test_client()
    _create(client, auth, TO)
    response = client.post(_url(), json={"phone_number": DIGITS, "display_name": "Again"}, headers=auth)
    assert response.status_code == 409
    envelope = response.get_json()
    assert envelope["error"] == "CONFLICT" and envelope["details"] == {"phone_number": DIGITS}
    assert len(_items(client.get(_url(), headers=auth))) == 1


def test_racing_creates_of_one_number_make_one_contact_and_409s(wa_app, auth):
    barrier = threading.Barrier(4)
    statuses = []

    def create():
        client = wa_app.test_client()
        barrier.wait()
        statuses.append(client.post(_url(), json={"phone_number": TO}, headers=auth).status_code)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409, 409, 409]
    with wa_app.app_context():
        assert len(db.session.scalars(select(Contact)).all()) == 1


@pytest.mark.parametrize("body, field", [
    ({"phone_number": "12"}, "phone_number"),
    ({"phone_number": "not a number"}, "phone_number"),
    ({}, "phone_number"),
    ({"phone_number": TO, "nickname": "Al"}, "nickname"),
    ({"phone_number": TO, "display_name": "x" * 256}, "display_name"),
    ({"phone_number": TO, "display_name": 7}, "display_name"),
])
def test_create_with_a_bad_field_is_400_naming_it(wa_app, auth, body, field):
    response = wa_app.test_client().post(_url(), json=body, headers=auth)
    assert response.status_code == 400
    envelope = response.get_json()
    assert envelope["error"] == "VALIDATION_ERROR" and field in envelope["details"], envelope


def test_unknown_contact_is_404_and_a_bad_number_in_the_path_is_400(wa_app, auth):
    client = wa_app.test_client()
    missing = client.get(_url(f"/{DIGITS}"), headers=auth)
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "NOT_FOUND" and missing.get_json()["details"] == {"phone_number": DIGITS}
    bad = client.get(_url("/123"), headers=auth)
    assert bad.status_code == 400 and "phone_number" in bad.get_json()["details"]
    for method in ("patch", "delete"):
        response = getattr(client, method)(_url(f"/{DIGITS}"), json={"display_name": "x"}, headers=auth)
        assert response.status_code == 404 and response.get_json()["error"] == "NOT_FOUND"


def test_contacts_need_credentials(wa_app):
    response = wa_app.test_client().get(_url())
    assert response.status_code == 401 and response.get_json()["error"] == "UNAUTHORIZED"


def test_patch_renames_and_null_clears_the_name(wa_app, auth):
    client = wa_app.test_client()
    created = _create(client, auth, TO, "Alice")
    renamed = client.patch(_url(f"/{TO}"), json={"display_name": "Alice (VIP)"}, headers=auth)
    assert renamed.status_code == 200
    assert renamed.get_json()["display_name"] == "Alice (VIP)" and renamed.get_json()["id"] == created["id"]
    cleared = client.patch(_url(f"/{DIGITS}"), json={"display_name": None}, headers=auth)
    assert cleared.status_code == 200 and cleared.get_json()["display_name"] is None
    assert client.get(_url(f"/{DIGITS}"), headers=auth).get_json()["display_name"] is None


@pytest.mark.parametrize("body, field", [
    ({"nickname": "Al"}, "nickname"),
    ({"display_name": "Al", "is_blocked": True}, "is_blocked"),
    ({"display_name": 5}, "display_name"),
    ({"display_name": "x" * 256}, "display_name"),
])
def test_patch_with_an_unknown_or_bad_field_is_400_naming_it(wa_app, auth, body, field):
    client = wa_app.test_client()
    _create(client, auth, TO, "Alice")
    response = client.patch(_url(f"/{DIGITS}"), json=body, headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"] == "VALIDATION_ERROR" and field in response.get_json()["details"]
    assert client.get(_url(f"/{DIGITS}"), headers=auth).get_json()["display_name"] == "Alice"


def test_delete_is_204_and_keeps_the_whole_history(wa_app, emulator, auth):
    client = wa_app.test_client()
    sent = _send_text(client, auth, "before delete")
    wamid = _inbound(wa_app, emulator, "reply before delete")
    deleted = client.delete(_url(f"/{TO}"), headers=auth)
    assert deleted.status_code == 204 and deleted.data == b""
    assert client.get(_url(f"/{DIGITS}"), headers=auth).status_code == 404
    assert client.delete(_url(f"/{DIGITS}"), headers=auth).status_code == 404

    listed = _items(client.get(f"/api/v1/messages?phone_number={DIGITS}", headers=auth))
    assert {m["id"] for m in listed} >= {sent["id"]} and wamid in {m["whatsapp_message_id"] for m in listed}
    conversation = _items(client.get(_url(f"/{DIGITS}/messages"), headers=auth))
    assert [m["id"] for m in conversation] == [m["id"] for m in listed] and len(conversation) == 2

    _inbound(wa_app, emulator, "I am back", name="Alice B")
    again = client.get(_url(f"/{DIGITS}"), headers=auth)
    assert again.status_code == 200
    assert again.get_json()["profile_name"] == "Alice B" and again.get_json()["display_name"] == "Alice B"
    assert len(_items(client.get(_url(f"/{DIGITS}/messages"), headers=auth))) == 3


# -- the conversation ---------------------------------------------------------------------------------------
def test_conversation_has_both_directions_newest_first_and_paginates(wa_app, emulator, auth):
    client = wa_app.test_client()
    first = _send_text(client, auth, "first")
    reply = _inbound(wa_app, emulator, "second, from the user")
    third = _send_text(client, auth, "third")
    _send_text(client, auth, "to someone else", to="+14155552671")

    page = client.get(_url(f"/{DIGITS}/messages?limit=2"), headers=auth)
    assert page.status_code == 200
    body = page.get_json()
    assert [m["id"] for m in body["items"]] == [third["id"], body["items"][1]["id"]]
    assert body["items"][1]["whatsapp_message_id"] == reply and body["items"][1]["direction"] == "inbound"
    assert body["items"][1]["content"]["text"] == {"body": "second, from the user"}
    assert body["next_cursor"]
    rest = client.get(_url(f"/{DIGITS}/messages?limit=2&cursor={body['next_cursor']}"), headers=auth).get_json()
    assert [m["id"] for m in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
    assert {m["phone_number"] for m in body["items"] + rest["items"]} == {DIGITS}


def test_conversation_is_404_only_without_contact_and_messages(wa_app, auth):
    client = wa_app.test_client()
    missing = client.get(_url(f"/{DIGITS}/messages"), headers=auth)
    assert missing.status_code == 404 and missing.get_json()["error"] == "NOT_FOUND"
    _create(client, auth, TO)
    empty = client.get(_url(f"/{DIGITS}/messages"), headers=auth)
    assert empty.status_code == 200 and empty.get_json() == {"items": [], "next_cursor": None}
    bad = client.get(_url(f"/{DIGITS}/messages?cursor=nope"), headers=auth)
    assert bad.status_code == 400 and "cursor" in bad.get_json()["details"]


def test_inbound_message_fills_the_contact_from_the_profile(wa_app, emulator, auth):
    _inbound(wa_app, emulator, "hi", name="Carol")
    contact = wa_app.test_client().get(_url(f"/{DIGITS}"), headers=auth)
    assert contact.status_code == 200
    body = contact.get_json()
    assert (body["display_name"], body["profile_name"], body["wa_id"]) == ("Carol", "Carol", DIGITS)
    assert body["last_seen"] is not None and body["last_inbound_at"] is not None


# -- list, search, filter, pages -------------------------------------------------------------------------------
@pytest.fixture
def people(wa_app, auth):
    client = wa_app.test_client()
    _create(client, auth, TO, "Alice Smith")
    _create(client, auth, "+14155552671", "Bob")
    _create(client, auth, "+442071838750")
    _create(client, auth, "+5511987654321", "100%_sure")
    with wa_app.app_context():
        db.session.scalar(select(Contact).where(Contact.phone_number == "442071838750")).profile_name = "Carol"
        db.session.commit()
    return client


@pytest.mark.parametrize("search, expected", [
    ("alice", {"16505551234"}),
    ("SMITH", {"16505551234"}),
    ("ali", {"16505551234"}),
    ("carol", {"442071838750"}),
    ("bOb", {"14155552671"}),
    ("+1650555", {"16505551234"}),
    ("1 650-555", {"16505551234"}),
    ("5552671", {"14155552671"}),
    ("44207", {"442071838750"}),
    ("%", {"5511987654321"}),
    ("0%_", {"5511987654321"}),
    ("_", {"5511987654321"}),
    ("zzz", set()),
    ("", {"16505551234", "14155552671", "442071838750", "5511987654321"}),
])
def test_search_is_a_case_insensitive_substring_of_names_and_number(people, auth, search, expected):
    response = people.get(_url(), query_string={"search": search}, headers=auth)
    assert {c["phone_number"] for c in _items(response)} == expected


def test_search_longer_than_255_characters_is_400(people, auth):
    response = people.get(_url(), query_string={"search": "a" * 256}, headers=auth)
    assert response.status_code == 400 and "search" in response.get_json()["details"]


def test_is_blocked_filter(people, auth):
    assert people.post(_url("/+14155552671/block"), headers=auth).status_code == 200
    assert [c["phone_number"] for c in _items(people.get(_url("?is_blocked=true"), headers=auth))] == ["14155552671"]
    unblocked = _items(people.get(_url("?is_blocked=false"), headers=auth))
    assert len(unblocked) == 3 and "14155552671" not in {c["phone_number"] for c in unblocked}
    both = _items(people.get(_url("?is_blocked=true&search=bob"), headers=auth))
    assert [c["display_name"] for c in both] == ["Bob"]
    bad = people.get(_url("?is_blocked=maybe"), headers=auth)
    assert bad.status_code == 400 and "is_blocked" in bad.get_json()["details"]


def test_list_paginates_newest_first_with_cursors(wa_app, auth):
    client = wa_app.test_client()
    numbers = [f"+1650555{n:04d}" for n in (1001, 1002, 1003, 1004, 1005)]
    for number in numbers:
        _create(client, auth, number)
    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(_url(query), headers=auth).get_json()
        seen += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 5
    assert [c["phone_number"] for c in seen] == [n.lstrip("+") for n in reversed(numbers)]
    created = [c["created_at"] for c in seen]
    assert created == sorted(created, reverse=True)
    for query, field in (("?limit=0", "limit"), ("?limit=201", "limit"), ("?cursor=garbage", "cursor")):
        response = client.get(_url(query), headers=auth)
        assert response.status_code == 400 and field in response.get_json()["details"]


# -- blocking ------------------------------------------------------------------------------------------
def test_blocking_a_number_never_seen_creates_it_blocked(wa_app, auth):
    client = wa_app.test_client()
    blocked = client.post(_url(f"/{TO}/block"), headers=auth)
    assert blocked.status_code == 200
    body = blocked.get_json()
    assert body["phone_number"] == DIGITS and body["is_blocked"] is True and body["blocked_at"]
    again = client.post(_url(f"/{DIGITS}/block"), headers=auth)
    assert again.status_code == 200 and again.get_json()["blocked_at"] == body["blocked_at"]
    unblocked = client.post(_url(f"/{DIGITS}/unblock"), headers=auth)
    assert unblocked.status_code == 200
    assert unblocked.get_json()["is_blocked"] is False and unblocked.get_json()["blocked_at"] is None
    assert client.get(_url(f"/{DIGITS}"), headers=auth).get_json()["is_blocked"] is False


def test_unblocking_an_unknown_number_is_404_and_a_bad_number_is_400(wa_app, auth):
    client = wa_app.test_client()
    unknown = client.post(_url(f"/{DIGITS}/unblock"), headers=auth)
    assert unknown.status_code == 404 and unknown.get_json()["error"] == "NOT_FOUND"
    bad = client.post(_url("/12/block"), headers=auth)
    assert bad.status_code == 400 and "phone_number" in bad.get_json()["details"]
    assert client.get(_url(), headers=auth).get_json()["items"] == []


SEND_PATHS = [
    ("/text", {"phone_number": TO, "text": "hello"}),
    ("/image", {"phone_number": TO, "media_id": "1234", "caption": "Look"}),
    ("", {"phone_number": TO, "message_type": "text", "text": "typed"}),
    ("", {"phone_number": TO, "message_type": "image", "media_id": "1234"}),
    ("", {"phone_number": TO, "text": "detected"}),
    ("", {"to": TO, "type": "text", "text": {"body": "graph native"}}),
]


@pytest.mark.parametrize("path, body", SEND_PATHS, ids=["text", "image", "aggregator-text", "aggregator-image",
                                                        "aggregator-detected", "graph-native"])
def test_a_contact_blocked_through_the_api_gets_409_on_every_send_path_until_unblocked(wa_app, emulator, auth,
                                                                                         path, body):
    client = wa_app.test_client()
    assert client.post(_url(f"/{TO}/block"), headers=auth).status_code == 200
    refused = client.post(f"/api/v1/messages{path}", json=body, headers=auth)
    assert refused.status_code == 409, refused.get_json()
    assert refused.get_json()["error"] == "CONTACT_BLOCKED"
    assert refused.get_json()["details"] == {"phone_number": DIGITS}
    assert graph_bodies(emulator) == []
    assert client.get(_url(f"/{DIGITS}/messages"), headers=auth).get_json()["items"] == []

    assert client.post(_url(f"/{TO}/unblock"), headers=auth).status_code == 200
    sent = client.post(f"/api/v1/messages{path}", json=body, headers=auth)
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["status"] == "sent" and sent.get_json()["phone_number"] == DIGITS
    [graph] = graph_bodies(emulator)
    assert graph["to"] == TO


# -- PostgreSQL: the search is served by the trigram indexes ------------------------------------------------
def test_search_can_be_served_by_the_trigram_indexes_on_postgres(make_app, postgres_url):
    app = make_app({"TEST_DATABASE_URL": postgres_url})
    from app.repositories.contact_repo import ContactRepository
    from app.utils.pagination import PageRequest

    with app.app_context():
        db.session.execute(text(
            "INSERT INTO contacts (id, created_at, updated_at, phone_number, display_name, profile_name, is_blocked)"
            " SELECT gen_random_uuid(), now() - (g || ' seconds')::interval, now(), (16505500000 + g)::text,"
            " 'Customer ' || md5(g::text), 'Profile ' || md5((g * 7)::text), false"
            " FROM generate_series(1, 5000) AS g"))
        db.session.execute(text("ANALYZE contacts"))
        repo = ContactRepository(db.session)
        assert [c.phone_number for c in repo.list({"search": "16505501234"}, PageRequest()).items] == ["16505501234"]
        assert "Customer c4ca4238" in repo.list({"search": "C4CA4238"}, PageRequest()).items[0].display_name
        # A small table is cheaper to scan (at 200k rows the planner picks the trigram indexes itself);
        # with plain scans priced out, the plan shows the indexes serve this ILIKE with its opclass.
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        db.session.execute(text("SET LOCAL enable_indexscan = off"))
        plan = "\n".join(row[0] for row in db.session.execute(text(
            "EXPLAIN SELECT * FROM contacts WHERE display_name ILIKE '%c4ca42%' OR profile_name ILIKE '%c4ca42%'"
            " OR phone_number ILIKE '%c4ca42%' ORDER BY created_at DESC, id DESC LIMIT 51")))
        for index in ("ix_contacts_display_name_trgm", "ix_contacts_profile_name_trgm", "ix_contacts_phone_number_trgm"):
            assert f"Bitmap Index Scan on {index}" in plan, plan
        db.session.rollback()
