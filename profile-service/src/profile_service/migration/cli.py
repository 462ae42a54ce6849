"""`profile-service migrate-local-images`: upload avatars kept on disk by an older app and apply them to the
profiles, through the same apply path (and ordering rule) as browser uploads.

    profile-service migrate-local-images --images DIR --csv MAP.csv [--dry-run] [--workers 4]
    profile-service migrate-local-images --images DIR --mongo-collection users --id-field _id \\
        --file-field avatar_path [--username-field username] [--source-uri URI] [--source-database DB]

Reads the service's usual settings (MONGODB_URI, CLOUDINARY_URL, PROFILE_*). Safe to interrupt and run again:
state is kept in the `migrations` collection and nothing is uploaded twice. Exit status: 0 when nothing
failed, 1 when some pictures failed (listed with reasons), 2 for bad arguments or configuration.
"""

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from profile_service.avatars.cloudinary import CloudinaryUploader
from profile_service.config import Settings
from profile_service.migration.runner import MigrationRepository, Migrator, Outcome, Result
from profile_service.migration.sources import Item, SourceError, read_collection, read_csv
from profile_service.services import build, running
from service_kit.settings import SettingsError


def parser() -> argparse.ArgumentParser:
    """The subcommand's arguments."""
    p = argparse.ArgumentParser(
        prog="profile-service migrate-local-images",
        description="Move avatars kept on local disk to Cloudinary and onto the profiles.",
    )
    p.add_argument("--images", type=Path, required=True, help="folder holding the image files")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv", type=Path, help="CSV rows: filename,user_id[,username] (header optional)")
    source.add_argument("--mongo-collection", help="collection of the old app mapping users to files")
    p.add_argument("--id-field", default="_id", help="user id field in that collection (default _id)")
    p.add_argument("--file-field", default="avatar_path", help="file name field (default avatar_path)")
    p.add_argument("--username-field", default=None, help="username field, if any")
    p.add_argument("--source-uri", default=None, help="MongoDB of the old app (default MONGODB_URI)")
    p.add_argument("--source-database", default=None, help="its database (default: the service's)")
    p.add_argument("--dry-run", action="store_true", help="check everything, upload and change nothing")
    p.add_argument("--workers", type=int, default=4, choices=range(1, 33), metavar="1..32", help="parallel uploads")
    return p


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, one line per picture otherwise."""

    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self._total = total
        self._stream = stream
        self._counts: Counter[str] = Counter()
        self._started = time.monotonic()
        self._tty = stream.isatty()

    def update(self, result: Result) -> None:
        """Count one finished picture and redraw."""
        self._counts[result.outcome.value] += 1
        done = sum(self._counts.values())
        width = 30
        filled = width * done // max(1, self._total)
        bar = "#" * filled + "." * (width - filled)
        counts = " ".join(f"{o.value} {self._counts[o.value]}" for o in Outcome)
        line = f"[{bar}] {done}/{self._total} {counts} {time.monotonic() - self._started:.1f}s"
        if self._tty:
            self._stream.write("\r" + line + ("\n" if done == self._total else ""))
        else:
            self._stream.write(f"{line}  {result.outcome.value}: {result.filename} -> {result.user_id}\n")
        self._stream.flush()


def summary(results: list[Result], *, dry_run: bool) -> str:
    """The table printed at the end: counts per outcome, then each skip and failure with its reason."""
    counts = Counter(r.outcome for r in results)
    title = "migration summary (dry run: nothing uploaded or changed)" if dry_run else "migration summary"
    lines = [title, f"{'outcome':<10} {'count':>6}"]
    labels = {Outcome.MIGRATED: "would migrate" if dry_run else "migrated"}
    lines += [f"{labels.get(o, o.value):<10} {counts.get(o, 0):>6}" for o in Outcome]
    lines.append(f"{'total':<10} {len(results):>6}")
    details = [r for r in results if r.outcome is not Outcome.MIGRATED]
    if details:
        lines += ["", f"{'outcome':<8}  {'user_id':<24}  {'file':<30}  reason"]
        lines += [f"{r.outcome.value:<8}  {r.user_id:<24}  {r.filename:<30}  {r.reason}" for r in details]
    return "\n".join(lines)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Read the mapping, migrate every picture with `--workers` in flight, print the summary."""
    if not args.images.is_dir():
        print(f"profile-service: --images {args.images} is not a folder", file=sys.stderr)
        return 2
    source: AsyncMongoClient[dict[str, Any]] | None = None
    try:
        async with running(build(settings), background=False) as services:
            db = services.mongo.db
            if args.csv is not None:
                items = read_csv(args.csv)
            else:
                source = AsyncMongoClient(args.source_uri, tz_aware=True) if args.source_uri else None
                source_db = (source or services.mongo.client)[args.source_database or settings.database]
                items = await read_collection(
                    source_db[args.mongo_collection],
                    id_field=args.id_field,
                    file_field=args.file_field,
                    username_field=args.username_field,
                )
            migrator = Migrator(
                profiles=services.profiles,
                intents=services.intents,
                records=MigrationRepository(db, services.clock),
                images=args.images,
                settings=settings,
                assets=services.assets,
                uploader=CloudinaryUploader(),
                applier=services.applier,
                dry_run=args.dry_run,
            )
            results = await migrate_all(migrator, items, args.workers, Progress(len(items)))
    except SourceError as exc:
        print(f"profile-service: {exc}", file=sys.stderr)
        return 2
    except (PyMongoError, TimeoutError) as exc:
        print(f"profile-service: MongoDB is not answering ({type(exc).__name__}); run again later", file=sys.stderr)
        return 2
    finally:
        if source is not None:
            await source.close()
    print(summary(results, dry_run=args.dry_run))
    return 1 if any(r.outcome is Outcome.FAILED for r in results) else 0


async def migrate_all(migrator: Migrator, items: list[Item], workers: int, progress: Progress) -> list[Result]:
    """Every item, at most `workers` at a time, in the mapping's order in the results."""
    gate = asyncio.Semaphore(workers)

    async def one(item: Item) -> Result:
        async with gate:
            result = await migrator.migrate(item.filename, item.user_id, item.username)
        progress.update(result)
        return result

    return list(await asyncio.gather(*(one(item) for item in items)))


def main(argv: list[str]) -> int:
    """Entry point of the subcommand."""
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"profile-service: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(run(args, settings))
