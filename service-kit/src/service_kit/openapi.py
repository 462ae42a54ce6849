"""An OpenAPI document that says what the service does, and request handling that keeps to it.

- `problems({404: "why"})` builds a route's `responses=`: each error status documented as RFC 9457 problem
  details (`application/problem+json`, component `ProblemDetails`), with the reason as its description.
- `document_api(app, ...)` post-processes the generated document once: every 4xx/5xx is problem details (Litestar
  documents its own validation 400 as `application/json`), a 204 has no body, the statuses every route of a kind
  can answer are added in one place (401 where a security requirement is declared, 413 where a body is read,
  503 where the database is used), every 429 declares its `Retry-After` header, and input Structs declared
  `forbid_unknown_fields=True` say `additionalProperties: false`, which Litestar leaves out.
- `StrictRequest` decodes JSON bodies strictly into the handler's `data` type: Litestar converts request data with
  `strict=False`, which takes a JSON `0` for `false` and `"5"` for `5`, so the schema's types would be a lie.
- `allow_every_method(app)` makes Litestar 2's automatic `OPTIONS` answer list every method of the path.
"""

from collections.abc import Collection, Iterator, Mapping
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.exceptions import ClientException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
    SecurityRequirement,
    SecurityScheme,
)
from litestar.routes import HTTPRoute

PROBLEM_JSON = "application/problem+json"
# Ends a `msgspec.Meta(pattern=...)` instead of `$`: msgspec matches with Python's `re`, where `$` also matches
# before a final newline ("alice\n" passes `^[a-z]+$`), while the OpenAPI reader's ECMA-262 `$` does not. This
# lookahead means the very end in both dialects, so the published pattern and the server agree.
END_OF_STRING = r"(?![\s\S])"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


class ProblemDetails(msgspec.Struct, kw_only=True):
    """RFC 9457 problem details; further members (`errors`, `field`, `reason`, `error`) may be present."""

    type: str
    title: str
    status: int
    detail: str | msgspec.UnsetType = msgspec.UNSET
    instance: str | msgspec.UnsetType = msgspec.UNSET


PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    title="ProblemDetails",
    description="RFC 9457 problem details; further members (such as `errors`, `field`, `reason`) may be present.",
    required=["type", "title", "status"],
    properties={
        "type": Schema(type=OpenAPIType.STRING),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "instance": Schema(type=OpenAPIType.STRING),
        "errors": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT)),
    },
)


def problems(reasons: Mapping[int, str]) -> dict[int, ResponseSpec]:
    """A route's `responses=`: each status answered as problem details, described by why the route sends it."""
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            generate_examples=False,
            description=f"{HTTPStatus(status).phrase}: {reason}",
            media_type=PROBLEM_JSON,
        )
        for status, reason in reasons.items()
    }


def _operations(openapi: OpenAPI) -> Iterator[tuple[str, Operation]]:
    for path, item in (openapi.paths or {}).items():
        for method in _METHODS:
            operation = getattr(item, method, None)
            if isinstance(operation, Operation):
                yield path, operation


def _forbidding_structs(app: Litestar) -> set[str]:
    """Names of the Structs reachable from a handler's `data` that refuse unknown fields."""
    types: list[Any] = []
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            types.extend(h.parsed_data_field.annotation for h in route.route_handlers if h.parsed_data_field)
    names: set[str] = set()
    seen: set[int] = set()
    stack: list[msgspec.inspect.Type] = []
    for annotation in types:
        try:
            stack.append(msgspec.inspect.type_info(annotation))
        except TypeError:  # not a msgspec type (raw bytes, a Request): nothing to describe
            continue
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, msgspec.inspect.StructType):
            if node.forbid_unknown_fields:
                names.add(node.cls.__name__)
            stack.extend(field.type for field in node.fields)
        elif isinstance(node, msgspec.inspect.UnionType):
            stack.extend(node.types)
        elif isinstance(node, msgspec.inspect.Metadata):
            stack.append(node.type)
        elif isinstance(node, msgspec.inspect.CollectionType | msgspec.inspect.DictType):
            stack.append(node.item_type if isinstance(node, msgspec.inspect.CollectionType) else node.value_type)
    return names


# Every 429 the services send says when to come back (`TooManyRequests(retry_after=...)`), so it is documented
# once, here, as a required header of every 429 response.
RETRY_AFTER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
    description="Seconds to wait before trying again.",
    required=True,
)


def _add(operation: Operation, status: int, reason: str) -> None:
    responses = operation.responses if operation.responses is not None else {}
    responses.setdefault(str(status), OpenAPIResponse(description=f"{HTTPStatus(status).phrase}: {reason}"))
    operation.responses = responses


def document_api(
    app: Litestar,
    *,
    database_paths_except: Collection[str] = ("/health",),
    unauthorized: str = "no valid access token (`WWW-Authenticate: Bearer`).",
) -> OpenAPI:
    """Finish `app`'s OpenAPI document so it lists every answer the service gives; returns the document.

    Per-route reasons come from `problems()` on the route decorators; this adds the answers every route of a kind
    gives: 401 where an operation requires credentials (not where `{}` makes them optional), 413 where it
    reads a body (Litestar enforces `request_max_body_size` everywhere), 503 on every path but
    `database_paths_except` (the database is down: `Retry-After`).
    """
    openapi = app.openapi_schema
    components = openapi.components
    forbidding = _forbidding_structs(app)
    if not isinstance(components, list):
        schemas = {**(components.schemas or {}), "ProblemDetails": PROBLEM_SCHEMA}
        for name, schema in schemas.items():
            if isinstance(schema, Schema) and (name in forbidding or schema.title in forbidding):
                schema.additional_properties = False
        components.schemas = schemas
    problem = {PROBLEM_JSON: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/ProblemDetails"))}
    for path, operation in _operations(openapi):
        if operation.security and all(operation.security):
            _add(operation, HTTPStatus.UNAUTHORIZED, unauthorized)
        if operation.request_body is not None:
            _add(operation, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "the body is larger than this route accepts.")
        if path not in database_paths_except:
            _add(operation, HTTPStatus.SERVICE_UNAVAILABLE, "the database is not answering; retry after a moment.")
        for status, response in (operation.responses or {}).items():
            if not isinstance(response, OpenAPIResponse):
                continue
            if status.startswith(("4", "5")):
                response.content = dict(problem)
            if status == "429":
                response.headers = {**(response.headers or {}), "Retry-After": RETRY_AFTER}
            elif status == "204":
                response.content = None
    return openapi


class StrictRequest(Request[Any, Any, Any]):
    """A request whose JSON body is decoded strictly into the handler's `data` type (pass as `request_class`).

    Litestar decodes the body untyped and then converts it with `strict=False`, the conversion meant for
    strings from paths and queries: a JSON `0` becomes `false`, `"12"` becomes `12`. Here the decoded value is
    already an instance of the declared type, which Litestar's conversion passes through unchanged. Stored
    documents are converted elsewhere and stay lenient.
    """

    _decoders: dict[Any, msgspec.json.Decoder[Any]] = {}

    async def json(self) -> Any:
        """The body decoded into the handler's `data` type; 400 problem details naming the field otherwise."""
        field = self.route_handler.parsed_data_field
        decoder = None if field is None else self._decoder(field.annotation)
        if decoder is None:
            return await super().json()
        cached = getattr(self, "_strict_json", msgspec.UNSET)
        if cached is not msgspec.UNSET:
            return cached
        body = await self.body()
        try:
            value = decoder.decode(body or b"null")
        except msgspec.ValidationError as exc:
            message, _, where = str(exc).partition(" - at `$")
            key = where.rstrip("`").lstrip(".") or "data"
            raise ValidationException(
                detail=f"Validation failed for {self.method} {self.url.path}",
                extra=[{"message": message, "key": key, "source": "body"}],
            ) from None
        except msgspec.DecodeError:
            raise ClientException("The body is not valid JSON.") from None
        self._strict_json = value
        return value

    @classmethod
    def _decoder(cls, annotation: Any) -> msgspec.json.Decoder[Any] | None:
        if annotation not in cls._decoders:
            try:
                cls._decoders[annotation] = msgspec.json.Decoder(annotation, strict=True)
            except TypeError:  # not a type msgspec decodes (bytes handled by Litestar, a Request): Litestar's path
                return None
        return cls._decoders[annotation]


def allow_every_method(app: Litestar) -> None:
    """Make each automatic `OPTIONS` answer list every method of its path, as the 405 answer already does.

    Litestar 2 registers a controller's handlers path by path, building an `HTTPRoute` (and its automatic OPTIONS
    handler) for the first method and a merged route for the next ones; the merged route keeps the first OPTIONS
    handler, whose closure still holds the first route, so `OPTIONS /auth/me` says `GET, OPTIONS` while `DELETE`
    is served too (litestar#4169, fixed in Litestar 3). The closure is pointed at the merged route.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            fn = handler.fn
            if getattr(fn, "__qualname__", "") != "HTTPRoute.create_options_handler.<locals>.options_handler":
                continue
            for cell in getattr(fn, "__closure__", None) or ():
                if isinstance(cell.cell_contents, HTTPRoute):
                    cell.cell_contents = route


BEARER_SCHEME = "bearerAuth"
# For `OpenAPIConfig(components=Components(security_schemes=...))` and the routes' `security=`.
SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    BEARER_SCHEME: SecurityScheme(
        type="http", scheme="bearer", bearer_format="JWT", description="An access token from auth-service."
    )
}
BEARER: list[SecurityRequirement] = [{BEARER_SCHEME: []}]
# A token changes the answer (its owner sees more) but is not needed; an invalid one counts as none.
OPTIONAL_BEARER: list[SecurityRequirement] = [{}, {BEARER_SCHEME: []}]
