"""Wire shapes of the upload API and of Cloudinary's notifications."""

from datetime import datetime
from typing import Annotated, Any

import msgspec

from profile_service.profiles.schemas import Avatar
from service_kit.openapi import END_OF_STRING


class UploadTicket(msgspec.Struct):
    """Everything the browser needs: POST `fields` plus `file` as multipart/form-data to `upload_url`."""

    upload_id: str
    public_id: str
    upload_url: str
    fields: dict[str, str]
    expires_at: datetime
    status_url: str


class UploadStatus(msgspec.Struct):
    """Where one upload stands (`pending`, `awaiting_moderation`, `applied`, `superseded`, `rejected`, `expired`);
    `avatar` is set while it is the profile's picture."""

    upload_id: str
    public_id: str
    status: str
    reason: str | None
    expires_at: datetime
    avatar: Avatar | None = None


class ConfirmUpload(msgspec.Struct, forbid_unknown_fields=True):
    """Two fields of Cloudinary's upload response, forwarded by the browser when no notification arrives."""

    version: Annotated[int, msgspec.Meta(ge=1, le=10**12)]
    signature: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})" + END_OF_STRING,
            description="Cloudinary's response signature (SHA-1 or SHA-256 hex). One the server cannot verify for "
            "this upload and `version` is refused with 400.",
        ),
    ]


class Notification(msgspec.Struct):
    """The parts of an upload/eager notification the service reads; anything else in the body is ignored."""

    notification_type: str = ""
    public_id: str | None = None
    version: int | None = None
    secure_url: str | None = None
    format: str | None = None
    bytes: int | None = None
    width: int | None = None
    height: int | None = None
    created_at: str | None = None
    resource_type: str | None = None
    type: str | None = None
    eager: list[dict[str, Any]] | None = None
    # Upload notifications of moderated uploads carry the moderation array; `moderation` notifications the decision.
    moderation: list[dict[str, Any]] | None = None
    moderation_status: str | None = None
    moderation_kind: str | None = None
    moderation_updated_at: str | None = None


class WebhookAck(msgspec.Struct):
    """The webhook's answer: what the service did with the notification."""

    status: str
    intent_status: str | None = None
