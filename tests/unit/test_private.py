"""Credentials, signatures and phone numbers."""
import time

import jwt
import pytest

from app.errors import Unauthorized, ValidationError
from app.private.auth import check_api_key, decode_jwt, key_fingerprint
from app.private.phone import normalize_phone
from app.private.signature import sign, verify_whatsapp_signature

SECRET = "app-secret"


def test_api_key_matches_any_configured_key():
    assert check_api_key("k2", ["k1", "k2"]) is True
    assert check_api_key("k3", ["k1", "k2"]) is False
    assert check_api_key("", ["k1"]) is False


def test_key_fingerprint_is_stable_and_not_the_key():
    assert key_fingerprint("abc") == key_fingerprint("abc")
    assert "abc" not in key_fingerprint("abc")


def test_jwt_with_exp_is_accepted():
    token = jwt.encode({"sub": "svc", "exp": int(time.time()) + 60}, "s", algorithm="HS256")
    assert decode_jwt(token, "s")["sub"] == "svc"


LONG_KEY = "k" * 64


@pytest.mark.parametrize("claims, key, algorithm, reason", [
    ({"sub": "svc"}, LONG_KEY, "HS256", "invalid"),  # no exp
    ({"sub": "svc", "exp": int(time.time()) - 10}, LONG_KEY, "HS256", "expired"),
    ({"sub": "svc", "exp": int(time.time()) + 60}, "o" * 64, "HS256", "invalid"),  # other key
    ({"sub": "svc", "exp": int(time.time()) + 60}, LONG_KEY, "HS512", "invalid"),  # other algorithm
])
def test_bad_jwts_are_refused(claims, key, algorithm, reason):
    token = jwt.encode(claims, key, algorithm=algorithm)
    with pytest.raises(Unauthorized, match=reason):
        decode_jwt(token, LONG_KEY)


def test_signature_verifies_exact_bytes():
    body = b'{"text":"caf\\u00e9"}'
    assert verify_whatsapp_signature(body, sign(body, SECRET), SECRET)


@pytest.mark.parametrize("header", [None, "", "sha1=abc", "sha256=", "sha256=zz" + "0" * 62])
def test_malformed_signature_headers_fail(header):
    assert verify_whatsapp_signature(b"{}", header, SECRET) is False


def test_signature_over_other_body_or_secret_fails():
    body = b'{"a":1}'
    assert not verify_whatsapp_signature(b'{"a":2}', sign(body, SECRET), SECRET)
    assert not verify_whatsapp_signature(body, sign(body, "other"), SECRET)
    assert not verify_whatsapp_signature(body, sign(body, SECRET)[:-2], SECRET)


def test_signature_without_secret_never_verifies():
    assert not verify_whatsapp_signature(b"{}", sign(b"{}", ""), None)


@pytest.mark.parametrize("raw, expected", [
    ("+16505551234", "16505551234"), ("16505551234", "16505551234"), ("+1 (650) 555-1234", "16505551234"),
    ("+5511987654321", "5511987654321"),
])
def test_phone_numbers_normalise_to_digits(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "+1555", "12", None, 16505551234])
def test_bad_phone_numbers_name_the_field(raw):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(raw, field="to")
    assert "to" in caught.value.details


def test_jwt_without_sub_is_refused():
    token = jwt.encode({"exp": int(time.time()) + 60}, LONG_KEY, algorithm="HS256")
    with pytest.raises(Unauthorized, match="invalid"):
        decode_jwt(token, LONG_KEY)
