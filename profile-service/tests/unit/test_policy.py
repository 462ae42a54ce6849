from typing import Any

import pytest

from profile_service.avatars.apply import delivery_url, variant_urls
from profile_service.avatars.cloudinary import Asset, moderation_state
from profile_service.avatars.policy import AvatarPolicy

POLICY = AvatarPolicy(
    formats=["jpg", "png", "webp"],
    max_bytes=1000,
    min_dimension=64,
    max_dimension=2048,
    sizes=[64],
    upload_ttl_seconds=600,
    max_open_uploads=5,
    max_uploads_per_hour=30,
    upload_long_edge=1024,
)


def asset(**overrides: object) -> Asset:
    values: dict[str, object] = {
        "public_id": "profiles/u1/abc",
        "version": 17,
        "secure_url": "https://res.cloudinary.com/demo/image/upload/v17/profiles/u1/abc.jpg",
        "format": "jpg",
        "bytes": 500,
        "width": 300,
        "height": 200,
    }
    values.update(overrides)
    return Asset(**values)  # type: ignore[arg-type]


def test_an_asset_within_policy_passes() -> None:
    assert POLICY.violations(asset()) == []


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"format": "gif"}, "format"),
        ({"bytes": 1001}, "bytes"),
        ({"width": 63}, "smaller"),
        ({"height": 4096}, "larger"),
    ],
)
def test_each_policy_breach_is_reported(overrides: dict[str, object], reason: str) -> None:
    problems = POLICY.violations(asset(**overrides))

    assert len(problems) == 1
    assert reason in problems[0]


def test_variant_urls_use_the_eager_transformation_string() -> None:
    urls = variant_urls(asset(), (64, 128))

    assert urls == {
        "64": "https://res.cloudinary.com/demo/image/upload/c_fill,g_face,h_64,w_64/v17/profiles/u1/abc.jpg",
        "128": "https://res.cloudinary.com/demo/image/upload/c_fill,g_face,h_128,w_128/v17/profiles/u1/abc.jpg",
    }


def test_heic_variants_are_delivered_as_jpg() -> None:
    urls = variant_urls(asset(format="heic", secure_url="http://x/demo/image/upload/v1/p/u/a.heic"), (64,))

    assert urls["64"] == "http://x/demo/image/upload/c_fill,g_face,h_64,w_64/v1/p/u/a.jpg"


def test_delivery_url_without_upload_segment_is_left_alone() -> None:
    assert delivery_url("https://example.com/a.jpg", "c_fill") == "https://example.com/a.jpg"


@pytest.mark.parametrize(
    ("moderation", "state"),
    [
        (None, None),
        ([], None),
        ([{"kind": "manual", "status": "pending"}], "pending"),
        ([{"kind": "manual", "status": "approved"}], "approved"),
        ([{"kind": "manual", "status": "rejected"}], "rejected"),
        ([{"kind": "aws_rek", "status": "queued"}], "pending"),
        ([{"kind": "aws_rek", "status": "approved"}, {"kind": "manual", "status": "pending"}], "pending"),
        ([{"kind": "aws_rek", "status": "rejected"}, {"kind": "manual", "status": "pending"}], "rejected"),
        # One rejection aborts the moderators after it (reference § 11).
        ([{"kind": "aws_rek", "status": "rejected"}, {"kind": "manual", "status": "aborted"}], "rejected"),
        # A reviewer overruling the add-on in Cloudinary's console has the last word.
        ([{"kind": "aws_rek", "status": "rejected"}, {"kind": "manual", "status": "approved"}], "approved"),
    ],
)
def test_the_moderation_array_decides(moderation: list[dict[str, Any]] | None, state: str | None) -> None:
    assert moderation_state(moderation) == state
