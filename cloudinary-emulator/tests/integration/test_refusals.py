"""What the emulator does not emulate is refused loudly, in Cloudinary's error shape, naming what was refused.

The lists below are the README's "Refused, not emulated" section; a test never passes on a silent no-op.
"""

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest_values import API_KEY, API_SECRET, CLOUD_NAME
from tests.helpers import jpeg, signed

UPLOAD = f"/v1_1/{CLOUD_NAME}/image/upload"
RESOURCES = f"/v1_1/{CLOUD_NAME}/resources/image"
ADMIN = (API_KEY, API_SECRET)
NOT_SUPPORTED = "is not supported by the emulator"

REFUSED_UPLOAD_PARAMETERS = [
    ("background_removal", "cloudinary_ai"),
    ("ocr", "adv_ocr"),
    ("raw_convert", "aspose"),
    ("categorization", "google_tagging"),
    ("auto_tagging", "0.6"),
    ("detection", "coco"),
    ("responsive_breakpoints", '[{"create_derived": true}]'),
    ("colors", "true"),
    ("faces", "true"),
    ("image_metadata", "true"),
    ("media_metadata", "true"),
    ("phash", "true"),
    ("quality_analysis", "true"),
    ("accessibility_analysis", "true"),
    ("metadata", "field=value"),
    ("backup", "true"),
    ("return_delete_token", "true"),
    ("public_id_prefix", "p"),
    ("access_mode", "authenticated"),
    ("access_control", '[{"access_type": "anonymous"}]'),
    ("async", "true"),
    ("headers", "X-Robots-Tag: noindex"),
    ("proxy", "http://proxy"),
    ("discard_original_filename", "true"),
    ("regions", '{"box": [[1, 2], [3, 4]]}'),
    ("made_up_parameter", "1"),
]
REFUSED_TRANSFORMATIONS = [
    ("l_text:Arial_12:hi", "Transformation parameter l_text:Arial_12:hi"),
    ("u_logo", "Transformation parameter u_logo"),
    ("e_sepia", "Transformation parameter e_sepia"),
    ("e_background_removal", "Transformation parameter e_background_removal"),
    ("a_90", "Transformation parameter a_90"),
    ("o_50", "Transformation parameter o_50"),
    ("bo_2px_solid_black", "Transformation parameter bo_2px_solid_black"),
    ("co_red", "Transformation parameter co_red"),
    ("t_avatar", "Transformation parameter t_avatar"),
    ("d_default.png", "Transformation parameter d_default.png"),
    ("pg_2", "Transformation parameter pg_2"),
    ("dn_150", "Transformation parameter dn_150"),
    ("if_w_gt_100", "Transformation parameter if_w_gt_100"),
    ("c_auto,w_100,h_100", "Crop mode auto"),
    ("c_imagga_crop,w_100", "Crop mode imagga_crop"),
    ("c_mpad,w_100,h_100", "Crop mode mpad"),
    ("c_fill_pad,w_100,h_100", "Crop mode fill_pad"),
    ("fl_attachment", "Flag attachment"),
    ("fl_layer_apply", "Flag layer_apply"),
    ("fl_relative,w_10", "Flag relative"),
]
REFUSED_LISTINGS = [
    ("/private", "Listing or delivery type private"),
    ("/authenticated", "Listing or delivery type authenticated"),
    ("/fetch", "Listing or delivery type fetch"),
    ("/made_up", "Listing or delivery type made_up"),
    ("?type=private", "Listing or delivery type private"),
    ("/private/some/asset", "Listing or delivery type private"),
    ("/upload?start_at=2020-01-01", "Listing parameter start_at"),
    ("/upload?direction=asc", "Listing parameter direction"),
    ("/upload?fields=tags", "Listing parameter fields"),
    ("/upload/some/asset?colors=true", "Resource parameter colors"),
    ("/upload/some/asset?faces=1", "Resource parameter faces"),
    ("/upload/some/asset?image_metadata=true", "Resource parameter image_metadata"),
]
REFUSED_ROUTES = [
    ("POST", f"/v1_1/{CLOUD_NAME}/image/explicit"),
    ("POST", f"/v1_1/{CLOUD_NAME}/image/rename"),
    ("POST", f"/v1_1/{CLOUD_NAME}/image/text"),
    ("POST", f"/v1_1/{CLOUD_NAME}/image/sprite"),
    ("POST", f"/v1_1/{CLOUD_NAME}/image/generate_archive"),
    ("DELETE", f"{RESOURCES}/upload"),
    ("GET", f"/v1_1/{CLOUD_NAME}/usage"),
    ("GET", f"/v1_1/{CLOUD_NAME}/folders"),
    ("GET", f"/v1_1/{CLOUD_NAME}/metadata_fields"),
    ("GET", f"/v1_1/{CLOUD_NAME}/upload_presets"),
    ("GET", f"/v1_1/{CLOUD_NAME}/transformations"),
]


def assert_refused(response: Any, status: int, fragment: str) -> None:
    assert response.status_code == status
    message = response.json()["error"]["message"]
    assert fragment in message and NOT_SUPPORTED in message, message
    assert response.headers["x-cld-error"] == message


@pytest.mark.parametrize(("name", "value"), REFUSED_UPLOAD_PARAMETERS)
def test_unsupported_upload_parameter_is_refused(client: TestClient, name: str, value: str) -> None:  # type: ignore[type-arg]
    response = client.post(
        UPLOAD,
        data=signed({"public_id": f"refused/{name}", name: value}),
        files={"file": ("photo.jpg", jpeg(20, 20), "image/jpeg")},
    )

    assert_refused(response, 400, f"Upload parameter {name}")
    assert client.get(f"{RESOURCES}/upload/refused/{name}", auth=ADMIN).status_code == 404  # nothing was stored


def test_unsupported_parameter_in_an_unsigned_preset_upload_is_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post(
        UPLOAD,
        data={"upload_preset": "avatars_unsigned", "metadata": "field=value"},
        files={"file": ("photo.jpg", jpeg(20, 20), "image/jpeg")},
    )

    assert_refused(response, 400, "Upload parameter metadata")


@pytest.mark.parametrize(("transformation", "fragment"), REFUSED_TRANSFORMATIONS)
def test_unsupported_transformation_is_refused_on_upload(
    client: TestClient,  # type: ignore[type-arg]
    transformation: str,
    fragment: str,
) -> None:
    for field in ("transformation", "eager"):
        response = client.post(
            UPLOAD,
            data=signed({"public_id": "refused/transformation", field: transformation}),
            files={"file": ("photo.jpg", jpeg(20, 20), "image/jpeg")},
        )

        assert_refused(response, 400, fragment)


@pytest.mark.parametrize(("transformation", "fragment"), REFUSED_TRANSFORMATIONS)
def test_unsupported_transformation_is_refused_on_delivery(
    client: TestClient,  # type: ignore[type-arg]
    transformation: str,
    fragment: str,
) -> None:
    stored = client.post(
        UPLOAD, data=signed({"public_id": "refused/source"}), files={"file": ("p.jpg", jpeg(20, 20), "image/jpeg")}
    )
    assert stored.status_code == 200

    response = client.get(f"/{CLOUD_NAME}/image/upload/{transformation}/refused/source.jpg")

    # Delivery errors carry the message in X-Cld-Error only, as res.cloudinary.com does.
    assert response.status_code == 400
    assert fragment in response.headers["x-cld-error"] and NOT_SUPPORTED in response.headers["x-cld-error"]


@pytest.mark.parametrize(("suffix", "fragment"), REFUSED_LISTINGS)
def test_unsupported_listing_is_refused_never_an_empty_list(client: TestClient, suffix: str, fragment: str) -> None:  # type: ignore[type-arg]
    assert_refused(client.get(RESOURCES + suffix, auth=ADMIN), 400, fragment)


def test_updating_a_resource_of_another_type_is_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post(f"{RESOURCES}/private/some/asset", data={"moderation_status": "approved"}, auth=ADMIN)

    assert_refused(response, 400, "Listing or delivery type private")


@pytest.mark.parametrize(("method", "path"), REFUSED_ROUTES)
def test_unsupported_route_is_refused_naming_it(client: TestClient, method: str, path: str) -> None:  # type: ignore[type-arg]
    response = client.request(method, path, auth=ADMIN)

    assert response.status_code in (404, 405)
    assert_refused(response, response.status_code, f"{method} {path}")


def test_what_the_project_uses_still_works(client: TestClient) -> None:  # type: ignore[type-arg]
    # The avatar upload profile-service signs (avatars/signing.py), with every parameter it sends.
    response = client.post(
        UPLOAD,
        data=signed(
            {
                "allowed_formats": "jpg,png,webp",
                "context": "intent_id=i1",
                "eager": "c_thumb,g_face,h_128,w_128|c_fill,h_64,w_64/webp",
                "eager_async": "true",
                "notification_url": "http://127.0.0.1:9/hook",
                "overwrite": "false",
                "public_id": "avatars/user_9",
                "transformation": "c_limit,h_1024,w_1024",
                "moderation": "manual",
                "invalidate": "true",
            }
        ),
        files={"file": ("photo.jpg", jpeg(300, 200), "image/jpeg")},
    )

    assert response.status_code == 200, response.text
    assert client.get(f"{RESOURCES}/upload?prefix=avatars/&tags=true&context=true", auth=ADMIN).json()["resources"]


@pytest.mark.parametrize("value", ["false", "0"])
def test_an_unsupported_feature_turned_off_is_no_request_for_it(client: TestClient, value: str) -> None:  # type: ignore[type-arg]
    response = client.post(
        UPLOAD,
        data=signed({"public_id": "refused/off", "colors": value, "backup": value}),
        files={"file": ("photo.jpg", jpeg(20, 20), "image/jpeg")},
    )

    assert response.status_code == 200, response.text
