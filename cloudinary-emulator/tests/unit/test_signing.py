"""The worked examples of the facts file, against the emulator's signing module."""

from cloudinary_emulator import signing

DOC_PARAMS = {"timestamp": "1315060510", "public_id": "sample_image", "eager": "w_400,h_300,c_pad|w_260,h_200,c_crop"}


def test_documented_string_to_sign_and_signatures() -> None:
    assert (
        signing.string_to_sign(DOC_PARAMS)
        == "eager=w_400,h_300,c_pad|w_260,h_200,c_crop&public_id=sample_image&timestamp=1315060510"
    )
    assert signing.sign(DOC_PARAMS, "abcd") == "bfd09f95f331f558cbd1320e67aa8d488770583e"
    assert (
        signing.sign(DOC_PARAMS, "abcd", "sha256") == "cc927e1290f9e3ae4c1a741eda21a4630b4ce80f9ce0bc0296337d25cf40f91e"
    )


def test_file_api_key_and_resource_type_are_not_signed() -> None:
    params = {
        "public_id": "sample_image",
        "timestamp": "1315060510",
        "api_key": "k",
        "file": "f",
        "resource_type": "image",
    }

    assert signing.sign(params, "abcd") == "b4ad47fb4e25c7bf5f92a20089f9db59bc302313"


def test_signature_versions_differ_only_on_ampersands() -> None:
    params = {"timestamp": "1700000000", "public_id": "user_42", "context": "caption=Tom & Jerry"}

    assert signing.sign(params, "s3cr3t-EXAMPLE", version=2) == "6877551d6acc3a431f199dfb38e593172d52dc9d"
    assert signing.sign(params, "s3cr3t-EXAMPLE", version=1) == "d17f2f48c4c9c93c3db9aadcdec2ecdba93f9503"
    for signature in ("6877551d6acc3a431f199dfb38e593172d52dc9d", "d17f2f48c4c9c93c3db9aadcdec2ecdba93f9503"):
        assert signing.verify_request(params | {"signature": signature}, signature, "s3cr3t-EXAMPLE", "sha1")


def test_response_notification_and_delivery_signatures() -> None:
    assert signing.response_signature("sample", 1312461204, "abcd") == "7332b60d1da7033c332c59cb66dac31f72acc44c"
    body = b'{"notification_type":"upload","public_id":"avatars/user_42","version":1700000000}'
    assert signing.notification_signature(body, 1700000000, "abcd") == "7420676139a1c81e2165a525c5a66b83fac27bf5"
    assert (
        signing.notification_signature(body, 1700000000, "abcd", "sha256")
        == "2b9fc4707504e7a5b4f3d59b65b71f11b9afe02c2d246056f64167eae9e1f668"
    )
    assert signing.delivery_signature("c_fill,h_200,w_300/sample.jpg", "abcd") == "m_vGKjpX"


def test_a_non_ascii_upload_signature_is_no_match_not_a_crash() -> None:
    # hmac.compare_digest raises TypeError on non-ASCII strings; a form field may hold any text (a 500 before).
    assert signing.verify_request(DOC_PARAMS, "é" * 40, "abcd", "sha1") is False


def test_basic_credentials_of_non_ascii_text_are_none_not_a_crash() -> None:
    from cloudinary_emulator.auth import basic_credentials

    # base64.b64decode raises ValueError (not binascii.Error) for non-ASCII text (a 500 before).
    assert basic_credentials("Basic é") is None
