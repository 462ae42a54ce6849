import hashlib

import pytest

from profile_service.avatars.cloudinary import CloudinaryAccount
from profile_service.avatars.signing import (
    InvalidNotification,
    notification_signature,
    response_signature,
    signed_timestamp,
    upload_fields,
    verify_notification,
    verify_response_signature,
)

ACCOUNT = CloudinaryAccount.from_url("cloudinary://614335564976464:abcd@demo?upload_prefix=http://127.0.0.1:8003")
NOW = 1_700_000_000.0


def fields(**overrides: object) -> dict[str, str]:
    values: dict[str, object] = {
        "public_id": "profiles/u1/abc",
        "intent_id": "abc",
        "timestamp": 1_700_000_000,
        "sizes": (64, 128),
        "formats": ("jpg", "png"),
        "max_dimension": 2048,
        "notification_url": "https://app.example.com/webhooks/cloudinary",
    }
    values.update(overrides)
    return upload_fields(ACCOUNT, **values)  # type: ignore[arg-type]


def server_signature(posted: dict[str, str], secret: str) -> str:
    """What Cloudinary computes from the fields it receives (facts file §2), written independently."""
    signed = {
        k: v for k, v in posted.items() if k not in ("file", "api_key", "signature", "resource_type", "cloud_name")
    }
    to_sign = "&".join(sorted(f"{k}={v}".replace("&", "%26") for k, v in signed.items()))
    return hashlib.sha1((to_sign + secret).encode()).hexdigest()  # noqa: S324


def test_upload_fields_verify_the_way_the_server_checks_them() -> None:
    posted = fields()

    assert posted["signature"] == server_signature(posted, "abcd")


def test_upload_fields_are_all_strings_with_booleans_as_sent() -> None:
    posted = fields()

    assert all(isinstance(v, str) for v in posted.values())
    assert posted["overwrite"] == "false"
    assert posted["eager_async"] == "true"
    assert "overwrite=false" in "&".join(f"{k}={v}" for k, v in posted.items())


def test_upload_fields_carry_everything_server_chosen_and_never_the_secret() -> None:
    posted = fields()

    assert posted["public_id"] == "profiles/u1/abc"
    assert "folder" not in posted
    assert posted["eager"] == "c_fill,g_face,h_64,w_64|c_fill,g_face,h_128,w_128"
    assert posted["transformation"] == "c_limit,h_2048,w_2048/fl_force_strip"
    assert posted["allowed_formats"] == "jpg,png"
    assert posted["context"] == "intent_id=abc"
    assert posted["api_key"] == "614335564976464"
    assert "abcd" not in "".join(posted.values())


@pytest.mark.parametrize(
    ("field", "value"),
    [("public_id", "profiles/u2/abc"), ("eager", "c_fill,w_4000,h_4000"), ("notification_url", "http://evil")],
)
def test_changing_any_signed_field_breaks_the_signature(field: str, value: str) -> None:
    posted = {**fields(), field: value}

    assert posted["signature"] != server_signature(posted, "abcd")


def test_adding_an_unsigned_field_breaks_the_signature() -> None:
    posted = {**fields(), "folder": "elsewhere"}

    assert posted["signature"] != server_signature(posted, "abcd")


def test_signed_timestamp_is_back_dated_so_cloudinary_expires_it_with_the_intent() -> None:
    assert signed_timestamp(NOW, 600) == int(NOW) - 3000


def test_notification_signature_matches_the_documented_example() -> None:
    body = b'{"notification_type":"upload","public_id":"avatars/user_42","version":1700000000}'

    assert notification_signature(body, "1700000000", "abcd") == "7420676139a1c81e2165a525c5a66b83fac27bf5"
    assert notification_signature(body, "1700000000", "abcd", "sha256") == (
        "2b9fc4707504e7a5b4f3d59b65b71f11b9afe02c2d246056f64167eae9e1f668"
    )


def verify(body: bytes, timestamp: str | None, signature: str | None, now: float = NOW) -> None:
    verify_notification(ACCOUNT, body, timestamp, signature, window_seconds=3600, future_skew_seconds=60, now=now)


BODY = b'{"notification_type":"upload","public_id":"profiles/u1/abc"}'


def test_a_fresh_correctly_signed_notification_verifies() -> None:
    verify(BODY, "1700000000", notification_signature(BODY, "1700000000", "abcd"))


def test_a_sha256_signed_notification_verifies() -> None:
    verify(BODY, "1700000000", notification_signature(BODY, "1700000000", "abcd", "sha256"))


def test_a_forged_signature_is_rejected() -> None:
    with pytest.raises(InvalidNotification, match="mismatch"):
        verify(BODY, "1700000000", notification_signature(BODY, "1700000000", "wrong-secret"))


def test_a_body_altered_after_signing_is_rejected() -> None:
    signature = notification_signature(BODY, "1700000000", "abcd")

    with pytest.raises(InvalidNotification, match="mismatch"):
        verify(BODY.replace(b"u1", b"u2"), "1700000000", signature)


def test_a_stale_timestamp_is_rejected_even_when_correctly_signed() -> None:
    old = str(int(NOW) - 3601)

    with pytest.raises(InvalidNotification, match="too old"):
        verify(BODY, old, notification_signature(BODY, old, "abcd"))


def test_a_future_timestamp_beyond_the_skew_is_rejected() -> None:
    future = str(int(NOW) + 61)

    with pytest.raises(InvalidNotification, match="future"):
        verify(BODY, future, notification_signature(BODY, future, "abcd"))


def test_a_timestamp_within_the_skew_is_accepted() -> None:
    soon = str(int(NOW) + 30)

    verify(BODY, soon, notification_signature(BODY, soon, "abcd"))


@pytest.mark.parametrize(
    ("timestamp", "signature"), [(None, "a" * 40), ("1700000000", None), ("-5", "a" * 40), ("x", "a")]
)
def test_missing_or_malformed_headers_are_rejected(timestamp: str | None, signature: str | None) -> None:
    with pytest.raises(InvalidNotification):
        verify(BODY, timestamp, signature)


def test_response_signature_matches_the_documented_example() -> None:
    assert response_signature("sample", 1312461204, "abcd") == "7332b60d1da7033c332c59cb66dac31f72acc44c"
    assert verify_response_signature(ACCOUNT, "sample", 1312461204, "7332b60d1da7033c332c59cb66dac31f72acc44c")
    assert not verify_response_signature(ACCOUNT, "sample", 1312461205, "7332b60d1da7033c332c59cb66dac31f72acc44c")


def test_cloudinary_url_is_parsed_without_exposing_the_secret() -> None:
    assert ACCOUNT.cloud_name == "demo"
    assert ACCOUNT.upload_prefix == "http://127.0.0.1:8003"
    assert ACCOUNT.upload_url() == "http://127.0.0.1:8003/v1_1/demo/image/upload"
    assert ACCOUNT.upload_url("http://localhost:8003/") == "http://localhost:8003/v1_1/demo/image/upload"
    assert "abcd" not in repr(ACCOUNT)


@pytest.mark.parametrize("signature", ["é" * 40, "ñ" * 64, "a" * 39 + "ÿ"])
def test_a_non_ascii_signature_header_is_rejected_not_a_crash(signature: str) -> None:
    # Headers are latin-1 text; hmac.compare_digest raises TypeError on non-ASCII strings (a 500 before).
    with pytest.raises(InvalidNotification, match="malformed X-Cld-Signature"):
        verify(BODY, "1700000000", signature)


def test_a_timestamp_of_non_ascii_digits_is_malformed_even_when_correctly_signed() -> None:
    # "²".isdigit() is True but int("²") raises ValueError (a 500 before, for anyone holding the secret).
    signature = notification_signature(BODY, "17²", "abcd")

    with pytest.raises(InvalidNotification, match="malformed X-Cld-Timestamp"):
        verify(BODY, "17²", signature)


def test_moderation_is_a_signed_field_when_enabled() -> None:
    posted = fields(moderation="manual")

    assert posted["moderation"] == "manual"
    assert posted["signature"] == server_signature(posted, "abcd")
    # Dropping or changing it to skip review breaks the signature at Cloudinary.
    assert posted["signature"] != server_signature({k: v for k, v in posted.items() if k != "moderation"}, "abcd")
    assert posted["signature"] != server_signature({**posted, "moderation": "aws_rek"}, "abcd")
    assert "moderation" not in fields()
