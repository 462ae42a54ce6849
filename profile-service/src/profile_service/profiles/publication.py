"""Publishing the change-feed markers profile writes store (`feed/repository.py` has the design): into the feed,
then off the document that carries them, a profile or a deleted user's tombstone. `ProfileRepository` makes the
changes and hands their markers here."""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from profile_service.feed.repository import ChangeFeed
from profile_service.feed.schemas import ChangeKind

logger = logging.getLogger(__name__)


@dataclass
class _Publication:
    """A change written with its marker, waiting to be published into the feed."""

    user_id: str
    marker: dict[str, Any]
    kinds: list[ChangeKind] | None
    collection: AsyncCollection[dict[str, Any]]
    done: "asyncio.Future[None]"


class ChangePublisher:
    """Publishes the markers stored on `profiles` and on `deleted_users` (the tombstones) into the change feed;
    without a feed there is nothing to publish and every call is a no-op."""

    def __init__(
        self,
        profiles: AsyncCollection[dict[str, Any]],
        deleted: AsyncCollection[dict[str, Any]],
        feed: ChangeFeed | None,
    ) -> None:
        self._profiles = profiles
        self._deleted = deleted
        self._feed = feed
        # Changes waiting to be published, and who publishes (`publish`).
        self._unpublished: list[_Publication] = []
        self._publishing = asyncio.Lock()

    def marker(self, *kinds: ChangeKind, marker_id: str | None = None) -> dict[str, Any] | None:
        """The marker to store with a change of `kinds` (`ChangeFeed.marker`); None without a feed or a kind."""
        # Stored by the write that makes the change (`pending_fields`): the change and its record commit together.
        return None if self._feed is None or not kinds else self._feed.marker(*kinds, marker_id=marker_id)

    async def publish(
        self,
        user_id: str,
        marker: dict[str, Any] | None,
        kinds: list[ChangeKind] | None = None,
        *,
        tombstone: bool = False,
    ) -> None:
        """Publish `marker` (`kinds`: those of its changes that happened; all by default) and unset it on the
        user's profile, or on their tombstone when `tombstone`; returns once it is in the feed."""
        # Into the feed, then off the document; a crash in between leaves the marker to `publish_stranded`.
        if self._feed is None or marker is None:
            return
        # Group commit: changes that arrive while another request publishes wait for the lock and go out together
        # in the next batch (three round trips for the batch). Each request still returns only once its own change
        # is in the feed, as before; alone, a change costs what it did.
        target = self._deleted if tombstone else self._profiles
        item = _Publication(user_id, marker, kinds, target, asyncio.get_running_loop().create_future())
        self._unpublished.append(item)
        async with self._publishing:
            if not item.done.done():
                batch, self._unpublished = self._unpublished, []
                try:
                    await self._publish_batch(batch)
                except BaseException:
                    # Ours failed with them: the others go back to the queue, and each waiter tries again itself.
                    self._unpublished = [other for other in batch if other is not item] + self._unpublished
                    raise
                for other in batch:
                    other.done.set_result(None)
        item.done.result()

    async def _publish_batch(self, batch: list[_Publication]) -> None:
        assert self._feed is not None  # noqa: S101 -- only called when there is a feed
        if len(batch) == 1:
            (item,) = batch
            await self._feed.publish(item.user_id, item.marker, item.kinds)
            await item.collection.update_one(
                {"_id": item.user_id}, {"$unset": {f"feed_pending.{item.marker['id']}": ""}}
            )
            return
        await self._feed.publish_many([(item.user_id, item.marker, item.kinds) for item in batch])
        # `feed_pending_ms` stays: the sweep clears it once no marker is left (it cannot tell from here).
        by_collection: dict[str, tuple[AsyncCollection[dict[str, Any]], list[UpdateOne]]] = {}
        for item in batch:
            off = UpdateOne({"_id": item.user_id}, {"$unset": {f"feed_pending.{item.marker['id']}": ""}})
            by_collection.setdefault(item.collection.name, (item.collection, []))[1].append(off)
        for collection, updates in by_collection.values():
            await collection.bulk_write(updates, ordered=False)

    async def publish_stranded(self, older_than_ms: int, limit: int = 500) -> int:
        """Publish the changes whose writer died before publishing them (markers older than `older_than_ms` on
        profiles and on deleted users' tombstones); how many markers were handled. Idempotent."""
        if self._feed is None:
            return 0
        handled = 0
        stranded = {"feed_pending_ms": {"$lt": older_than_ms}}
        fields = {"feed_pending": True, "feed_pending_ms": True}
        for collection in (self._profiles, self._deleted):
            async for doc in collection.find(stranded, fields).limit(limit):
                user_id, left = doc["_id"], False
                for marker_id, pending in (doc.get("feed_pending") or {}).items():
                    marker = {"id": marker_id, **pending}
                    if int(marker.get("at_ms") or 0) >= older_than_ms:
                        left = True
                        continue
                    if not await self._feed.published(user_id, marker):
                        await self._feed.publish(user_id, marker)
                        handled += 1
                    await collection.update_one({"_id": user_id}, {"$unset": {f"feed_pending.{marker_id}": ""}})
                if not left:
                    # Pinned: a write storing a new marker since the read set a newer `feed_pending_ms`.
                    await collection.update_one(
                        {"_id": user_id, "feed_pending_ms": doc["feed_pending_ms"]}, {"$unset": {"feed_pending_ms": ""}}
                    )
        if handled:
            logger.warning("change feed: published %d stranded change(s)", handled)
        return handled
