"""Chunked uploads over raw HTTP: every chunk a signed upload POST with X-Unique-Upload-Id and Content-Range."""

import hashlib
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from cloudinary_emulator.app import create_app
from tests.conftest import make_settings
from tests.conftest_values import CLOUD_NAME
from tests.helpers import jpeg, signed

UPLOAD = f"/v1_1/{CLOUD_NAME}/image/upload"


def photo() -> bytes:
    """A JPEG large enough to split into several chunks."""
    return jpeg(640, 480, quality=95)


def send_chunk(
    client: TestClient,  # type: ignore[type-arg]
    upload_id: str,
    data: bytes,
    start: int,
    end: int,
    total: int | str,
    params: dict[str, str] | None = None,
) -> Any:
    """One chunk `data[start:end+1]`, signed on its own as the SDKs do."""
    return client.post(
        UPLOAD,
        data=signed(params or {"public_id": "chunked/photo"}),
        files={"file": ("photo.jpg", data[start : end + 1], "application/octet-stream")},
        headers={"X-Unique-Upload-Id": upload_id, "Content-Range": f"bytes {start}-{end}/{total}"},
    )


def split(size: int, parts: int) -> list[tuple[int, int]]:
    """Inclusive (start, end) ranges of `parts` near-equal chunks."""
    step = -(-size // parts)
    return [(start, min(start + step, size) - 1) for start in range(0, size, step)]


def delivered(client: TestClient, result: dict[str, Any]) -> bytes:  # type: ignore[type-arg]
    response = client.get(f"/{CLOUD_NAME}/image/upload/v{result['version']}/{result['public_id']}.jpg")
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("order", ["in order", "reversed", "middle first"])
def test_chunks_in_any_order_assemble_to_the_exact_file(client: TestClient, order: str) -> None:  # type: ignore[type-arg]
    data = photo()
    ranges = split(len(data), 4)
    ordered = {
        "in order": ranges,
        "reversed": ranges[::-1],
        "middle first": [ranges[2], ranges[0], ranges[3], ranges[1]],
    }
    answers = [send_chunk(client, f"up-{order.replace(' ', '-')}", data, s, e, len(data)) for s, e in ordered[order]]

    assert [answer.status_code for answer in answers] == [200] * 4
    received = 0
    for (start, end), answer in zip(ordered[order][:-1], answers[:-1], strict=True):
        received += end - start + 1
        assert answer.json() == {
            "done": False,
            "bytes": received,
            "resource_type": "image",
            "public_id": "chunked/photo",
        }
    final = answers[-1].json()
    assert final["done"] is True
    assert (final["public_id"], final["bytes"], final["width"], final["height"]) == (
        "chunked/photo",
        len(data),
        640,
        480,
    )
    assert final["etag"] == hashlib.md5(data).hexdigest()  # noqa: S324 - Cloudinary's etag
    assert delivered(client, final) == data


def test_unknown_total_until_the_last_chunk_as_the_node_sdk_sends_it(client: TestClient) -> None:  # type: ignore[type-arg]
    data = photo()
    (a, b), (c, d), (e, f) = split(len(data), 3)

    first = send_chunk(client, "node-style", data, a, b, -1)
    second = send_chunk(client, "node-style", data, c, d, -1)
    last = send_chunk(client, "node-style", data, e, f, len(data))

    assert first.json()["done"] is False and second.json()["done"] is False
    assert last.json()["done"] is True
    assert delivered(client, last.json()) == data


def test_a_repeated_chunk_replaces_the_earlier_copy(client: TestClient) -> None:  # type: ignore[type-arg]
    data = photo()
    (a, b), (c, d) = split(len(data), 2)
    garbled = bytes(len(data))  # a first attempt whose bytes were wrong, then retried

    assert send_chunk(client, "retry", garbled, a, b, len(data)).json()["done"] is False
    assert send_chunk(client, "retry", data, a, b, len(data)).json() == {
        "done": False,
        "bytes": b - a + 1,
        "resource_type": "image",
        "public_id": "chunked/photo",
    }
    final = send_chunk(client, "retry", data, c, d, len(data))

    assert delivered(client, final.json()) == data


def test_the_first_chunk_alone_stores_nothing(client: TestClient) -> None:  # type: ignore[type-arg]
    data = photo()
    (a, b), _ = split(len(data), 2)

    assert send_chunk(client, "half", data, a, b, len(data)).json()["done"] is False

    assert client.get(f"/{CLOUD_NAME}/image/upload/chunked/photo.jpg").status_code == 404


def test_without_a_public_id_the_progress_answer_names_none(client: TestClient) -> None:  # type: ignore[type-arg]
    data = photo()
    (a, b), (c, d) = split(len(data), 2)

    first = send_chunk(client, "anonymous", data, a, b, len(data), params={"tags": "x"})
    last = send_chunk(client, "anonymous", data, c, d, len(data), params={"tags": "x"})

    assert first.json() == {"done": False, "bytes": b - a + 1, "resource_type": "image"}
    assert delivered(client, last.json()) == data


def refusal(response: Any, fragment: str) -> None:
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


def test_an_overlapping_chunk_of_another_range_is_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    data = photo()
    send_chunk(client, "overlap", data, 0, 999, len(data))

    refusal(send_chunk(client, "overlap", data, 500, 1499, len(data)), "not supported by the emulator")


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("bytes 10-5/100", "Invalid Content-Range header"),
        ("bytes 0-99/50", "Invalid Content-Range header"),
        ("items 0-9/10", "Invalid Content-Range header"),
        ("", "Invalid Content-Range header"),
    ],
)
def test_malformed_content_range_is_refused(client: TestClient, header: str, fragment: str) -> None:  # type: ignore[type-arg]
    response = client.post(
        UPLOAD,
        data=signed({"public_id": "chunked/bad"}),
        files={"file": ("photo.jpg", b"0123456789", "application/octet-stream")},
        headers={"X-Unique-Upload-Id": "bad-range", "Content-Range": header},
    )

    refusal(response, fragment)


def test_chunk_size_must_match_its_range(client: TestClient) -> None:  # type: ignore[type-arg]
    data = photo()

    refusal(send_chunk(client, "short", data[:10], 0, 19, len(data)), "does not match Content-Range")


def test_a_changed_total_is_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    data = photo()
    send_chunk(client, "total", data, 0, 99, len(data))

    refusal(send_chunk(client, "total", data, 100, 199, len(data) + 1), "differs from the earlier")


def test_unsigned_chunks_through_a_preset_as_the_widget_sends_them(client: TestClient) -> None:  # type: ignore[type-arg]
    data = photo()
    answers = [
        client.post(
            UPLOAD,
            data={"upload_preset": "avatars_unsigned", "public_id": "widget"},
            files={"file": ("blob", data[start : end + 1], "application/octet-stream")},
            headers={"X-Unique-Upload-Id": "widget-1", "Content-Range": f"bytes {start}-{end}/{len(data)}"},
        )
        for start, end in split(len(data), 3)
    ]

    assert [answer.json()["done"] for answer in answers] == [False, False, True]
    final = answers[-1].json()
    assert (final["public_id"], final["tags"]) == ("avatars/widget", ["preset"])
    assert delivered(client, final) == data


def test_a_chunk_past_the_size_limit_is_refused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "small", max_image_bytes=1000)
    with TestClient(create_app(settings)) as small:
        data = photo()

        refusal(send_chunk(small, "too-big", data, 0, 499, len(data)), f"File size too large. Got {len(data)}.")
