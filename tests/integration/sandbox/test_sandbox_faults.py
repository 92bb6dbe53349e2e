"""Fault injection: reserved numbers, the control API, throughput (130429) and pair rate (131056)."""
from __future__ import annotations

import time

import pytest
import requests


AUTH = {"Authorization": "Bearer any"}
PNID = "100000000000001"


EMULATOR_SETTINGS = {"webhook_delay": 0.01, "slow_seconds": 0.4}


def send(emulator, to: str, pnid: str = PNID, timeout: float = 5, **extra):
    body = {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "hi"}, **extra}
    return requests.post(f"{emulator.base_url}/v23.0/{pnid}/messages", json=body, headers=AUTH, timeout=timeout)


def control(emulator, method: str, path: str, **kwargs):
    return requests.request(method, f"{emulator.base_url}/_sandbox/{path}", timeout=5, **kwargs)


def error_of(response, status: int, code: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["type"] == "OAuthException" and error["fbtrace_id"]
    return error


def test_re_engagement_number_is_accepted_then_fails_with_131047(emulator, callback):
    response = send(emulator, "+16505550131")
    assert response.status_code == 200, response.text
    wamid = response.json()["messages"][0]["id"]
    assert emulator.wait_idle(5)
    statuses = callback.all_statuses()
    assert [(s["id"], s["status"]) for s in statuses] == [(wamid, "sent"), (wamid, "failed")]
    [error] = statuses[1]["errors"]
    assert error["code"] == 131047 and error["title"] and error["error_data"]["details"]
    assert "conversation" not in statuses[1]


def test_undeliverable_number_always_gets_131026(emulator):
    for _ in range(3):
        error = error_of(send(emulator, "+16505550126"), 400, 131026)
        assert error["message"] == "(#131026) Message Undeliverable"
        assert error["error_data"]["messaging_product"] == "whatsapp"
    assert emulator.state.messages() == []


@pytest.mark.parametrize(("number", "status", "code"), [
    ("16505550429", 429, 130429),
    ("16505550156", 400, 131056),
    ("16505550503", 503, 2),
])
def test_clear_after_n_numbers_fail_then_succeed(emulator, number, status, code):
    for _ in range(emulator.settings.fault_clear_after):
        error_of(send(emulator, number), status, code)
    assert send(emulator, number).status_code == 200
    assert send(emulator, number).status_code == 200
    emulator.state.reset()
    error_of(send(emulator, number), status, code)


def test_fault_clear_after_is_read_at_run_time(emulator):
    emulator.settings.fault_clear_after = 1
    error_of(send(emulator, "16505550429"), 429, 130429)
    assert send(emulator, "16505550429").status_code == 200


def test_generic_error_number_always_gets_500_131000(emulator):
    for _ in range(3):
        error_of(send(emulator, "16505550500"), 500, 131000)


def test_token_error_number_gets_401_190(emulator):
    error = error_of(send(emulator, "16505550190"), 401, 190)
    assert error["message"].startswith("Error validating access token")


def test_slow_number_answers_after_slow_seconds(emulator):
    with pytest.raises(requests.exceptions.ReadTimeout):
        send(emulator, "16505550999", timeout=0.15)
    started = time.monotonic()
    response = send(emulator, "16505550999")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.4


def test_injected_fault_fails_the_next_sends_to_anyone_then_clears(emulator):
    injected = control(emulator, "POST", "faults", json={"code": 130429, "http_status": 429, "count": 2})
    assert injected.status_code == 200
    assert injected.json()["injected"][0]["code"] == 130429
    error_of(send(emulator, "16505551001"), 429, 130429)
    error_of(send(emulator, "16505551002"), 429, 130429)
    assert send(emulator, "16505551003").status_code == 200
    assert control(emulator, "GET", "faults").json()["injected"] == []


def test_injected_fault_uses_the_catalogue_status_and_can_be_deleted(emulator):
    assert control(emulator, "POST", "faults", json={"code": 131000, "count": 5}).status_code == 200
    error_of(send(emulator, "16505551001"), 500, 131000)
    cleared = control(emulator, "DELETE", "faults")
    assert cleared.status_code == 200 and cleared.json()["injected"] == []
    assert send(emulator, "16505551001").status_code == 200


def test_injected_async_fault_is_reported_as_a_failed_status(emulator, callback):
    assert control(emulator, "POST", "faults", json={"code": 131026, "async": True}).status_code == 200
    response = send(emulator, "16505551001")
    assert response.status_code == 200
    assert emulator.wait_idle(5)
    assert [s["status"] for s in callback.all_statuses()] == ["sent", "failed"]
    assert callback.all_statuses()[1]["errors"][0]["code"] == 131026


def test_latency_fault_slows_every_graph_answer_until_deleted(emulator):
    assert control(emulator, "POST", "faults", json={"latency": 0.3}).status_code == 200
    started = time.monotonic()
    assert send(emulator, "16505551001").status_code == 200
    assert time.monotonic() - started >= 0.3
    assert control(emulator, "DELETE", "faults").json()["settings"]["latency"] == 0.0
    started = time.monotonic()
    assert send(emulator, "16505551001").status_code == 200
    assert time.monotonic() - started < 0.3


def test_slow_seconds_can_be_changed_through_the_control_api(emulator):
    assert control(emulator, "POST", "faults", json={"slow_seconds": 0.05}).status_code == 200
    started = time.monotonic()
    assert send(emulator, "16505550999").status_code == 200
    assert time.monotonic() - started < 0.4


def test_settings_can_be_updated_through_the_control_api(emulator):
    response = control(emulator, "POST", "faults", json={"webhook_delay": 0, "batch_size": 10,
                                                           "duplicate_rate": 0.5, "shuffle": True})
    assert response.status_code == 200
    settings = response.json()["settings"]
    assert (settings["webhook_delay"], settings["batch_size"], settings["duplicate_rate"], settings["shuffle"]) == (
        0.0, 10, 0.5, True)
    assert emulator.settings.batch_size == 10
    assert settings["app_secret"] == "***"


@pytest.mark.parametrize("body", [{"no_such_setting": 1}, {"batch_size": "many"}, {"count": 3}])
def test_bad_control_requests_get_400(emulator, body):
    response = control(emulator, "POST", "faults", json=body)
    assert response.status_code == 400
    assert response.json()["error"]


def test_faults_endpoint_lists_the_reserved_numbers(emulator):
    response = control(emulator, "GET", "faults")
    assert response.status_code == 200
    assert set(response.json()["reserved"]) == {"16505550131", "16505550126", "16505550429", "16505550156",
                                                "16505550500", "16505550503", "16505550190", "16505550999"}


def test_throughput_above_mps_gets_429_130429(emulator):
    assert control(emulator, "POST", "faults", json={"mps": 3}).status_code == 200
    answers = [send(emulator, f"1650555{1100 + i}") for i in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    error = error_of(answers[3], 429, 130429)
    assert error["message"] == "(#130429) Rate limit hit"
    other_number = send(emulator, "16505551199", pnid="100000000000002")
    assert other_number.status_code == 200
    time.sleep(1.05)
    assert send(emulator, "16505551150").status_code == 200


def test_mps_zero_disables_the_throughput_limit(emulator):
    assert control(emulator, "POST", "faults", json={"mps": 0}).status_code == 200
    emulator.settings.pair_rate = False
    assert [send(emulator, "16505551234").status_code for _ in range(100)] == [200] * 100


def test_pair_rate_allows_a_burst_of_45_then_gets_131056(emulator):
    answers = [send(emulator, "16505551234") for _ in range(46)]
    assert [a.status_code for a in answers[:45]] == [200] * 45
    error = error_of(answers[45], 400, 131056)
    assert "pair rate" in error["message"]
    assert send(emulator, "16505554321").status_code == 200


def test_pair_rate_refills_one_message_per_interval(emulator):
    emulator.settings.update({"pair_burst": 2, "pair_interval": 0.2})
    assert [send(emulator, "16505551234").status_code for _ in range(3)] == [200, 200, 400]
    time.sleep(0.25)
    assert send(emulator, "16505551234").status_code == 200
    assert send(emulator, "16505551234").status_code == 400


def test_pair_rate_can_be_switched_off(emulator):
    emulator.settings.pair_rate = False
    assert [send(emulator, "16505551234").status_code for _ in range(50)] == [200] * 50


def test_reset_clears_messages_media_deliveries_and_counters(emulator, callback):
    assert send(emulator, "16505551234").status_code == 200
    error_of(send(emulator, "16505550429"), 429, 130429)
    assert emulator.wait_idle(5)
    response = control(emulator, "POST", "reset")
    assert (response.status_code, response.json()) == (200, {"success": True})
    assert control(emulator, "GET", "messages").json() == {"data": []}
    assert control(emulator, "GET", "deliveries").json() == {"data": []}
    assert control(emulator, "GET", "requests").json() == {"data": []}
    assert control(emulator, "GET", "faults").json()["attempts"] == {}


def test_health_needs_no_token(emulator):
    response = control(emulator, "GET", "health")
    assert response.status_code == 200 and response.json()["status"] == "ok"
