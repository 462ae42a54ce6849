"""The migration's per-picture logic against the session's MongoDB, with Cloudinary faked in memory."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from profile_service.avatars.cloudinary import Asset, CloudinaryRefused
from profile_service.config import Settings
from profile_service.migration.runner import MigrationRepository, Migrator, Outcome
from profile_service.services import Services, build, running
from tests.fakes import FakeAssets


class FakeUploader:
    """Stores what is uploaded in the fake Cloudinary; counts uploads; refuses files starting with b"bad"."""

    def __init__(self, assets: FakeAssets) -> None:
        self.assets = assets
        self.uploads: list[dict[str, str]] = []

    async def upload(self, data: bytes, filename: str, params: dict[str, str]) -> Asset:
        self.uploads.append(params)
        if data.startswith(b"bad"):
            raise CloudinaryRefused("Invalid image file")
        side = 32 if data.startswith(b"tiny") else 512
        asset = Asset(
            public_id=params["public_id"],
            version=1700000000 + len(self.uploads),
            secure_url=f"https://res.example/image/upload/v1/{params['public_id']}.png",
            format="png",
            bytes=len(data),
            width=side,
            height=side,
        )
        self.assets.assets[asset.public_id] = asset
        return asset


@pytest.fixture
async def services(settings: Settings, assets: FakeAssets) -> AsyncIterator[Services]:
    """The service's objects as the migration CLI builds them, with Cloudinary in memory."""
    async with running(build(settings, assets=assets), background=False) as built:
        yield built


@pytest.fixture
def db(services: Services) -> AsyncDatabase[dict[str, Any]]:
    return services.mongo.db


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "avatars"
    folder.mkdir()
    for name, data in {"a.png": b"image-a", "b.png": b"image-b", "bad.png": b"bad-bytes", "tiny.png": b"tiny"}.items():
        (folder / name).write_bytes(data)
    (tmp_path / "secret.txt").write_bytes(b"outside")
    return folder


@pytest.fixture
def assets() -> FakeAssets:
    return FakeAssets()


@pytest.fixture
def uploader(assets: FakeAssets) -> FakeUploader:
    return FakeUploader(assets)


def migrator(services: Services, images: Path, uploader: FakeUploader, *, dry_run: bool = False) -> Migrator:
    return Migrator(
        profiles=services.profiles,
        intents=services.intents,
        records=MigrationRepository(services.mongo.db, services.clock),
        images=images,
        settings=services.settings,
        assets=services.assets,
        uploader=uploader,
        applier=services.applier,
        dry_run=dry_run,
    )


async def test_a_picture_is_uploaded_with_the_browser_policy_and_applied_once_across_runs(
    services: Services, db: AsyncDatabase[dict[str, Any]], images: Path, uploader: FakeUploader
) -> None:
    first = await migrator(services, images, uploader).migrate("a.png", "u1", "alice")
    second = await migrator(services, images, uploader).migrate("a.png", "u1", "alice")

    assert (first.outcome, second.outcome) == (Outcome.MIGRATED, Outcome.SKIPPED)
    assert len(uploader.uploads) == 1
    params = uploader.uploads[0]
    assert (
        params["eager"]
        == "c_fill,g_face,h_64,w_64|c_fill,g_face,h_128,w_128|c_fill,g_face,h_256,w_256|c_fill,g_face,h_512,w_512"
    )
    assert params["allowed_formats"] == "jpg,png,webp,heic"
    assert params["transformation"] == "c_limit,h_2048,w_2048/fl_force_strip"
    assert params["overwrite"] == "false"
    profile = await services.profiles.get("u1")
    assert profile.username == "alice"
    assert profile.avatar is not None and profile.avatar.public_id == params["public_id"]
    assert set(profile.avatar.variants) == {"64", "128", "256", "512"}


async def test_a_run_killed_after_the_upload_does_not_upload_again(
    services: Services, db: AsyncDatabase[dict[str, Any]], images: Path, uploader: FakeUploader
) -> None:
    await migrator(services, images, uploader).migrate("a.png", "u1", None)
    # As if killed after the upload, before the apply and the record: forget both.
    await db["migrations"].delete_many({})
    await db["profiles"].update_one({"_id": "u1"}, {"$set": {"avatar": None, "applied_seq": 0}})
    await db["upload_intents"].update_many({}, {"$set": {"status": "pending"}})

    again = await migrator(services, images, uploader).migrate("a.png", "u1", None)

    assert again.outcome is Outcome.MIGRATED
    assert len(uploader.uploads) == 1
    assert (await services.profiles.get("u1")).avatar is not None


async def test_a_browser_upload_is_never_overwritten(
    services: Services, db: AsyncDatabase[dict[str, Any]], images: Path, uploader: FakeUploader
) -> None:
    profiles = services.profiles
    await profiles.ensure("u1", "alice")
    await profiles.next_seq("u1")  # the user signed a browser upload (whether or not it has landed yet)

    result = await migrator(services, images, uploader).migrate("a.png", "u1", "alice")

    assert result.outcome is Outcome.SKIPPED
    assert "newer" in result.reason
    assert uploader.uploads == []
    assert (await profiles.get("u1")).avatar is None


async def test_a_browser_upload_signed_during_the_migration_wins(
    services: Services, db: AsyncDatabase[dict[str, Any]], images: Path, uploader: FakeUploader
) -> None:
    await migrator(services, images, uploader).migrate("a.png", "u1", None)
    browser_seq = await services.profiles.next_seq("u1")

    assert browser_seq == 2  # any later browser upload outranks the migrated picture (sequence 1)


async def test_bad_items_fail_with_reasons_and_change_nothing(
    services: Services, db: AsyncDatabase[dict[str, Any]], images: Path, uploader: FakeUploader
) -> None:
    m = migrator(services, images, uploader)

    results = [
        await m.migrate("missing.png", "u1", None),
        await m.migrate("../secret.txt", "u1", None),
        await m.migrate("a.png", "bad/id", None),
        await m.migrate("bad.png", "u2", None),
        await m.migrate("tiny.png", "u3", None),
    ]

    assert [r.outcome for r in results] == [Outcome.FAILED] * 5
    assert "cannot read" in results[0].reason
    assert "outside" in results[1].reason
    assert "user id" in results[2].reason
    assert "rejected by Cloudinary" in results[3].reason
    assert "rejected by policy" in results[4].reason and "smaller" in results[4].reason
    assert await db["outbox"].find_one({"public_id": uploader.uploads[-1]["public_id"]}) is not None
    again = await m.migrate("tiny.png", "u3", None)
    assert again.outcome is Outcome.SKIPPED and len(uploader.uploads) == 2  # a rejected picture is not re-uploaded


async def test_a_dry_run_uploads_and_writes_nothing(
    services: Services, db: AsyncDatabase[dict[str, Any]], images: Path, uploader: FakeUploader
) -> None:
    result = await migrator(services, images, uploader, dry_run=True).migrate("a.png", "u1", None)

    assert result.outcome is Outcome.MIGRATED and "would" in result.reason
    assert uploader.uploads == []
    assert await db["profiles"].count_documents({}) == 0
    assert await db["migrations"].count_documents({}) == 0


async def test_a_deleted_account_is_not_migrated(
    services: Services, db: AsyncDatabase[dict[str, Any]], images: Path, uploader: FakeUploader
) -> None:
    await services.profiles.mark_deleted("u1")

    result = await migrator(services, images, uploader).migrate("a.png", "u1", None)

    assert (result.outcome, result.reason) == (Outcome.SKIPPED, "account deleted")
    assert uploader.uploads == []
