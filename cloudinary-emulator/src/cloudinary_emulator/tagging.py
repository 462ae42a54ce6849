"""The Upload API's tags and context methods: `POST /v1_1/{cloud}/{resource_type}/tags` and `.../context`.

Both are signed server calls (a signature or HTTP Basic, as destroy) naming assets by `public_ids[]` and a
`command`; both answer `{"public_ids": [...]}` with the assets that exist and were changed (README "Tags and
context"). What Cloudinary offers beyond that here (`notification_url`, `batch_id`: an asynchronous completion
notification) is refused by name rather than ignored, so a test never waits for a notification that never comes.
"""

import logging
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.params import FromPath

from cloudinary_emulator.auth import check_cloud, check_server_call
from cloudinary_emulator.context import Emulator
from cloudinary_emulator.errors import bad_request
from cloudinary_emulator.storage import Asset
from cloudinary_emulator.uploads.options import parse_context, read_form, split_list

logger = logging.getLogger(__name__)

TAG_COMMANDS = ("add", "set_exclusive", "remove", "replace", "remove_all")
CONTEXT_COMMANDS = ("add", "remove_all")
# Authentication parameters, and the ones both methods act on.
_COMMON = frozenset({"timestamp", "signature", "api_key", "signature_algorithm", "public_ids", "command", "type"})
NON_SIGNABLE = frozenset({"notification_url", "batch_id"})
# A public ID call takes at most this many assets (Cloudinary: "up to 1000", SDK uploader.add_tag docstring).
MAX_PUBLIC_IDS = 1000


class TaggingController(Controller):
    """Tags and contextual metadata of existing assets."""

    path = "/v1_1/{cloud:str}/{resource_type:str}"
    tags = ["upload"]

    @post("/tags", status_code=200)
    async def tags_api(
        self, request: Request[Any, Any, Any], state: State, cloud: FromPath[str], resource_type: FromPath[str]
    ) -> dict[str, list[str]]:
        """Add, remove, replace or remove all tags of `public_ids[]` (`uploader.add_tag` and friends)."""
        emulator: Emulator = state.emulator
        params = await _parameters(request, emulator, cloud, resource_type, _COMMON | {"tag"})
        command = params.get("command", "")
        if command not in TAG_COMMANDS:
            raise bad_request(f"Invalid command {command}; one of {', '.join(TAG_COMMANDS)} is required")
        public_ids = _public_ids(params)
        tags = split_list(params.get("tag"))
        if command != "remove_all" and not tags:
            raise bad_request("Missing required parameter - tag")
        type_ = params.get("type") or "upload"

        def change(asset: Asset) -> None:
            # Cloudinary keeps an edited tag list sorted: the SDK's test_tags and test_multiple_tags expect
            # ["tag1", "tag2", UNIQUE_TAG] after adding tag1 then tag2 to an asset uploaded with UNIQUE_TAG.
            if command in ("add", "set_exclusive"):
                asset.tags = sorted({*asset.tags, *tags})
            elif command == "remove":
                asset.tags = sorted(set(asset.tags) - set(tags))
            elif command == "replace":
                asset.tags = sorted(set(tags))
            else:
                asset.tags = []

        def run() -> list[str]:
            changed = emulator.storage.update_many(type_, public_ids, change)
            if command == "set_exclusive":
                # Exclusive: the tag stays on these assets only (SDK add_tag(exclusive=True) docstring).
                for tag in tags:
                    emulator.storage.remove_tag_everywhere(type_, tag, set(changed))
            return changed

        changed = await anyio.to_thread.run_sync(run)
        logger.info("tags changed", extra={"command": command, "count": len(changed)})
        return {"public_ids": changed}

    @post("/context", status_code=200)
    async def context_api(
        self, request: Request[Any, Any, Any], state: State, cloud: FromPath[str], resource_type: FromPath[str]
    ) -> dict[str, list[str]]:
        """Add contextual metadata to `public_ids[]`, or remove all of it (`uploader.add_context`, ...)."""
        emulator: Emulator = state.emulator
        params = await _parameters(request, emulator, cloud, resource_type, _COMMON | {"context"})
        command = params.get("command", "")
        if command not in CONTEXT_COMMANDS:
            raise bad_request(f"Invalid command {command}; one of {', '.join(CONTEXT_COMMANDS)} is required")
        public_ids = _public_ids(params)
        pairs = parse_context(params.get("context"))
        if command == "add" and not pairs:
            raise bad_request("Missing required parameter - context")
        type_ = params.get("type") or "upload"

        def change(asset: Asset) -> None:
            asset.context = asset.context | pairs if command == "add" else {}

        changed = await anyio.to_thread.run_sync(emulator.storage.update_many, type_, public_ids, change)
        logger.info("context changed", extra={"command": command, "count": len(changed)})
        return {"public_ids": changed}


async def _parameters(
    request: Request[Any, Any, Any], emulator: Emulator, cloud: str, resource_type: str, accepted: frozenset[str]
) -> dict[str, str]:
    """Authenticate the call and refuse what the emulator does not do with it."""
    await emulator.faults.slow()
    check_cloud(cloud, emulator.account)
    if resource_type != "image":
        raise bad_request(f"Resource type {resource_type} is not supported by the emulator (images only)")
    params = read_form(await request.form()).params
    # The SDK leaves these two out of the string to sign for these methods (uploader._NON_SIGNABLE_NOTIFICATION_PARAMS).
    signed = {key: value for key, value in params.items() if key not in NON_SIGNABLE}
    check_server_call(
        signed, request.headers.get("authorization"), emulator.account, emulator.settings.signature_algorithm
    )
    # Empty values are what the SDK sends for options left out (e.g. `notification_url=None` is dropped, "" kept).
    if unsupported := sorted(key for key, value in params.items() if key not in accepted and value):
        # Escaped: the name is the caller's text and ends up in the X-Cld-Error header too.
        name = unsupported[0].encode("ascii", "backslashreplace").decode()
        raise bad_request(f"Parameter {name} is not supported by the emulator")
    return params


def _public_ids(params: dict[str, str]) -> list[str]:
    public_ids = split_list(params.get("public_ids"))
    if not public_ids:
        raise bad_request("Missing required parameter - public_ids")
    if len(public_ids) > MAX_PUBLIC_IDS:
        raise bad_request(f"Too many public_ids: at most {MAX_PUBLIC_IDS} are allowed")
    return public_ids
