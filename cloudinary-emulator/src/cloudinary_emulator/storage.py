"""Assets on disk: files under the data directory, metadata in SQLite.

One connection guarded by a lock (SQLite serialises writers anyway, and the emulator's writes are tiny), WAL
journaling so a crash never leaves a half-written database, and files written to a temporary name and renamed
into place before the row that points at them is committed: a restart finds either the old asset or the new one.
"""

import base64
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import msgspec

from cloudinary_emulator.moderation import ModerationEntry


class Asset(msgspec.Struct, kw_only=True):
    """One stored original and what the Upload and Admin APIs report about it."""

    asset_id: str
    public_id: str
    type: str = "upload"
    version: int
    version_id: str
    format: str
    width: int
    height: int
    bytes: int
    etag: str
    created_at: str
    tags: list[str] = []
    context: dict[str, str] = {}
    asset_folder: str = ""
    display_name: str = ""
    original_filename: str = ""
    file: str  # relative to the data directory
    moderation: list[ModerationEntry] = []
    # The upload's notification_url: where a later moderation decision is notified.
    notification_url: str = ""
    # The upload's custom_coordinates and face_coordinates (x, y, w, h boxes): they override face detection.
    custom_coordinates: list[list[int]] = []
    face_coordinates: list[list[int]] = []


class Derived(msgspec.Struct, kw_only=True):
    """One derivative of an asset version, keyed by canonical transformation and format."""

    id: str
    transformation: str
    format: str
    width: int
    height: int
    bytes: int
    etag: str
    file: str


class Page(msgspec.Struct):
    """One page of a listing."""

    assets: list[Asset]
    next_cursor: str | None


class NotModeratedError(ValueError):
    """A moderation decision for an asset that is not in that moderation queue."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS assets (
    type TEXT NOT NULL, public_id TEXT NOT NULL, asset_id TEXT NOT NULL, doc BLOB NOT NULL,
    PRIMARY KEY (type, public_id));
CREATE UNIQUE INDEX IF NOT EXISTS assets_by_id ON assets (asset_id);
CREATE TABLE IF NOT EXISTS derived (
    asset_id TEXT NOT NULL, version_id TEXT NOT NULL, key TEXT NOT NULL, doc BLOB NOT NULL,
    PRIMARY KEY (asset_id, version_id, key));
CREATE TABLE IF NOT EXISTS moderations (
    type TEXT NOT NULL, public_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
    PRIMARY KEY (type, public_id, kind));
CREATE INDEX IF NOT EXISTS moderations_by_status ON moderations (kind, status, public_id);
"""


class Storage:
    """Thread-safe store; every method is blocking and short, callers in async code use a worker thread."""

    def __init__(self, data_dir: str) -> None:
        self.root = Path(data_dir)
        (self.root / "files").mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.root / "emulator.sqlite3", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def write_file(self, relative: str, data: bytes) -> None:
        """Write `data` atomically (temporary file + rename)."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def read_file(self, relative: str) -> bytes:
        """The bytes of a stored file."""
        return (self.root / relative).read_bytes()

    def get(self, public_id: str, type_: str = "upload") -> Asset | None:
        """The asset, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT doc FROM assets WHERE type = ? AND public_id = ?", (type_, public_id)
            ).fetchone()
        return None if row is None else msgspec.json.decode(row[0], type=Asset)

    def get_by_asset_id(self, asset_id: str) -> Asset | None:
        """The asset with this immutable id, or None."""
        with self._lock:
            row = self._db.execute("SELECT doc FROM assets WHERE asset_id = ?", (asset_id,)).fetchone()
        return None if row is None else msgspec.json.decode(row[0], type=Asset)

    def put(self, asset: Asset, *, overwrite: bool) -> tuple[Asset, bool]:
        """Store `asset`; returns (stored asset, existing).

        With overwrite=False and an asset already there, nothing changes and the existing asset comes back with
        existing=True. On overwrite the asset keeps its asset_id and the previous version's files and
        derivatives are removed. The check and the write happen under one lock, so two concurrent uploads of
        the same public_id never both believe they created it.
        """
        with self._lock:
            row = self._db.execute(
                "SELECT doc FROM assets WHERE type = ? AND public_id = ?", (asset.type, asset.public_id)
            ).fetchone()
            previous = None if row is None else msgspec.json.decode(row[0], type=Asset)
            if previous is not None and not overwrite:
                return previous, True
            if previous is not None:
                asset.asset_id = previous.asset_id
                asset.version = max(asset.version, previous.version + 1)  # a new version must bust caches
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO assets (type, public_id, asset_id, doc) VALUES (?, ?, ?, ?)",
                    (asset.type, asset.public_id, asset.asset_id, msgspec.json.encode(asset)),
                )
                self._db.execute("DELETE FROM derived WHERE asset_id = ?", (asset.asset_id,))
                self._write_moderations(asset)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        if previous is not None and previous.file != asset.file:
            self._remove_version_files(previous)
        return asset, False

    def delete(self, public_id: str, type_: str = "upload") -> Asset | None:
        """Remove the asset, its derivatives and their files; returns what was removed, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT doc FROM assets WHERE type = ? AND public_id = ?", (type_, public_id)
            ).fetchone()
            if row is None:
                return None
            asset = msgspec.json.decode(row[0], type=Asset)
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM assets WHERE type = ? AND public_id = ?", (type_, public_id))
            self._db.execute("DELETE FROM derived WHERE asset_id = ?", (asset.asset_id,))
            self._db.execute("DELETE FROM moderations WHERE type = ? AND public_id = ?", (type_, public_id))
            self._db.execute("COMMIT")
        (self.root / asset.file).unlink(missing_ok=True)
        shutil.rmtree(self.root / "files" / asset.asset_id, ignore_errors=True)
        return asset

    def list_assets(self, type_: str | None, prefix: str, limit: int, cursor: str | None) -> Page:
        """Assets whose public_id starts with `prefix`, in public_id order, `limit` at a time."""
        after = _decode_cursor(cursor) if cursor else ""
        query = "SELECT doc, public_id FROM assets WHERE public_id >= ? AND public_id > ?"
        args: list[object] = [prefix, after]
        if type_ is not None:
            query += " AND type = ?"
            args.append(type_)
        query += " ORDER BY public_id LIMIT ?"
        args.append(limit + 1)
        with self._lock:
            rows = [
                (doc, public_id)
                for doc, public_id in self._db.execute(query, args).fetchall()
                if public_id.startswith(prefix)
            ]
        assets = [msgspec.json.decode(doc, type=Asset) for doc, _ in rows[:limit]]
        next_cursor = _encode_cursor(assets[-1].public_id) if len(rows) > limit and assets else None
        return Page(assets, next_cursor)

    def update_many(self, type_: str, public_ids: list[str], change: Callable[[Asset], None]) -> list[str]:
        """Apply `change` to each named asset that exists, in one transaction; the public_ids changed, in order.

        The read, the change and the write happen under one lock, so concurrent tag or context calls on the same
        asset never lose each other's edits.
        """
        changed: list[str] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for public_id in dict.fromkeys(public_ids):
                    row = self._db.execute(
                        "SELECT doc FROM assets WHERE type = ? AND public_id = ?", (type_, public_id)
                    ).fetchone()
                    if row is None:
                        continue
                    asset = msgspec.json.decode(row[0], type=Asset)
                    change(asset)
                    self._db.execute(
                        "UPDATE assets SET doc = ? WHERE type = ? AND public_id = ?",
                        (msgspec.json.encode(asset), type_, public_id),
                    )
                    changed.append(public_id)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return changed

    def remove_tag_everywhere(self, type_: str, tag: str, keep: set[str]) -> None:
        """Remove `tag` from every asset of `type_` whose public_id is not in `keep` (`set_exclusive`)."""
        with self._lock:
            rows = self._db.execute("SELECT doc FROM assets WHERE type = ?", (type_,)).fetchall()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for (doc,) in rows:
                    asset = msgspec.json.decode(doc, type=Asset)
                    if asset.public_id in keep or tag not in asset.tags:
                        continue
                    asset.tags = [item for item in asset.tags if item != tag]
                    self._db.execute(
                        "UPDATE assets SET doc = ? WHERE type = ? AND public_id = ?",
                        (msgspec.json.encode(asset), type_, asset.public_id),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def list_matching(self, type_: str | None, match: Callable[[Asset], bool], limit: int, cursor: str | None) -> Page:
        """Assets for which `match` holds, in public_id order, `limit` at a time (tag and context listings).

        A scan: the emulator holds a developer's few hundred assets, not a product environment's millions.
        """
        after = _decode_cursor(cursor) if cursor else ""
        query = "SELECT doc FROM assets WHERE public_id > ?"
        args: list[object] = [after]
        if type_ is not None:
            query += " AND type = ?"
            args.append(type_)
        query += " ORDER BY public_id"
        with self._lock:
            rows = self._db.execute(query, args).fetchall()
        found: list[Asset] = []
        for (doc,) in rows:
            asset = msgspec.json.decode(doc, type=Asset)
            if match(asset):
                found.append(asset)
                if len(found) > limit:
                    break
        assets = found[:limit]
        next_cursor = _encode_cursor(assets[-1].public_id) if len(found) > limit and assets else None
        return Page(assets, next_cursor)

    def list_by_moderation(self, kind: str, status: str, limit: int, cursor: str | None) -> Page:
        """Assets whose `kind` moderation has `status`, in public_id order, `limit` at a time."""
        after = _decode_cursor(cursor) if cursor else ""
        with self._lock:
            rows = self._db.execute(
                "SELECT a.doc FROM moderations m JOIN assets a ON a.type = m.type AND a.public_id = m.public_id "
                "WHERE m.kind = ? AND m.status = ? AND m.public_id > ? ORDER BY m.public_id LIMIT ?",
                (kind, status, after, limit + 1),
            ).fetchall()
        assets = [msgspec.json.decode(row[0], type=Asset) for row in rows[:limit]]
        next_cursor = _encode_cursor(assets[-1].public_id) if len(rows) > limit and assets else None
        return Page(assets, next_cursor)

    def set_moderation(self, public_id: str, type_: str, kind: str, status: str, updated_at: str) -> Asset | None:
        """Record a decision on the asset's `kind` moderation; the updated asset, or None if there is none.

        Raises NotModeratedError when the asset has no `kind` moderation. The asset's version is unchanged: a
        decision is metadata, not a new file (URLs stay the same).
        """
        with self._lock:
            row = self._db.execute(
                "SELECT doc FROM assets WHERE type = ? AND public_id = ?", (type_, public_id)
            ).fetchone()
            if row is None:
                return None
            asset = msgspec.json.decode(row[0], type=Asset)
            entries = [entry for entry in asset.moderation if entry.kind == kind]
            if not entries:
                raise NotModeratedError(public_id)
            for entry in entries:
                entry.status = status
                entry.updated_at = updated_at
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "UPDATE assets SET doc = ? WHERE type = ? AND public_id = ?",
                    (msgspec.json.encode(asset), type_, public_id),
                )
                self._write_moderations(asset)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return asset

    def get_derived(self, asset: Asset, key: str) -> Derived | None:
        """A derivative of the asset's current version, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT doc FROM derived WHERE asset_id = ? AND version_id = ? AND key = ?",
                (asset.asset_id, asset.version_id, key),
            ).fetchone()
        return None if row is None else msgspec.json.decode(row[0], type=Derived)

    def put_derived(self, asset: Asset, key: str, derived: Derived) -> bool:
        """Record a derivative; False (and the file removed) if the asset changed meanwhile."""
        with self._lock:
            current = self._db.execute("SELECT doc FROM assets WHERE asset_id = ?", (asset.asset_id,)).fetchone()
            if current is None or msgspec.json.decode(current[0], type=Asset).version_id != asset.version_id:
                stale = True
            else:
                stale = False
                self._db.execute(
                    "INSERT OR REPLACE INTO derived (asset_id, version_id, key, doc) VALUES (?, ?, ?, ?)",
                    (asset.asset_id, asset.version_id, key, msgspec.json.encode(derived)),
                )
        if stale:
            (self.root / derived.file).unlink(missing_ok=True)
        return not stale

    def list_derived(self, asset: Asset) -> list[Derived]:
        """Every derivative of the asset's current version."""
        with self._lock:
            rows = self._db.execute(
                "SELECT doc FROM derived WHERE asset_id = ? AND version_id = ? ORDER BY key",
                (asset.asset_id, asset.version_id),
            ).fetchall()
        return [msgspec.json.decode(row[0], type=Derived) for row in rows]

    def _write_moderations(self, asset: Asset) -> None:
        # The index the moderation queues are listed from; written in the caller's transaction, under its lock.
        self._db.execute("DELETE FROM moderations WHERE type = ? AND public_id = ?", (asset.type, asset.public_id))
        self._db.executemany(
            "INSERT OR REPLACE INTO moderations (type, public_id, kind, status) VALUES (?, ?, ?, ?)",
            [(asset.type, asset.public_id, entry.kind, entry.status) for entry in asset.moderation],
        )

    def _remove_version_files(self, asset: Asset) -> None:
        (self.root / asset.file).unlink(missing_ok=True)
        shutil.rmtree(self.root / "files" / asset.asset_id / asset.version_id, ignore_errors=True)


def _encode_cursor(public_id: str) -> str:
    return base64.urlsafe_b64encode(public_id.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return ""
