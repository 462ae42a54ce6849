"""The owner's upload API: sign parameters, follow an upload, confirm it without a webhook, delete the avatar."""

import logging
import re
import secrets
from datetime import timedelta

from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from profile_service.auth import Caller, Claims, UserId
from profile_service.avatars.apply import UploadApplier
from profile_service.avatars.cloudinary import CloudinaryUnavailable
from profile_service.avatars.intents import Intent, IntentRepository, IntentStatus, new_intent
from profile_service.avatars.policy import AvatarPolicy
from profile_service.avatars.quota import QuotaExceeded, QuotaLimits, QuotaState
from profile_service.avatars.schemas import ConfirmUpload, UploadStatus, UploadTicket
from profile_service.avatars.signing import signed_timestamp, upload_fields, verify_response_signature
from profile_service.config import Settings
from profile_service.metrics import Metrics
from profile_service.profiles.repository import ProfileRepository
from profile_service.services import provide_applier, provide_intents, services_of
from service_kit.clock import from_ms, to_ms
from service_kit.errors import BadRequest, Conflict, Forbidden, NotFound, ServiceUnavailable, TooManyRequests
from service_kit.openapi import BEARER, problems
from service_kit.tracing import current_traceparent

logger = logging.getLogger(__name__)

# User ids become a public_id path segment, where Cloudinary forbids `? & # \ % < > +` and `/` would nest.
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
UPLOAD_ID = r"^[0-9a-f]{24}$"


def status_url(upload_id: str) -> str:
    """Where the browser polls an upload's status (relative: the app is served from one origin)."""
    return f"/profiles/me/avatar/uploads/{upload_id}"


async def _own_intent(intents: IntentRepository, user_id: str, upload_id: str) -> Intent:
    intent = await intents.get(upload_id) if re.fullmatch(UPLOAD_ID, upload_id) else None
    # Someone else's upload is "not found" too: its existence is none of the caller's business.
    if intent is None or intent.user_id != user_id:
        raise NotFound("There is no such upload.")
    return intent


class AvatarController(Controller):
    """`/profiles/me/avatar*`: every route needs the owner's access token.

    The upload path (sign, status, confirm) declares one dependency, the caller, and takes the services from
    `state` through their providers, as the hot profile reads do: Litestar resolves a handler's independent
    dependencies concurrently in an anyio task group, a cost per request (bench/README.md, "The seeds' way").
    """

    tags = ["avatar"]
    security = BEARER

    @get("/profiles/me/avatar/policy", operation_id="getAvatarPolicy")
    async def policy(self, user_id: UserId, settings: NamedDependency[Settings]) -> AvatarPolicy:
        """The limits the server enforces on pictures (formats, bytes, sides, sizes, how long parameters last).

        The browser checks a picture against them before uploading; the server checks them again on arrival.
        """
        return AvatarPolicy.from_settings(settings)

    @post(
        "/profiles/me/avatar/uploads",
        operation_id="createAvatarUpload",
        status_code=201,
        responses=problems(
            {
                403: "the account's user id cannot be part of a Cloudinary public_id.",
                404: "the account has been deleted (the token outlived it).",
                429: "a signing quota is spent (`reason`: `open_uploads`, too many uploads pending at once, or"
                " `hourly_uploads`, too many started in the last hour); `Retry-After` says when one frees up."
                " Nothing was signed.",
            }
        ),
    )
    async def sign(self, caller: Caller, state: State) -> UploadTicket:
        """Signed, short-lived parameters for uploading a new picture straight to Cloudinary.

        POST `fields` plus `file` as multipart/form-data to `upload_url`, then poll `status_url`. Every value in
        `fields` is chosen and signed by the server; changing or adding one breaks the signature at Cloudinary.
        A request body, if sent, is ignored. Each user may have `max_open_uploads` uploads pending and start
        `max_uploads_per_hour` per rolling hour (see the policy); beyond either the answer is 429.
        """
        if not _SAFE_ID.match(caller.sub):
            raise Forbidden("This account cannot upload pictures (unsupported user id).")
        services, intents = services_of(state), provide_intents(state)
        profiles, settings, metrics, account = services.profiles, services.settings, services.metrics, services.account
        upload_id = secrets.token_hex(12)
        public_id = f"{settings.avatar_prefix}/{caller.sub}/{upload_id}"
        # Two round trips, the reservation and the intent, when this instance knows the user's quota state (it
        # read or wrote the profile before); else the profile read (with the quota fields) comes first.
        async with profiles.signing_turns.of(caller.sub):
            quota, guessed = await profiles.signing_state(caller.sub, caller.username)
            created_at = intents.now()
            seq = await _reserve(
                profiles, metrics, settings, caller, upload_id, quota, to_ms(created_at), guessed=guessed
            )
        intent = new_intent(
            intent_id=upload_id,
            user_id=caller.sub,
            public_id=public_id,
            seq=seq,
            created_at=created_at,
            ttl_seconds=settings.upload_ttl_seconds,
            retention_days=settings.intent_retention_days,
            moderation=settings.signed_moderation,
            username=caller.username,
            traceparent=current_traceparent(),
        )
        await intents.create(intent)
        fields = upload_fields(
            account,
            public_id=public_id,
            intent_id=upload_id,
            timestamp=signed_timestamp(created_at.timestamp(), settings.upload_ttl_seconds),
            sizes=settings.avatar_sizes,
            formats=settings.avatar_formats,
            max_dimension=settings.avatar_max_dimension,
            notification_url=settings.public_webhook_url,
            moderation=settings.signed_moderation,
        )
        metrics.uploads_signed.inc()
        logger.info("upload signed", extra={"intent_id": upload_id, "user_id": caller.sub, "seq": seq})
        return UploadTicket(
            upload_id=upload_id,
            public_id=public_id,
            upload_url=account.upload_url(settings.browser_upload_prefix),
            fields=fields,
            expires_at=created_at + timedelta(seconds=settings.upload_ttl_seconds),
            status_url=status_url(upload_id),
        )

    @get(
        "/profiles/me/avatar/uploads/{upload_id:str}",
        operation_id="getAvatarUpload",
        responses=problems({404: "no upload with this id, or it is someone else's."}),
    )
    async def status(
        self,
        upload_id: FromPath[str],
        user_id: UserId,
        state: State,
    ) -> UploadStatus:
        """Where one of the caller's uploads stands: pending, awaiting_moderation (uploaded, under review: nobody
        else sees it yet), applied, superseded, rejected or expired.

        `avatar` is set while this upload is the profile's picture; `reason` says why one was rejected (a
        moderator's reason included).
        """
        intent = await _own_intent(provide_intents(state), user_id, upload_id)
        return await _status(intent, services_of(state).profiles)

    @post(
        "/profiles/me/avatar/uploads/{upload_id:str}/confirm",
        operation_id="confirmAvatarUpload",
        status_code=200,
        responses=problems(
            {
                400: "the body does not match the schema, or `signature` is not Cloudinary's for this upload"
                " and `version` (a well-formed signature the server cannot verify is refused here).",
                404: "no upload with this id, or it is someone else's.",
                409: "Cloudinary does not hold this version of the upload.",
                503: "Cloudinary or the database is not answering; retry.",
            }
        ),
    )
    async def confirm(
        self,
        upload_id: FromPath[str],
        data: JSONBody[ConfirmUpload],
        user_id: UserId,
        state: State,
    ) -> UploadStatus:
        """Confirm an upload without waiting for Cloudinary's notification (e.g. a laptop behind NAT).

        Send `version` and `signature` from Cloudinary's upload response; the server checks the signature with
        the API secret and reads the asset from Cloudinary itself before applying it, through the same path as
        the webhook. Applying the same upload twice changes nothing; an older upload never replaces a newer one.
        """
        services, intents = services_of(state), provide_intents(state)
        intent = await _own_intent(intents, user_id, upload_id)
        if not verify_response_signature(services.account, intent.public_id, data.version, data.signature):
            logger.warning("confirm: response signature mismatch", extra={"intent_id": intent.id})
            raise BadRequest("The upload response signature does not match this upload.")
        try:
            asset = await services.assets.resource(intent.public_id)
        except CloudinaryUnavailable as exc:
            raise ServiceUnavailable(
                "Cloudinary is not answering; try again shortly.", headers={"Retry-After": "2"}
            ) from exc
        if asset is None or asset.version != data.version:
            raise Conflict("Cloudinary does not hold this version of the upload.")
        await provide_applier(state).apply(intent, asset, "confirm")
        return await _status(await _own_intent(intents, user_id, upload_id), services.profiles)

    @delete(
        "/profiles/me/avatar",
        operation_id="deleteAvatar",
        responses=problems({404: "the account has been deleted (the token outlived it)."}),
    )
    async def remove(
        self, caller: Caller, profiles: NamedDependency[ProfileRepository], applier: NamedDependency[UploadApplier]
    ) -> None:
        """Remove the profile's picture (204 also when there is none); its asset is destroyed at Cloudinary later.

        Uploads signed before the deletion can no longer bring a picture back.
        """
        await profiles.ensure(caller.sub, caller.username)
        await applier.delete_avatar(caller.sub)


async def _reserve(
    profiles: ProfileRepository,
    metrics: Metrics,
    settings: Settings,
    caller: Claims,
    upload_id: str,
    quota: QuotaState,
    created_ms: int,
    *,
    guessed: bool,
) -> int:
    """The upload's sequence, counted against the user's quotas; 429 (nothing signed, nothing recorded) if spent."""
    user_id = caller.sub
    try:
        return await profiles.reserve_upload(
            user_id,
            upload_id=upload_id,
            expires_ms=created_ms + settings.upload_ttl_seconds * 1000,
            limits=QuotaLimits.from_settings(settings),
            state=quota,
            guessed=guessed,
            username=caller.username,
        )
    except QuotaExceeded as exc:
        refused = exc.refusal
        metrics.sign_refused.labels(refused.reason).inc()
        logger.info(
            "upload refused: %s", refused.reason, extra={"user_id": user_id, "retry_after": refused.retry_after}
        )
        raise TooManyRequests(refused.detail, retry_after=refused.retry_after, reason=refused.reason) from None


async def _status(intent: Intent, profiles: ProfileRepository) -> UploadStatus:
    current = None
    # Only an applied upload can be the profile's picture, so the polls of one still pending read no profile. (The
    # apply writes the profile before it marks the intent: a poll in between answers `pending` without the
    # picture, and the next poll both.)
    if intent.status is IntentStatus.APPLIED:
        profile = await profiles.get(intent.user_id)
        if profile.avatar is not None and profile.avatar.public_id == intent.public_id:
            current = profile.avatar
    return UploadStatus(
        upload_id=intent.id,
        public_id=intent.public_id,
        status=intent.status.value,
        reason=intent.reason,
        expires_at=from_ms(intent.expires_ms),
        avatar=current,
    )
