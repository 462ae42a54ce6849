"""Migrating one picture, resumably: state in `profiles.migrations` (`_id` = `{user_id}:{sha256 of the file}`).

For each file: a deterministic upload intent (`_id` = 24 hex of sha256(user_id:content hash), so its public_id
`{prefix}/{user_id}/{_id}` is the same on every run) -> sequence 1 of the profile, only if the profile never
allocated one (any browser upload or deletion is newer and wins) -> upload through the SDK unless Cloudinary
already holds that public_id -> the same `UploadApplier.apply` as webhooks. Killed anywhere, the next run
finds the intent, the claimed sequence and the stored asset again: nothing is uploaded twice.
"""

import enum
import hashlib
import logging
import re
from pathlib import Path
from typing import Any, Protocol

import msgspec
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from profile_service.avatars.apply import UploadApplier
from profile_service.avatars.cloudinary import Asset, AssetStore, CloudinaryRefused, CloudinaryUnavailable
from profile_service.avatars.intents import Intent, IntentRepository, IntentStatus, new_intent
from profile_service.avatars.signing import upload_params
from profile_service.config import Settings
from profile_service.profiles.repository import ProfileRepository
from service_kit.clock import Clock, to_ms
from service_kit.errors import NotFound
from service_kit.mongo import Database

logger = logging.getLogger(__name__)

_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Outcome(enum.StrEnum):
    """How one picture ended (in this run)."""

    MIGRATED = "migrated"
    SKIPPED = "skipped"
    FAILED = "failed"


class Result(msgspec.Struct):
    """One row of the summary."""

    filename: str
    user_id: str
    outcome: Outcome
    reason: str = ""


class Uploader(Protocol):
    """The server-side upload (the SDK in production, a fake in unit tests)."""

    async def upload(self, data: bytes, filename: str, params: dict[str, str]) -> Asset:
        """Upload `data` with `params`; return the stored asset."""
        ...


class MigrationRepository:
    """`profiles.migrations`: one record per (user, file content); final ones are skipped by later runs."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._collection: AsyncCollection[dict[str, Any]] = db["migrations"]
        self._clock = clock

    async def get(self, key: str) -> dict[str, Any] | None:
        """The record, if an earlier run got that far."""
        return await self._collection.find_one({"_id": key})

    async def record(self, key: str, *, final: bool, **values: Any) -> None:
        """Create or update the record (`final`: later runs skip it)."""
        values |= {
            "final": "yes" if final else "no",
            "updated_ms": to_ms(self._clock()),
        }  # strings: $set bools become 1/0
        await self._collection.update_one({"_id": key}, {"$set": values}, upsert=True)


def content_hash(data: bytes) -> str:
    """The file's identity: hex SHA-256 of its bytes."""
    return hashlib.sha256(data).hexdigest()


def intent_id_for(user_id: str, digest: str) -> str:
    """Deterministic, shaped like a browser upload's id (24 hex), so status URLs and sweeps treat it alike."""
    return hashlib.sha256(f"{user_id}:{digest}".encode()).hexdigest()[:24]


class Migrator:
    """Migrates items one at a time; run many concurrently (each item touches its own user)."""

    def __init__(
        self,
        *,
        profiles: ProfileRepository,
        intents: IntentRepository,
        records: MigrationRepository,
        images: Path,
        settings: Settings,
        assets: AssetStore,
        uploader: Uploader,
        applier: UploadApplier,
        dry_run: bool,
    ) -> None:
        self._images = images.resolve()
        self._settings = settings
        self._profiles = profiles
        self._intents = intents
        self._state = records
        self._assets = assets
        self._uploader = uploader
        self._applier = applier
        self._dry_run = dry_run

    async def migrate(self, filename: str, user_id: str, username: str | None) -> Result:
        """Migrate one picture; never raises for a bad item (the reason is in the result)."""

        def result(outcome: Outcome, reason: str = "") -> Result:
            return Result(filename=filename, user_id=user_id, outcome=outcome, reason=reason)

        if not _SAFE_ID.match(user_id):
            return result(Outcome.FAILED, "unsupported user id (letters, digits, _ and - only, at most 64)")
        path = (self._images / filename).resolve()
        if not path.is_relative_to(self._images):
            return result(Outcome.FAILED, "file is outside the images folder")
        try:
            data = path.read_bytes()
        except OSError as exc:
            return result(Outcome.FAILED, f"cannot read file: {exc.strerror or exc}")
        if not data:
            return result(Outcome.FAILED, "file is empty")
        digest = content_hash(data)
        key = f"{user_id}:{digest}"
        earlier = await self._state.get(key)
        if earlier is not None and earlier.get("final") == "yes":
            return result(Outcome.SKIPPED, f"done in an earlier run ({earlier.get('status')})")
        if self._dry_run:
            return result(*await self._dry(user_id))
        try:
            outcome, reason = await self._migrate(data, path.name, user_id, username, digest)
        except CloudinaryUnavailable as exc:
            outcome, reason = Outcome.FAILED, f"Cloudinary unavailable (retried next run): {exc}"
        await self._state.record(
            key,
            final=outcome is not Outcome.FAILED or reason.startswith("rejected"),
            user_id=user_id,
            filename=filename,
            content_hash=digest,
            status=outcome.value,
            reason=reason,
        )
        return result(outcome, reason)

    async def _dry(self, user_id: str) -> tuple[Outcome, str]:
        if await self._profiles.is_deleted(user_id):
            return Outcome.SKIPPED, "account deleted"
        try:
            profile = await self._profiles.get(user_id)
        except NotFound:
            return Outcome.MIGRATED, "would migrate (profile created)"
        if profile.avatar is not None:
            return Outcome.SKIPPED, "profile already has a picture"
        return Outcome.MIGRATED, "would migrate"

    async def _migrate(
        self, data: bytes, name: str, user_id: str, username: str | None, digest: str
    ) -> tuple[Outcome, str]:
        try:
            await self._profiles.ensure(user_id, username)
        except NotFound:
            return Outcome.SKIPPED, "account deleted"
        intent = await self._intent(user_id, digest)
        if intent.status is IntentStatus.APPLIED:
            return Outcome.MIGRATED, ""
        if intent.status in (IntentStatus.SUPERSEDED, IntentStatus.REJECTED):
            return _final(intent)
        if not await self._profiles.claim_first_seq(user_id, intent.id):
            await self._intents.transition(
                intent.id,
                IntentStatus.SUPERSEDED,
                only_from=(IntentStatus.PENDING, IntentStatus.EXPIRED),
                reason="the profile has a newer picture (or a browser upload)",
            )
            return Outcome.SKIPPED, "the profile has a newer picture (or a browser upload)"
        asset = await self._assets.resource(intent.public_id)  # uploaded by a run that was killed?
        if asset is None:
            params = upload_params(
                public_id=intent.public_id,
                intent_id=intent.id,
                sizes=self._settings.avatar_sizes,
                formats=self._settings.avatar_formats,
                max_dimension=self._settings.avatar_max_dimension,
                notification_url=self._settings.public_webhook_url,
            )
            try:
                asset = await self._uploader.upload(data, name, params)
            except CloudinaryRefused as exc:
                await self._intents.transition(
                    intent.id, IntentStatus.REJECTED, only_from=(IntentStatus.PENDING,), reason=str(exc)
                )
                return Outcome.FAILED, f"rejected by Cloudinary: {exc}"
        status = await self._applier.apply(intent, asset, "migration")
        return _final(await self._intents.get(intent.id) or intent, status)

    async def _intent(self, user_id: str, digest: str) -> Intent:
        intent_id = intent_id_for(user_id, digest)
        if (existing := await self._intents.get(intent_id)) is not None:
            return existing
        intent = new_intent(
            intent_id=intent_id,
            user_id=user_id,
            public_id=f"{self._settings.avatar_prefix}/{user_id}/{intent_id}",
            seq=1,
            created_at=self._intents.now(),
            ttl_seconds=self._settings.upload_ttl_seconds,
            retention_days=self._settings.intent_retention_days,
        )
        try:
            await self._intents.create(intent)
        except DuplicateKeyError:  # the same picture listed twice, running concurrently
            if (existing := await self._intents.get(intent_id)) is not None:
                return existing
            raise
        return intent


def _final(intent: Intent, status: IntentStatus | None = None) -> tuple[Outcome, str]:
    status = status or intent.status
    if status is IntentStatus.APPLIED:
        return Outcome.MIGRATED, ""
    if status is IntentStatus.REJECTED:
        return Outcome.FAILED, f"rejected by policy: {intent.reason or 'see the intent'}"
    return Outcome.SKIPPED, intent.reason or "a newer browser upload won"
