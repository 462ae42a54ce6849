"""`POST /webhooks/cloudinary`: Cloudinary's signed notifications (upload, eager, moderation) for our uploads.

Verified over the raw body bytes before anything is parsed; 401 and no change when the signature or the
timestamp is off. 2xx only once the outcome is persisted: a database or Cloudinary outage is a 503, so
Cloudinary delivers again, and a repeated delivery changes nothing (the apply path is idempotent).
"""

import logging
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State

from profile_service.avatars.apply import UploadApplier
from profile_service.avatars.cloudinary import Asset, AssetStore, CloudinaryAccount, CloudinaryUnavailable
from profile_service.avatars.intents import APPLICABLE, Intent, IntentRepository
from profile_service.avatars.moderation import ModerationDecider, Outcome
from profile_service.avatars.schemas import Notification, WebhookAck
from profile_service.avatars.signing import InvalidNotification, verify_notification
from profile_service.config import Settings
from profile_service.metrics import Metrics
from profile_service.services import provide_applier, provide_intents, provide_moderation, services_of
from service_kit.errors import BadRequest, Conflict, ServiceUnavailable, Unauthorized
from service_kit.openapi import problems

logger = logging.getLogger(__name__)

HANDLED_TYPES = ("upload", "eager", "moderation")


def asset_from(note: Notification) -> Asset | None:
    """The asset described by an upload notification, when it carries every field the policy needs."""
    values = (note.public_id, note.version, note.secure_url, note.format, note.bytes, note.width, note.height)
    if any(value is None for value in values):
        return None
    return msgspec.convert(msgspec.structs.asdict(note), Asset, strict=False)


def verified_notification(
    raw: bytes, headers: Mapping[str, str], account: CloudinaryAccount, settings: Settings, metrics: Metrics
) -> Notification:
    """The notification in `raw`, once its signature and timestamp check out; Unauthorized or BadRequest otherwise."""
    try:
        verify_notification(
            account,
            raw,
            headers.get("x-cld-timestamp"),
            headers.get("x-cld-signature"),
            window_seconds=settings.webhook_window_seconds,
            future_skew_seconds=settings.webhook_future_skew_seconds,
        )
    except InvalidNotification as exc:
        metrics.webhook_signature_failures.labels(str(exc).split(" ")[0]).inc()
        logger.warning("webhook rejected: %s", exc)
        raise Unauthorized(f"Notification rejected: {exc}.") from None
    try:
        return msgspec.convert(msgspec.json.decode(raw), Notification, strict=False)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadRequest(f"The notification is not a JSON object Cloudinary sends: {exc}") from None


def _unavailable(exc: CloudinaryUnavailable) -> ServiceUnavailable:
    return ServiceUnavailable("Cloudinary is not answering.", headers={"Retry-After": "5"})


async def process_moderation(
    note: Notification, intent: Intent, intents: IntentRepository, moderation: ModerationDecider, metrics: Metrics
) -> WebhookAck:
    """A `moderation` notification: Cloudinary's decision (a reviewer in its console, an admin route's update, an
    AI add-on), carried out through the same decision path as the admin routes."""
    log = {"intent_id": intent.id, "notification_type": note.notification_type, "kind": note.moderation_kind}
    outcome: Outcome
    if note.moderation_status == "approved":
        outcome = "approved"
    elif note.moderation_status == "rejected":
        outcome = "rejected"
    else:  # pending/queued: nothing decided yet
        metrics.webhooks.labels("moderation_undecided").inc()
        return WebhookAck(status="noted", intent_status=intent.status.value)
    reason = (note.moderation_kind or intent.moderation or "manual") if outcome == "rejected" else None
    try:
        status = await moderation.decide(intent, outcome, reason=reason, by="cloudinary", source="webhook")
    except Conflict as exc:
        # Decided the other way already (or not moderated): the first decision stands; nothing to retry.
        logger.warning("moderation notification ignored: %s", exc.detail, extra=log)
        metrics.webhooks.labels("moderation_conflict").inc()
        current = await intents.get(intent.id)
        return WebhookAck(status="ignored", intent_status=(current or intent).status.value)
    except CloudinaryUnavailable as exc:
        raise _unavailable(exc) from exc
    metrics.webhooks.labels(f"moderation_{status.value}").inc()
    logger.info("moderation notification processed: %s -> %s", outcome, status.value, extra=log)
    return WebhookAck(status="processed", intent_status=status.value)


async def process_notification(
    note: Notification,
    intents: IntentRepository,
    applier: UploadApplier,
    assets: AssetStore,
    metrics: Metrics,
    moderation: ModerationDecider,
) -> WebhookAck:
    """Apply the upload a verified notification reports through the same path as the confirm fallback."""
    if note.notification_type not in HANDLED_TYPES or not note.public_id:
        metrics.webhooks.labels("ignored_type").inc()
        return WebhookAck(status="ignored")
    intent = await intents.by_public_id(note.public_id)
    if intent is None:
        metrics.webhooks.labels("unknown_public_id").inc()
        logger.info("notification for a public_id we never signed", extra={"public_id": note.public_id})
        return WebhookAck(status="ignored")
    if note.notification_type == "moderation":
        return await process_moderation(note, intent, intents, moderation, metrics)
    log = {"intent_id": intent.id, "notification_type": note.notification_type}
    asset = asset_from(note) if note.notification_type == "upload" else None
    if asset is None:
        if note.notification_type == "eager" and intent.status not in APPLICABLE:
            metrics.webhooks.labels("eager_noted").inc()
            return WebhookAck(status="noted", intent_status=intent.status.value)
        # Eager notifications carry no version (and an upload one may be partial): ask the Admin API.
        try:
            asset = await assets.resource(intent.public_id)
        except CloudinaryUnavailable as exc:
            raise _unavailable(exc) from exc
        if asset is None:
            logger.warning("notification for an asset Cloudinary does not hold", extra=log)
            metrics.webhooks.labels("asset_missing").inc()
            return WebhookAck(status="ignored", intent_status=intent.status.value)
    status = await applier.apply(intent, asset, "webhook")
    metrics.webhooks.labels(status.value).inc()
    logger.info("notification processed: %s", status.value, extra=log)
    return WebhookAck(status="processed", intent_status=status.value)


class CloudinaryWebhookController(Controller):
    """Cloudinary's notifications; authenticated by signature, not by token.

    The handler declares no dependency and takes the services from `state` through their providers: Litestar
    resolves a handler's independent dependencies concurrently in an anyio task group, a cost per notification
    (bench/README.md, "The seeds' way").
    """

    tags = ["webhooks"]

    @post(
        "/webhooks/cloudinary",
        operation_id="cloudinaryWebhook",
        status_code=200,
        request_max_body_size=1_048_576,
        responses=problems(
            {
                400: "signed, but not a JSON object of the shape Cloudinary sends.",
                401: "`X-Cld-Signature` does not sign the body and `X-Cld-Timestamp`, or the timestamp is stale.",
                413: "the body is larger than 1 MiB.",
                503: "the database or Cloudinary is not answering; Cloudinary delivers again.",
            }
        ),
    )
    async def receive(
        self,
        request: Request[Any, Any, Any],
        state: State,
    ) -> WebhookAck:
        """Cloudinary's signed upload, eager and moderation notifications (the `notification_url` of every signed
        upload).

        Authenticated by `X-Cld-Signature` over the raw body and `X-Cld-Timestamp`, not by a token. Answers 2xx only
        once the outcome is stored; notifications for unknown uploads are acknowledged and ignored.
        """
        services = services_of(state)
        # The readiness gates first (503 until the indexes exist), as when these were dependencies.
        intents, applier, moderation = provide_intents(state), provide_applier(state), provide_moderation(state)
        note = verified_notification(
            await request.body(), request.headers, services.account, services.settings, services.metrics
        )
        return await process_notification(note, intents, applier, services.assets, services.metrics, moderation)
