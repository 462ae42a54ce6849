import msgspec
from litestar import get, post
from litestar.params import JSONBody
from litestar.testing import create_test_client

from service_kit.errors import EXCEPTION_HANDLERS, Conflict, TooManyRequests, problem_type


class Thing(msgspec.Struct, forbid_unknown_fields=True):
    name: str


@post("/things")
async def create_thing(data: JSONBody[Thing]) -> Thing:
    return data


@get("/conflict")
async def conflict() -> None:
    raise Conflict("email is taken", field="email")


@get("/throttled")
async def throttled() -> None:
    raise TooManyRequests("slow down", retry_after=90, reason="hourly")


@get("/throttled-now")
async def throttled_now() -> None:
    raise TooManyRequests("slow down", retry_after=0)


@get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internals")


def test_validation_errors_are_problem_details_with_errors() -> None:
    with create_test_client([create_thing], exception_handlers=EXCEPTION_HANDLERS, debug=False) as client:
        response = client.post("/things", json={"name": 3})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert body["title"] == "Bad Request"
    assert body["errors"][0]["key"] == "name"


def test_invalid_json_is_a_400_problem() -> None:
    with create_test_client([create_thing], exception_handlers=EXCEPTION_HANDLERS, debug=False) as client:
        response = client.post("/things", content=b"{not json", headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert response.json()["type"] == "about:blank"


def test_app_errors_carry_their_status_and_extra_members() -> None:
    with create_test_client([conflict], exception_handlers=EXCEPTION_HANDLERS, debug=False) as client:
        response = client.get("/conflict")

    assert response.status_code == 409
    assert response.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "email is taken",
        "instance": "/conflict",
        "field": "email",
    }


def test_unexpected_errors_are_a_500_problem_without_internals() -> None:
    with create_test_client([boom], exception_handlers=EXCEPTION_HANDLERS, debug=False) as client:
        response = client.get("/boom")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret internals" not in response.text


def test_named_problem_types_are_urns_under_one_prefix() -> None:
    assert problem_type("step-up-required") == "urn:profile-pictures:problem:step-up-required"


def test_too_many_requests_sets_retry_after_from_its_keyword() -> None:
    with create_test_client([throttled, throttled_now], exception_handlers=EXCEPTION_HANDLERS, debug=False) as client:
        response = client.get("/throttled")
        immediate = client.get("/throttled-now")

    assert response.status_code == 429
    assert response.headers["retry-after"] == "90"
    assert response.json()["reason"] == "hourly"
    assert response.json()["detail"] == "slow down"
    # Never "0": a client told to retry at once would only be refused again.
    assert immediate.headers["retry-after"] == "1"


def test_too_many_requests_without_retry_after_sends_no_header() -> None:
    assert TooManyRequests("slow down").headers == {}
    assert TooManyRequests("x", retry_after=5, headers={"X-A": "b"}).headers == {"X-A": "b", "Retry-After": "5"}
