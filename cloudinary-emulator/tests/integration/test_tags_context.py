"""The tags and context methods and the tag/context/asset-id lookups over HTTP: the refusals the SDK never sends."""

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest_values import API_KEY, API_SECRET, CLOUD_NAME
from tests.helpers import jpeg, signed

ADMIN = (API_KEY, API_SECRET)
TAGS = f"/v1_1/{CLOUD_NAME}/image/tags"
CONTEXT = f"/v1_1/{CLOUD_NAME}/image/context"
RESOURCES = f"/v1_1/{CLOUD_NAME}/resources"

Client = TestClient[Any]


def upload(client: Client, public_id: str, **params: Any) -> dict[str, Any]:
    response = client.post(
        f"/v1_1/{CLOUD_NAME}/image/upload",
        data=signed({"public_id": public_id, **params}),
        files={"file": ("a.jpg", jpeg(20, 20), "image/jpeg")},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error(response: Any) -> str:
    message: str = response.json()["error"]["message"]
    return message


def test_tags_over_basic_auth_and_a_form_array(client: Client) -> None:
    upload(client, "http_tags")

    response = client.post(TAGS, data={"command": "add", "tag": "b,a", "public_ids[]": ["http_tags"]}, auth=ADMIN)

    assert response.status_code == 200 and response.json()["public_ids"] == ["http_tags"]
    assert client.get(f"{RESOURCES}/image/upload/http_tags", auth=ADMIN).json()["tags"] == ["a", "b"]


def test_tags_of_another_delivery_type_are_not_touched(client: Client) -> None:
    upload(client, "typed", tags="kept")

    response = client.post(TAGS, data={"command": "remove_all", "public_ids": "typed", "type": "private"}, auth=ADMIN)

    assert response.json()["public_ids"] == []
    assert client.get(f"{RESOURCES}/image/upload/typed", auth=ADMIN).json()["tags"] == ["kept"]


@pytest.mark.parametrize(
    ("url", "fields", "status", "message"),
    [
        (TAGS, {"command": "add", "tag": "x"}, 400, "Missing required parameter - public_ids"),
        (TAGS, {"command": "rename", "tag": "x", "public_ids": "a"}, 400, "Invalid command rename"),
        (TAGS, {"tag": "x", "public_ids": "a"}, 400, "Invalid command"),
        (TAGS, {"command": "replace", "public_ids": "a"}, 400, "Missing required parameter - tag"),
        (TAGS, {"command": "add", "tag": "x", "public_ids": ",".join(["a"] * 1001)}, 400, "Too many public_ids"),
        (TAGS, {"command": "add", "tag": "x", "public_ids": "a", "batch_id": "b"}, 400, "batch_id is not supported"),
        (CONTEXT, {"command": "remove", "public_ids": "a"}, 400, "Invalid command remove"),
        (TAGS, {"command": "add", "tag": "x", "public_ids": "a", "\xff": "1"}, 400, "Parameter \\xff is not supported"),
        (CONTEXT, {"command": "add", "public_ids": "a"}, 400, "Missing required parameter - context"),
        (CONTEXT, {"command": "add", "context": "a=b", "public_ids": "a", "metadata": "m=1"}, 400, "metadata is not"),
        (f"/v1_1/{CLOUD_NAME}/video/tags", {"command": "add", "tag": "x", "public_ids": "a"}, 400, "images only"),
        ("/v1_1/other/image/tags", {"command": "add", "tag": "x", "public_ids": "a"}, 401, "Invalid cloud_name"),
    ],
)
def test_tag_and_context_refusals(client: Client, url: str, fields: dict[str, str], status: int, message: str) -> None:
    response = client.post(url, data=fields, auth=ADMIN)

    assert response.status_code == status
    assert message in error(response)


def test_tags_need_a_signature_or_basic_auth(client: Client) -> None:
    unsigned = client.post(TAGS, data={"command": "add", "tag": "x", "public_ids": "a"})
    wrong = client.post(TAGS, data={"command": "add", "tag": "x", "public_ids": "a"}, auth=(API_KEY, "nope"))

    assert (unsigned.status_code, error(unsigned)) == (401, "Must supply api_key")
    assert (wrong.status_code, error(wrong)) == (401, "api_secret mismatch")


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/image/context", 400, "Missing required parameter - key"),
        ("/image/tags/x?max_results=0", 400, "Invalid max_results - 0"),
        ("/image/context?key=k&max_results=501", 400, "Invalid max_results - 501"),
        ("/" + "a" * 32, 404, "Resource not found - " + "a" * 32),
    ],
)
def test_lookup_refusals(client: Client, path: str, status: int, message: str) -> None:
    response = client.get(RESOURCES + path, auth=ADMIN)

    assert response.status_code == status
    assert message in error(response)


def test_lookups_need_basic_auth(client: Client) -> None:
    asset = upload(client, "guarded", tags="t", context="k=v")

    for path in (f"/{asset['asset_id']}", "/image/tags/t", "/image/context?key=k"):
        assert client.get(RESOURCES + path).status_code == 401


def test_tag_listing_pages_and_keeps_cursor_between_filters(client: Client) -> None:
    for name in ("p3", "p1", "p2", "p0_untagged"):
        upload(client, name, **({} if name.startswith("p0") else {"tags": "paged"}))

    first = client.get(f"{RESOURCES}/image/tags/paged", params={"max_results": 1}, auth=ADMIN).json()
    rest = client.get(
        f"{RESOURCES}/image/tags/paged", params={"max_results": 5, "next_cursor": first["next_cursor"]}, auth=ADMIN
    ).json()

    assert [r["public_id"] for r in first["resources"]] == ["p1"]
    assert [r["public_id"] for r in rest["resources"]] == ["p2", "p3"] and "next_cursor" not in rest
    assert "tags" not in first["resources"][0]  # listings show tags only with tags=true
