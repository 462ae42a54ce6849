"""Upload parameters: reading the form, merging a preset, and the rules for unsigned uploads."""

from collections.abc import Mapping

import msgspec
from litestar.datastructures import FormMultiDict, UploadFile

from cloudinary_emulator.errors import bad_request

# What an unsigned upload may set itself (everything else must come from the preset) [REF].
UNSIGNED_ALLOWED = (
    "upload_preset",
    "callback",
    "public_id",
    "public_id_prefix",
    "folder",
    "asset_folder",
    "tags",
    "context",
    "metadata",
    "face_coordinates",
    "custom_coordinates",
    "regions",
    "source",
    "filename_override",
    "manifest_transformation",
    "manifest_json",
    "template",
    "template_vars",
)
# Always tolerated in an unsigned request: the browser's widget sends them, Cloudinary ignores them.
_IGNORED_UNSIGNED = frozenset({"file", "api_key", "timestamp", "cloud_name", "resource_type"})
_MERGED = ("tags", "context", "metadata")
# Every upload parameter the emulator acts on, plus the request's own plumbing. Anything else (`ocr`,
# `background_removal`, `auto_tagging`, `responsive_breakpoints`, ...) is refused with a 400 naming it, so a test
# never passes on a feature the emulator silently skipped. README "Refused, not emulated" lists the refused set.
SUPPORTED_UPLOAD_PARAMETERS = frozenset(
    {
        # request plumbing: credentials, signature, preset, the widget's fields
        "api_key",
        "timestamp",
        "signature",
        "signature_algorithm",
        "upload_preset",
        "cloud_name",
        "resource_type",
        "callback",  # the legacy iframe redirect the jQuery widget sends; a JSON client never follows it
        # naming and storage
        "public_id",
        "folder",
        "asset_folder",
        "display_name",
        "use_filename",
        "unique_filename",
        "filename_override",
        "overwrite",
        "type",
        "invalidate",  # there is no CDN cache to invalidate
        # content and processing
        "allowed_formats",
        "format",
        "transformation",
        "eager",
        "eager_async",
        "eager_notification_url",
        "notification_url",
        "moderation",
        "tags",
        "context",
        # gravity overrides (see the README's face detection section)
        "custom_coordinates",
        "face_coordinates",
    }
)


class Form(msgspec.Struct):
    """Text parameters as strings (arrays comma-joined, as they are signed) and the file part."""

    params: dict[str, str]
    file: UploadFile | str | None


def read_form(form: FormMultiDict) -> Form:
    """Split a parsed form into parameters and file; `key[]` arrays become `key=a,b`."""
    params: dict[str, str] = {}
    file: UploadFile | str | None = None
    for key in dict.fromkeys(form.keys()):
        values = form.getall(key)
        if key == "file":
            file = values[0]
            continue
        texts = [value if isinstance(value, str) else (value.filename or "") for value in values]
        if key.endswith("[]"):
            params[key[:-2]] = ",".join(texts)
        else:
            params[key] = texts[-1]
    return Form(params=params, file=file)


def preset_strings(preset: Mapping[str, str | bool | int]) -> dict[str, str]:
    """A configured preset's values as wire strings."""
    return {
        k: ("true" if v else "false") if isinstance(v, bool) else str(v) for k, v in preset.items() if k != "unsigned"
    }


def unsigned_options(
    params: Mapping[str, str], presets: Mapping[str, Mapping[str, str | bool | int]]
) -> dict[str, str]:
    """Options of an unsigned upload: the preset's values win, multi-valued ones merge [REF]."""
    name = params.get("upload_preset")
    if not name:
        raise bad_request("Upload preset must be specified when using unsigned upload")
    preset = presets.get(name)
    if preset is None:
        raise bad_request(f"Upload preset not found - {name}")
    if not preset.get("unsigned"):
        raise bad_request("Upload preset must be whitelisted for unsigned uploads")
    for key in params:
        if key not in UNSIGNED_ALLOWED and key not in _IGNORED_UNSIGNED:
            raise bad_request(
                f"{key} parameter is not allowed when using unsigned upload. "
                f"Only {','.join(UNSIGNED_ALLOWED)} parameters are allowed."
            )
    fixed = preset_strings(preset)
    options = {k: v for k, v in params.items() if k in UNSIGNED_ALLOWED} | fixed
    for key in _MERGED:
        if params.get(key) and fixed.get(key):
            separator = "|" if key != "tags" else ","
            options[key] = fixed[key] + separator + params[key]
    options.setdefault("overwrite", "false")  # unsigned uploads never overwrite
    options["overwrite"] = "false"
    return options


def signed_options(params: Mapping[str, str], presets: Mapping[str, Mapping[str, str | bool | int]]) -> dict[str, str]:
    """Options of a signed upload: request values override the (optional) preset's."""
    name = params.get("upload_preset")
    if not name:
        return dict(params)
    preset = presets.get(name)
    if preset is None:
        raise bad_request(f"Upload preset not found - {name}")
    return preset_strings(preset) | dict(params)


def check_supported(options: Mapping[str, str]) -> None:
    """Refuse, with Cloudinary's 400 shape, the first parameter the emulator does not implement.

    An empty or false value (`colors=false`, as SDKs send an explicit False) asks for nothing the emulator skips,
    so it passes.
    """
    asked = {key for key, value in options.items() if value.strip().lower() not in ("", "0", "false")}
    if unsupported := sorted(asked - SUPPORTED_UPLOAD_PARAMETERS):
        raise bad_request(f"Upload parameter {unsupported[0]} is not supported by the emulator")


def flag(options: Mapping[str, str], key: str, default: bool) -> bool:
    """A boolean parameter as Cloudinary reads it: 1/true/yes are true, 0/false/no/empty are false."""
    value = options.get(key)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes")


def split_list(value: str | None) -> list[str]:
    """A comma-separated list without empty items."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def parse_context(value: str | None) -> dict[str, str]:
    """`k=v|k2=v2` with `\\=` and `\\|` escapes."""
    if not value:
        return {}
    pairs: dict[str, str] = {}
    for item in _split_unescaped(value, "|"):
        key, separator, rest = _partition_unescaped(item, "=")
        key = _unescape(key).strip()
        if key:
            pairs[key] = _unescape(rest) if separator else ""
    return pairs


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, current, escaped = [], "", False
    for char in text:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current + ("\\" if escaped else ""))
    return parts


def _partition_unescaped(text: str, separator: str) -> tuple[str, str, str]:
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            return text[:index], separator, text[index + 1 :]
    return text, "", ""


def _unescape(text: str) -> str:
    return text.replace("\\=", "=").replace("\\|", "|")
