"""The official SDK's tags, context, tag/context listings, asset-id lookup and delivery-host URLs.

Shapes as the SDK's own tests assert them (`test/test_uploader.py`, `test/test_api.py` in the `cloudinary` sdist):
the tag and context methods answer `{"public_ids": [...]}`; the listings answer `{"resources": [...]}`.
"""

from collections.abc import Iterator
from pathlib import Path

import cloudinary
import cloudinary.api
import cloudinary.exceptions
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest

from devstack.mongo import free_port
from tests.conftest import LiveEmulator, make_settings
from tests.conftest_values import API_KEY, API_SECRET, CLOUD_NAME
from tests.helpers import jpeg


def tags_of(public_id: str) -> list[str] | None:
    """The asset's tags as the Admin API reports them; None when it has none (the key is then absent)."""
    tags: list[str] | None = cloudinary.api.resource(public_id).get("tags")
    return tags


def test_add_remove_replace_and_remove_all_tags(sdk: LiveEmulator) -> None:
    cloudinary.uploader.upload(jpeg(40, 30), public_id="tagged_1", tags=["zz_unique"])
    cloudinary.uploader.upload(jpeg(40, 30), public_id="tagged_2")

    added = cloudinary.uploader.add_tag("second", ["tagged_1", "tagged_2", "tagged_missing"])
    assert added["public_ids"] == ["tagged_1", "tagged_2"]
    # Kept sorted, as the SDK's own test_tags expects.
    assert tags_of("tagged_1") == ["second", "zz_unique"]
    assert tags_of("tagged_2") == ["second"]

    assert cloudinary.uploader.add_tag(["third", "second"], "tagged_1")["public_ids"] == ["tagged_1"]
    assert cloudinary.uploader.add_tag("fourth,fifth", "tagged_1")["public_ids"] == ["tagged_1"]
    assert tags_of("tagged_1") == ["fifth", "fourth", "second", "third", "zz_unique"]

    assert cloudinary.uploader.remove_tag(["second", "fourth"], ["tagged_1"])["public_ids"] == ["tagged_1"]
    assert tags_of("tagged_1") == ["fifth", "third", "zz_unique"]

    assert cloudinary.uploader.replace_tag("only", ["tagged_1"])["public_ids"] == ["tagged_1"]
    assert tags_of("tagged_1") == ["only"]

    assert cloudinary.uploader.remove_all_tags(["tagged_1", "tagged_2"])["public_ids"] == ["tagged_1", "tagged_2"]
    assert tags_of("tagged_1") is None and tags_of("tagged_2") is None


def test_exclusive_tag_leaves_only_the_named_assets(sdk: LiveEmulator) -> None:
    cloudinary.uploader.upload(jpeg(40, 30), public_id="exclusive_1", tags=["cover", "keep"])
    cloudinary.uploader.upload(jpeg(40, 30), public_id="exclusive_2")

    cloudinary.uploader.add_tag("cover", ["exclusive_2"], exclusive=True)

    assert tags_of("exclusive_1") == ["keep"]
    assert tags_of("exclusive_2") == ["cover"]


def test_tags_api_refusals(sdk: LiveEmulator) -> None:
    with pytest.raises(cloudinary.exceptions.BadRequest, match="Missing required parameter - public_ids"):
        cloudinary.uploader.add_tag("x", [])
    with pytest.raises(cloudinary.exceptions.BadRequest, match="Missing required parameter - tag"):
        cloudinary.uploader.add_tag("", ["a"])
    with pytest.raises(cloudinary.exceptions.BadRequest, match="notification_url is not supported by the emulator"):
        cloudinary.uploader.add_tag("x", ["a"], notification_url="http://127.0.0.1:9/hook")
    cloudinary.config(api_secret="wrong")
    with pytest.raises(cloudinary.exceptions.AuthorizationRequired, match="Invalid Signature"):
        cloudinary.uploader.add_tag("x", ["a"])


def test_add_and_remove_all_context(sdk: LiveEmulator) -> None:
    cloudinary.uploader.upload(jpeg(40, 30), public_id="context_1", context={"alt": "a cat"})

    result = cloudinary.uploader.add_context({"caption": "alternative|alt=a", "alt": "a dog"}, ["context_1", "nope"])

    assert result["public_ids"] == ["context_1"]
    assert cloudinary.api.resource("context_1")["context"] == {
        "custom": {"alt": "a dog", "caption": "alternative|alt=a"}
    }
    assert cloudinary.uploader.remove_all_context(["context_1"])["public_ids"] == ["context_1"]
    assert "context" not in cloudinary.api.resource("context_1")
    with pytest.raises(cloudinary.exceptions.BadRequest, match="Missing required parameter - context"):
        cloudinary.uploader.add_context({}, ["context_1"])


def test_resources_by_tag_pages_in_public_id_order(sdk: LiveEmulator) -> None:
    for name in ("bytag_c", "bytag_a", "bytag_b"):
        cloudinary.uploader.upload(jpeg(40, 30), public_id=name, tags=["listed"])
    cloudinary.uploader.upload(jpeg(40, 30), public_id="bytag_other", tags=["other"])

    first = cloudinary.api.resources_by_tag("listed", max_results=2, tags=True)
    second = cloudinary.api.resources_by_tag("listed", max_results=2, next_cursor=first["next_cursor"])

    assert [r["public_id"] for r in first["resources"]] == ["bytag_a", "bytag_b"]
    assert all(r["tags"] == ["listed"] for r in first["resources"])
    assert [r["public_id"] for r in second["resources"]] == ["bytag_c"] and "next_cursor" not in second
    assert cloudinary.api.resources_by_tag("nobody_has_this")["resources"] == []


def test_resources_by_context_key_and_value(sdk: LiveEmulator) -> None:
    cloudinary.uploader.upload(jpeg(40, 30), public_id="byctx_1", context={"role": "avatar"})
    cloudinary.uploader.upload(jpeg(40, 30), public_id="byctx_2", context={"role": "cover"})
    cloudinary.uploader.upload(jpeg(40, 30), public_id="byctx_3")

    by_key = cloudinary.api.resources_by_context("role", context=True)
    by_value = cloudinary.api.resources_by_context("role", "cover")

    assert [r["public_id"] for r in by_key["resources"]] == ["byctx_1", "byctx_2"]
    assert by_key["resources"][0]["context"] == {"custom": {"role": "avatar"}}
    assert [r["public_id"] for r in by_value["resources"]] == ["byctx_2"]
    with pytest.raises(cloudinary.exceptions.BadRequest, match="Missing required parameter - key"):
        cloudinary.api.resources_by_context("")


def test_resource_by_asset_id(sdk: LiveEmulator) -> None:
    uploaded = cloudinary.uploader.upload(jpeg(40, 30), public_id="by_asset_id", eager=[{"width": 10, "crop": "scale"}])

    found = cloudinary.api.resource_by_asset_id(uploaded["asset_id"])

    assert (found["public_id"], found["asset_id"], found["version"]) == (
        "by_asset_id",
        uploaded["asset_id"],
        uploaded["version"],
    )
    assert [d["transformation"] for d in found["derived"]] == ["c_scale,w_10"]
    with pytest.raises(cloudinary.exceptions.NotFound, match=r"Resource not found - 0{32}"):
        cloudinary.api.resource_by_asset_id("0" * 32)


@pytest.fixture
def delivery_host(tmp_path: Path) -> Iterator[LiveEmulator]:
    """An emulator whose responses name Cloudinary's own delivery host, the SDK set up as usual."""
    settings = make_settings(tmp_path / "emulator", port=free_port(), public_url="https://res.cloudinary.com")
    with LiveEmulator(settings) as emulator:
        cloudinary.reset_config()
        base = f"http://127.0.0.1:{settings.port}"
        cloudinary.config(cloud_name=CLOUD_NAME, api_key=API_KEY, api_secret=API_SECRET, upload_prefix=base)
        yield emulator
        cloudinary.reset_config()


def test_response_urls_are_the_ones_the_sdk_builds(delivery_host: LiveEmulator) -> None:
    result = cloudinary.uploader.upload(jpeg(40, 30), public_id="hosted", eager=[{"width": 10, "crop": "scale"}])

    options = {"version": result["version"], "format": result["format"]}
    assert result["secure_url"] == cloudinary.utils.cloudinary_url("hosted", secure=True, **options)[0]
    assert result["url"] == cloudinary.utils.cloudinary_url("hosted", secure=False, **options)[0]
    assert result["secure_url"].startswith(f"https://res.cloudinary.com/{CLOUD_NAME}/image/upload/v")
    [eager] = result["eager"]
    assert (
        eager["secure_url"]
        == cloudinary.utils.cloudinary_url("hosted", secure=True, width=10, crop="scale", **options)[0]
    )
    assert cloudinary.api.resource("hosted")["secure_url"] == result["secure_url"]


def test_the_default_host_is_the_emulator_so_browsers_load_it(sdk: LiveEmulator) -> None:
    result = cloudinary.uploader.upload(jpeg(40, 30), public_id="default_host")

    assert result["url"] == result["secure_url"]
    assert result["secure_url"].startswith(sdk.base_url + "/")
    assert httpx.get(result["secure_url"]).content[:2] == b"\xff\xd8"
