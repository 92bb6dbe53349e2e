"""GraphClient against a faked Graph API (``responses``) and, for real sockets, a loopback server."""
from __future__ import annotations

import io
import json
import logging
import random
import socket
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from app.graph import (
    NON_RETRYABLE_CODES,
    RETRYABLE_CODES,
    GraphAPIError,
    GraphClient,
    GraphConnectionError,
    GraphTimeoutError,
    MediaInfo,
    MediaURLExpired,
    RecipientBackoff,
    SendResult,
    is_retryable,
    parse_retry_after,
)

GRAPH = "https://graph.facebook.com/v23.0"
PNID = "106540352242922"
TOKEN = "EAAGlobalSecretToken123"
LINE_TOKEN = "EAALineSecretToken456"
MESSAGES_URL = f"{GRAPH}/{PNID}/messages"
MEDIA_URL = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&hash=abc"
ACCEPTED = {
    "messaging_product": "whatsapp",
    "contacts": [{"input": "+16505551234", "wa_id": "16505551234"}],
    "messages": [{"id": "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI=", "message_status": "accepted"}],
}


class FakeTime:
    """A clock that only moves when the client sleeps (or a test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class MaxJitter:
    """Makes full jitter deterministic: always the top of the range."""

    def uniform(self, low: float, high: float) -> float:
        return high


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_client(fake_time):
    clients = []

    def build(**kwargs) -> GraphClient:
        kwargs.setdefault("access_token", TOKEN)
        kwargs.setdefault("business_id", "102290129340398")
        kwargs.setdefault("rng", MaxJitter())
        client = GraphClient(sleep=fake_time.sleep, clock=fake_time.clock, **kwargs)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def graph():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def graph_error(code: int, message: str = "Something failed", status: int = 400, **extra) -> dict:
    error = {"message": f"(#{code}) {message}", "type": "OAuthException", "code": code,
             "fbtrace_id": "AbCdEfTrace", **extra}
    return {"status": status, "json": {"error": error}}


def text_body(to: str = "+16505551234") -> dict:
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "hi"}}


# -- success paths ---------------------------------------------------------------------
def test_send_message_posts_json_with_version_token_and_timeouts(graph, make_client):
    graph.post(MESSAGES_URL, json=ACCEPTED)
    result = make_client().send_message(PNID, text_body())

    assert result == SendResult(
        wamid="wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI=", wa_id="16505551234", input="+16505551234",
        message_status="accepted", raw=ACCEPTED,
    )
    assert result.raw == ACCEPTED
    (call,) = graph.calls
    assert call.request.url == MESSAGES_URL
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.request.headers["Content-Type"] == "application/json"
    assert json.loads(call.request.body) == text_body()
    assert call.request.req_kwargs["timeout"] == (5.0, 30.0)


def test_send_message_posts_each_of_metas_example_bodies_unchanged(graph, make_client, meta_examples):
    graph.post(MESSAGES_URL, json=ACCEPTED)
    client = make_client()
    bodies = [body for body in meta_examples.sends.values() if "to" in body]
    for body in bodies:
        assert client.send_message(PNID, body).wamid.startswith("wamid.")
    assert [json.loads(call.request.body) for call in graph.calls] == bodies


def test_send_message_adds_messaging_product_when_missing(graph, make_client):
    graph.post(MESSAGES_URL, json=ACCEPTED)
    body = {"to": "+16505551234", "type": "text", "text": {"body": "hi"}}
    make_client().send_message(PNID, body)
    assert json.loads(graph.calls[0].request.body) == {"messaging_product": "whatsapp", **body}
    assert "messaging_product" not in body


def test_send_message_without_message_id_is_delivery_unknown(graph, make_client):
    graph.post(MESSAGES_URL, json={"messaging_product": "whatsapp", "messages": []})
    with pytest.raises(GraphAPIError) as info:
        make_client().send_message(PNID, text_body())
    assert info.value.delivery_unknown is True and info.value.retryable is False


def test_line_token_overrides_the_global_token(graph, make_client):
    graph.post(MESSAGES_URL, json=ACCEPTED)
    make_client().send_message(PNID, text_body(), token=LINE_TOKEN)
    assert graph.calls[0].request.headers["Authorization"] == f"Bearer {LINE_TOKEN}"


@pytest.mark.parametrize("global_token", [None, "", "   "])
def test_missing_token_raises_before_any_request(graph, make_client, global_token):
    client = make_client(access_token=global_token)
    with pytest.raises(GraphAPIError) as info:
        client.send_message(PNID, text_body())
    assert info.value.code == 190 and info.value.retryable is False
    assert info.value.http_status is None
    assert len(graph.calls) == 0


def test_token_with_a_newline_is_refused_without_echoing_it(graph, make_client):
    with pytest.raises(GraphAPIError) as info:
        make_client(access_token="EAAbad\nX-Injected: 1").send_message(PNID, text_body())
    assert "EAAbad" not in str(info.value) and len(graph.calls) == 0


@pytest.mark.parametrize(
    ("typing", "expected"),
    [
        (False, {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN"}),
        (True, {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN",
                "typing_indicator": {"type": "text"}}),
    ],
)
def test_mark_read_posts_the_read_body(graph, make_client, typing, expected):
    graph.post(MESSAGES_URL, json={"success": True})
    assert make_client().mark_read(PNID, "wamid.IN", typing_indicator=typing) is True
    assert json.loads(graph.calls[0].request.body) == expected


def _multipart(body: bytes, content_type: str):
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    return {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}


def test_upload_media_streams_a_multipart_body_with_content_length(graph, make_client):
    graph.post(f"{GRAPH}/{PNID}/media", json={"id": "1037543291543636"})
    content = bytes(range(256)) * 1000
    media_id = make_client().upload_media(PNID, io.BytesIO(content), "photo.jpg", "image/jpeg")

    assert media_id == "1037543291543636"
    request = graph.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert int(request.headers["Content-Length"]) == len(request.body)
    assert "Transfer-Encoding" not in request.headers
    parts = _multipart(request.body, request.headers["Content-Type"])
    assert parts["messaging_product"].get_content() == "whatsapp"
    assert parts["type"].get_content() == "image/jpeg"
    assert parts["file"].get_filename() == "photo.jpg"
    assert parts["file"].get_content_type() == "image/jpeg"
    assert parts["file"].get_payload(decode=True) == content


def test_upload_media_retry_rewinds_and_resends_the_whole_file(graph, make_client, fake_time):
    bodies: list[bytes] = []
    answers = iter([(503, {}, "busy"), (200, {}, json.dumps({"id": "42"}))])

    def callback(request):
        bodies.append(request.body)
        return next(answers)

    graph.add_callback(responses.POST, f"{GRAPH}/{PNID}/media", callback=callback)
    content = b"%PDF-1.7 " + b"x" * 100_000
    assert make_client().upload_media(PNID, io.BytesIO(content), "a.pdf", "application/pdf") == "42"
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    assert content in bodies[1]
    assert fake_time.sleeps == [0.5]


def test_upload_media_rejects_a_mime_type_that_could_inject_headers(make_client):
    with pytest.raises(ValueError):
        make_client().upload_media(PNID, io.BytesIO(b"x"), "a.txt", "text/plain\r\nX-Evil: 1")


@pytest.mark.parametrize("size", ["303833", 303833])
def test_get_media_accepts_file_size_as_string_or_int(graph, make_client, size):
    graph.get(f"{GRAPH}/1037543291543636", json={
        "messaging_product": "whatsapp", "url": MEDIA_URL, "mime_type": "image/jpeg",
        "sha256": "ab12", "file_size": size, "id": "1037543291543636",
    })
    info = make_client().get_media("1037543291543636", phone_number_id=PNID)
    assert info == MediaInfo(id="1037543291543636", url=MEDIA_URL, mime_type="image/jpeg",
                             sha256="ab12", file_size=303833)
    assert graph.calls[0].request.params == {"phone_number_id": PNID}


def test_download_media_streams_in_chunks_with_the_bearer_token(graph, make_client):
    content = b"\xff\xd8" + b"j" * (200 * 1024)
    graph.get(MEDIA_URL, body=content, content_type="image/jpeg", auto_calculate_content_length=True)
    with make_client().download_media(MEDIA_URL, token=LINE_TOKEN) as download:
        assert download.content_type == "image/jpeg"
        assert download.content_length == len(content)
        chunks = list(download.iter_chunks(chunk_size=64 * 1024))

    assert b"".join(chunks) == content
    assert len(chunks) == 4 and max(map(len, chunks)) == 64 * 1024
    request = graph.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {LINE_TOKEN}"
    assert request.req_kwargs["stream"] is True
    assert request.req_kwargs["timeout"] == (5.0, 30.0)


def test_download_media_404_raises_media_url_expired_once(graph, make_client):
    graph.get(MEDIA_URL, status=404, body="Not Found")
    with pytest.raises(MediaURLExpired) as info:
        make_client().download_media(MEDIA_URL, read_timeout=120)
    assert info.value.http_status == 404 and info.value.retryable is False
    assert len(graph.calls) == 1
    assert graph.calls[0].request.req_kwargs["timeout"] == (5.0, 120)


@pytest.mark.parametrize("url", ["https://attacker.example/media", "http://lookaside.fbsbx.com/x", "/relative"])
def test_download_media_refuses_to_send_the_token_to_other_hosts(graph, make_client, url):
    with pytest.raises(GraphAPIError):
        make_client().download_media(url)
    assert len(graph.calls) == 0


def test_delete_media_sends_delete_and_returns_success(graph, make_client):
    graph.delete(f"{GRAPH}/1037543291543636", json={"success": True})
    assert make_client().delete_media("1037543291543636", phone_number_id=PNID) is True
    assert graph.calls[0].request.params == {"phone_number_id": PNID}


def test_list_templates_uses_the_business_id_or_the_given_waba(graph, make_client):
    page = {"data": [{"name": "order_update", "status": "APPROVED"}], "paging": {"cursors": {"after": "QVFI"}}}
    graph.get(f"{GRAPH}/102290129340398/message_templates", json=page)
    graph.get(f"{GRAPH}/999/message_templates", json={"data": []})
    client = make_client()
    assert client.list_templates(limit=50, after="QVFH") == page
    assert client.list_templates(waba_id="999") == {"data": []}
    assert graph.calls[0].request.params == {"limit": "50", "after": "QVFH"}
    assert graph.calls[1].request.params == {"limit": "100"}


def test_list_templates_without_any_waba_id_fails_before_a_request(graph, make_client):
    with pytest.raises(GraphAPIError):
        make_client(business_id=None).list_templates()
    assert len(graph.calls) == 0


@pytest.mark.parametrize("bad_id", ["../me", "1/messages", "", "1?x=y"])
def test_ids_that_could_reroute_the_request_are_rejected(make_client, bad_id):
    with pytest.raises(ValueError):
        make_client().get_media(bad_id)


# -- errors ----------------------------------------------------------------------------
def test_meta_error_json_becomes_a_graph_api_error_with_every_field(graph, make_client):
    graph.post(MESSAGES_URL, status=400, json={"error": {
        "message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131047,
        "error_subcode": 2494010, "error_data": {"messaging_product": "whatsapp", "details": "More than 24 hours"},
        "is_transient": False, "error_user_title": "Window closed", "error_user_msg": "Send a template",
        "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
    }})
    with pytest.raises(GraphAPIError) as info:
        make_client().send_message(PNID, text_body())
    error = info.value
    assert (error.code, error.subcode, error.type) == (131047, 2494010, "OAuthException")
    assert error.message == "(#131047) Re-engagement message"
    assert error.details == "More than 24 hours"
    assert error.fbtrace_id == "Az8or2yhqkZfEZ-_4Qn_Bam"
    assert (error.http_status, error.retryable, error.delivery_unknown) == (400, False, False)
    assert (error.is_transient, error.error_user_title, error.error_user_msg) == (False, "Window closed", "Send a template")
    assert error.to_details() == {
        "graph_code": 131047, "graph_subcode": 2494010, "graph_type": "OAuthException",
        "graph_message": "(#131047) Re-engagement message", "graph_details": "More than 24 hours",
        "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam", "retryable": False, "http_status": 400, "delivery_unknown": False,
    }
    assert not hasattr(error, "data")
    assert "131047" in str(error) and "Az8or2yhqkZfEZ-_4Qn_Bam" in str(error)


def test_non_json_502_html_is_a_retryable_graph_api_error(graph, make_client):
    graph.post(MESSAGES_URL, status=502, body="<html><body>Bad Gateway</body></html>", content_type="text/html",
               headers={"x-fb-trace-id": "HdrTrace"})
    with pytest.raises(GraphAPIError) as info:
        make_client(max_attempts=2).send_message(PNID, text_body())
    error = info.value
    assert (error.http_status, error.code, error.retryable, error.fbtrace_id) == (502, None, True, "HdrTrace")
    assert "<html>" not in str(error)
    assert len(graph.calls) == 2


def test_empty_4xx_body_is_not_retryable(graph, make_client):
    graph.get(f"{GRAPH}/55", status=403, body="")
    with pytest.raises(GraphAPIError) as info:
        make_client().get_media("55")
    assert (info.value.http_status, info.value.retryable) == (403, False) and len(graph.calls) == 1


def test_non_json_504_on_a_send_is_delivery_unknown_and_not_retried(graph, make_client):
    graph.post(MESSAGES_URL, status=504, body="Gateway Timeout")
    with pytest.raises(GraphAPIError) as info:
        make_client().send_message(PNID, text_body())
    assert info.value.delivery_unknown is True and info.value.retryable is False
    assert len(graph.calls) == 1


# -- retries ---------------------------------------------------------------------------
@pytest.mark.parametrize("failure", [
    *(graph_error(code, status=429 if code in (4, 80007, 130429) else 500) for code in sorted(RETRYABLE_CODES)),
    {"status": 503, "body": ""},
], ids=[*map(str, sorted(RETRYABLE_CODES)), "bare-503"])
def test_retryable_failures_are_retried_then_succeed(graph, make_client, fake_time, failure):
    graph.post(MESSAGES_URL, **failure)
    graph.post(MESSAGES_URL, **failure)
    graph.post(MESSAGES_URL, json=ACCEPTED)
    assert make_client().send_message(PNID, text_body()).wamid.startswith("wamid.")
    assert len(graph.calls) == 3
    assert fake_time.sleeps == [0.5, 1.0]


def test_backoff_grows_exponentially_and_is_capped(graph, make_client, fake_time):
    for _ in range(7):
        graph.post(MESSAGES_URL, **graph_error(131000, status=500))
    graph.post(MESSAGES_URL, json=ACCEPTED)
    make_client(max_attempts=8, retry_max_seconds=100.0, retry_base_seconds=0.5).send_message(PNID, text_body())
    assert fake_time.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]


def test_full_jitter_stays_within_each_ceiling(graph, make_client, fake_time):
    for _ in range(5):
        graph.post(MESSAGES_URL, **graph_error(2, status=503))
    graph.post(MESSAGES_URL, json=ACCEPTED)
    make_client(max_attempts=6, retry_max_seconds=100.0, rng=random.Random(7)).send_message(PNID, text_body())
    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0]
    assert len(fake_time.sleeps) == 5
    assert all(0 <= slept <= ceiling for slept, ceiling in zip(fake_time.sleeps, ceilings, strict=True))
    assert len(set(fake_time.sleeps)) == 5


def test_max_attempts_is_the_total_number_of_requests(graph, make_client, fake_time):
    graph.post(MESSAGES_URL, **graph_error(130429, status=429))
    with pytest.raises(GraphAPIError) as info:
        make_client(max_attempts=3).send_message(PNID, text_body())
    assert info.value.code == 130429 and info.value.retryable is True
    assert len(graph.calls) == 3 and fake_time.sleeps == [0.5, 1.0]


def test_retries_never_sleep_past_the_time_budget(graph, make_client, fake_time):
    graph.post(MESSAGES_URL, **graph_error(131016, status=503))
    with pytest.raises(GraphAPIError):
        make_client(max_attempts=10, retry_max_seconds=2.0).send_message(PNID, text_body())
    # 0.5 + 1.0 = 1.5 s; the next 2.0 s wait would end at 3.5 s > 2 s, so it gives up instead.
    assert fake_time.sleeps == [0.5, 1.0] and len(graph.calls) == 3


def test_time_spent_in_requests_counts_toward_the_budget(graph, make_client, fake_time):
    def slow_failure(request):
        fake_time.now += 1.5
        return 503, {}, ""

    graph.add_callback(responses.GET, f"{GRAPH}/77", callback=slow_failure)
    with pytest.raises(GraphAPIError):
        make_client(max_attempts=10, retry_max_seconds=4.0).get_media("77")
    assert fake_time.sleeps == [0.5] and len(graph.calls) == 2


@pytest.mark.parametrize("code", [100, 131026, 131047, 190, 132001, 368, 131048, 0, 3])
def test_non_retryable_codes_are_called_exactly_once(graph, make_client, fake_time, code):
    graph.post(MESSAGES_URL, **graph_error(code, status=500 if code == 3 else 400))
    with pytest.raises(GraphAPIError) as info:
        make_client().send_message(PNID, text_body())
    assert info.value.code == code and info.value.retryable is False
    assert len(graph.calls) == 1 and fake_time.sleeps == []


def test_retry_after_header_is_honoured(graph, make_client, fake_time):
    graph.post(MESSAGES_URL, headers={"Retry-After": "3"}, **graph_error(4, status=429))
    graph.post(MESSAGES_URL, json=ACCEPTED)
    make_client().send_message(PNID, text_body())
    assert fake_time.sleeps == [3.0]


def test_retry_after_beyond_the_budget_gives_up_at_once(graph, make_client, fake_time):
    graph.post(MESSAGES_URL, headers={"Retry-After": "60"}, **graph_error(80007, status=429))
    with pytest.raises(GraphAPIError) as info:
        make_client().send_message(PNID, text_body())
    assert info.value.retry_after == 60.0 and info.value.retryable is True
    assert len(graph.calls) == 1 and fake_time.sleeps == []


def test_parse_retry_after_reads_seconds_and_http_dates():
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=lambda: 1445412480.0) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def _refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.ConnectionError(MaxRetryError(None, MESSAGES_URL, reason))


@pytest.mark.parametrize("failure", [_refused(), requests.exceptions.ConnectTimeout()], ids=["refused", "connect-timeout"])
def test_connection_failures_before_sending_are_retried(graph, make_client, fake_time, failure):
    graph.post(MESSAGES_URL, body=failure)
    graph.post(MESSAGES_URL, json=ACCEPTED)
    assert make_client().send_message(PNID, text_body()).wa_id == "16505551234"
    assert len(graph.calls) == 2 and fake_time.sleeps == [0.5]


def test_read_timeout_on_send_is_delivery_unknown_after_one_request(graph, make_client, fake_time):
    graph.post(MESSAGES_URL, body=requests.exceptions.ReadTimeout())
    graph.post(MESSAGES_URL, json=ACCEPTED)
    with pytest.raises(GraphTimeoutError) as info:
        make_client().send_message(PNID, text_body())
    assert info.value.delivery_unknown is True and info.value.retryable is False
    assert info.value.to_details()["delivery_unknown"] is True
    assert "must not be" in info.value.message
    assert len(graph.calls) == 1 and fake_time.sleeps == []


def test_connection_lost_after_a_send_is_delivery_unknown_too(graph, make_client):
    graph.post(MESSAGES_URL, body=requests.ConnectionError(ProtocolError("Connection aborted.")))
    with pytest.raises(GraphTimeoutError) as info:
        make_client().send_message(PNID, text_body())
    assert info.value.delivery_unknown is True and len(graph.calls) == 1


def test_read_timeout_on_an_idempotent_get_is_retried(graph, make_client, fake_time):
    graph.get(f"{GRAPH}/88", body=requests.exceptions.ReadTimeout())
    graph.get(f"{GRAPH}/88", json={"id": "88", "url": MEDIA_URL})
    assert make_client().get_media("88").url == MEDIA_URL
    assert len(graph.calls) == 2 and fake_time.sleeps == [0.5]


# -- pair rate limit (131056) ----------------------------------------------------------
@pytest.fixture
def per_recipient(graph):
    """Graph answers per ``to``: a queue of (status, body) per recipient, then success."""
    queues: dict[str, list] = {}

    def callback(request):
        to = json.loads(request.body)["to"]
        status, body = queues.get(to, []).pop(0) if queues.get(to) else (200, ACCEPTED)
        return status, {}, json.dumps(body)

    graph.add_callback(responses.POST, MESSAGES_URL, callback=callback)
    graph.add_callback(responses.POST, f"{GRAPH}/999000111/messages", callback=callback)
    return queues


PAIR_RATE = (400, graph_error(131056, "(Business Account, Consumer Account) pair rate limit hit")["json"])


def test_pair_rate_backs_off_4_to_the_x_for_that_recipient(per_recipient, graph, make_client, fake_time):
    per_recipient["+15550000001"] = [PAIR_RATE, PAIR_RATE]
    client = make_client()
    client.send_message(PNID, text_body("+15550000001"))
    assert fake_time.sleeps == [1.0, 4.0] and len(graph.calls) == 3

    per_recipient["+15550000001"] = [PAIR_RATE]
    client.send_message(PNID, text_body("+15550000001"))
    assert fake_time.sleeps == [1.0, 4.0, 1.0]  # the success reset X to 0


def test_pair_rate_does_not_delay_other_recipients(per_recipient, graph, make_client, fake_time):
    per_recipient["+15550000001"] = [PAIR_RATE, PAIR_RATE]
    client = make_client(retry_max_seconds=3.0)
    with pytest.raises(GraphAPIError) as info:
        client.send_message(PNID, text_body("+15550000001"))
    # First hit waits 4**0 = 1 s; the second would need 4 s, beyond the 3 s budget.
    assert info.value.code == 131056 and info.value.retryable is True and info.value.retry_after == 4.0
    assert fake_time.sleeps == [1.0]

    client.send_message(PNID, text_body("+15550000002"))
    client.send_message("999000111", text_body("+15550000001"))  # another line: another pair
    assert fake_time.sleeps == [1.0] and len(graph.calls) == 4

    with pytest.raises(GraphAPIError) as again:
        client.send_message(PNID, text_body("+1 555-000-0001"))  # same pair, other formatting
    assert again.value.code == 131056 and again.value.retry_after == pytest.approx(4.0)
    assert len(graph.calls) == 4  # refused locally: Meta is not hammered


def test_pair_rate_wait_is_served_before_the_next_send_when_it_fits(per_recipient, graph, make_client, fake_time):
    per_recipient["+15550000001"] = [PAIR_RATE]
    client = make_client(max_attempts=1)
    with pytest.raises(GraphAPIError):
        client.send_message(PNID, text_body("+15550000001"))
    fake_time.now += 0.25
    client.send_message(PNID, text_body("+15550000001"))
    assert fake_time.sleeps == [pytest.approx(0.75)] and len(graph.calls) == 2


def test_recipient_backoff_counts_consecutive_hits_and_resets_on_success():
    clock = FakeTime()
    backoff = RecipientBackoff(clock=clock.clock)
    assert [backoff.record_hit("a") for _ in range(3)] == [1.0, 4.0, 16.0]
    assert backoff.wait_time("a") == 16.0 and backoff.wait_time("b") == 0.0
    backoff.record_success("a")
    assert backoff.wait_time("a") == 0.0 and backoff.record_hit("a") == 1.0
    clock.now += 10_000
    assert backoff.record_hit("a") == 1.0  # long forgotten: starts again from 4**0


def test_recipient_backoff_is_safe_under_concurrent_hits():
    backoff = RecipientBackoff(clock=FakeTime().clock, max_wait=float("inf"))
    threads = [threading.Thread(target=lambda: [backoff.record_hit("x") for _ in range(5)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert backoff.record_hit("x") == 4.0**20


# -- classification --------------------------------------------------------------------
def test_is_retryable_keys_on_the_code_before_the_status():
    assert all(is_retryable(code, 400) for code in RETRYABLE_CODES)
    assert is_retryable(131056, 400) is True
    assert not any(is_retryable(code, 500) for code in NON_RETRYABLE_CODES)
    assert is_retryable(None, 503) and is_retryable(None, 429) and not is_retryable(None, 404)
    assert is_retryable(987654, 500) and not is_retryable(987654, 400)
    assert not RETRYABLE_CODES & NON_RETRYABLE_CODES


# -- secrets stay secret ---------------------------------------------------------------
def test_tokens_never_reach_logs_errors_or_details(graph, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    graph.post(MESSAGES_URL, **graph_error(190, f"Invalid OAuth access token {LINE_TOKEN}", status=401))
    graph.post(MESSAGES_URL, **graph_error(131000, status=500))
    graph.post(MESSAGES_URL, json=ACCEPTED)
    client = make_client()
    with pytest.raises(GraphAPIError) as info:
        client.send_message(PNID, text_body(), token=LINE_TOKEN)
    client.send_message(PNID, text_body())

    for secret in (TOKEN, LINE_TOKEN):
        assert secret not in caplog.text
        assert secret not in str(info.value) and secret not in repr(info.value)
        assert secret not in json.dumps(info.value.to_details())
    assert "[redacted]" in info.value.message
    assert f"POST /v23.0/{PNID}/messages status=500" in caplog.text
    assert "attempt=2" in caplog.text and "fbtrace_id=AbCdEfTrace" in caplog.text
    assert "elapsed_ms=" in caplog.text
    assert not any(value for value in info.value.to_details().values() if "http" in str(value))


def test_download_log_omits_the_signed_query_string(graph, make_client, caplog):
    caplog.set_level(logging.INFO)
    graph.get(MEDIA_URL, body=b"x")
    make_client().download_media(MEDIA_URL).close()
    assert "/whatsapp_business/attachments/" in caplog.text and "hash=abc" not in caplog.text


# -- construction ----------------------------------------------------------------------
def test_from_config_reads_keys_and_defaults_the_rest():
    client = GraphClient.from_config({
        "WHATSAPP_API_BASE_URL": "http://127.0.0.1:9/", "WHATSAPP_API_VERSION": "v21.0",
        "WHATSAPP_ACCESS_TOKEN": TOKEN, "GRAPH_READ_TIMEOUT": "12", "GRAPH_MAX_ATTEMPTS": "2",
        "GRAPH_POOL_SIZE": 8, "WHATSAPP_BUSINESS_ID": None,
    })
    assert (client.base_url, client.version, client.access_token) == ("http://127.0.0.1:9", "v21.0", TOKEN)
    assert (client.connect_timeout, client.read_timeout, client.business_id) == (5.0, 12.0, None)
    assert (client.retry.max_attempts, client.retry.max_seconds, client.retry.base_seconds) == (2, 20.0, 0.5)
    adapter = client._session.get_adapter("https://graph.facebook.com")
    assert (adapter._pool_connections, adapter._pool_maxsize) == (8, 8)
    assert adapter.max_retries.total == 0
    assert client._session.get_adapter("http://x") is adapter
    client.close()


# -- real sockets on loopback ----------------------------------------------------------
@pytest.fixture
def loopback():
    """A tiny Graph stand-in on 127.0.0.1; tests set ``handle(handler)``."""
    state = {"requests": [], "handle": None}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", 0))
            state["requests"].append((dict(self.headers), self.rfile.read(length)))
            state["handle"](self)

        def do_GET(self):  # noqa: N802 - http.server's naming
            state["requests"].append((dict(self.headers), b""))
            state["handle"](self)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 64  # the default 5 drops SYNs from concurrent clients (1 s retries)

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    state["base_url"] = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    server.server_close()


def _reply(handler, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_real_read_timeout_on_send_makes_exactly_one_request(loopback, make_client):
    loopback["handle"] = lambda handler: (time.sleep(1.0), _reply(handler, 200, ACCEPTED))
    client = make_client(base_url=loopback["base_url"], read_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(GraphTimeoutError) as info:
        client.send_message(PNID, text_body())
    assert time.monotonic() - started < 0.9
    assert info.value.delivery_unknown is True
    assert len(loopback["requests"]) == 1


def test_real_connection_refused_is_retried_then_raised(make_client, fake_time):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(GraphConnectionError) as info:
        make_client(base_url=f"http://127.0.0.1:{port}", max_attempts=3).send_message(PNID, text_body())
    assert info.value.retryable is True and info.value.code is None
    assert fake_time.sleeps == [0.5, 1.0]


def test_real_upload_sends_the_file_with_content_length(loopback, make_client, tmp_path):
    loopback["handle"] = lambda handler: _reply(handler, 200, {"id": "4490709327384033"})
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4 " + bytes(range(256)) * 4096)
    with path.open("rb") as handle:
        media_id = make_client(base_url=loopback["base_url"]).upload_media(PNID, handle, "report.pdf", "application/pdf")

    assert media_id == "4490709327384033"
    ((headers, body),) = loopback["requests"]
    assert int(headers["Content-Length"]) == len(body) and "Transfer-Encoding" not in headers
    parts = _multipart(body, headers["Content-Type"])
    assert parts["file"].get_payload(decode=True) == path.read_bytes()
    assert parts["messaging_product"].get_content() == "whatsapp"


def test_concurrent_sends_share_the_pool_without_mixing_tokens(loopback, make_client):
    def echo_token(handler):
        wamid = "wamid." + handler.headers["Authorization"].removeprefix("Bearer ")
        _reply(handler, 200, {**ACCEPTED, "messages": [{"id": wamid}]})

    loopback["handle"] = echo_token
    client = make_client(base_url=loopback["base_url"], pool_size=4)
    results: dict[int, list[str]] = {}

    def worker(n: int) -> None:
        results[n] = [client.send_message(PNID, text_body(), token=f"line-{n}").wamid for _ in range(5)]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == {n: [f"wamid.line-{n}"] * 5 for n in range(12)}
    assert len(loopback["requests"]) == 60


def test_a_download_that_stalls_mid_body_raises_a_timeout(loopback, make_client):
    def stall(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "video/mp4")
        handler.send_header("Content-Length", "1000000")
        handler.end_headers()
        handler.wfile.write(b"x" * 1000)
        handler.wfile.flush()
        time.sleep(1.0)

    loopback["handle"] = stall
    client = make_client(base_url=loopback["base_url"])
    download = client.download_media(f"{loopback['base_url']}/media/1", read_timeout=0.2)
    assert download.content_length == 1_000_000
    with pytest.raises(GraphTimeoutError) as info:
        list(download.iter_chunks(chunk_size=512))
    assert info.value.retryable is True and info.value.delivery_unknown is False
