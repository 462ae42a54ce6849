"""What a session shows about where it is (a device label, a truncated network) and the account's known devices.

A sign-in from a device the account has not used in the last 90 days mails a "New sign-in" notice with a
single-use "This wasn't me" link (never for the account's first sign-in: there is nothing to compare with).

The label comes from the User-Agent through ua-parser's maintained rules (`ua-parser-builtins`). Only the
browser's and the platform's names decide whether a device is known, never the browser's version: browsers
update every few weeks and each update must not look like a new device.
"""

import contextlib
import hashlib
import ipaddress
from datetime import datetime, timedelta
from typing import Any

import msgspec
import ua_parser
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from auth_service.account.tokens import NOT_ME_PURPOSE, ActionTokenRepository
from auth_service.config import Settings
from auth_service.db import utc_datetimes
from auth_service.mail import Email, enqueue_email, web_link
from auth_service.outbox import OutboxJob
from auth_service.sessions.repository import FamilyRepository
from auth_service.sessions.schemas import Family
from auth_service.users.schemas import User
from service_kit.clock import Clock
from service_kit.mongo import Database
from service_kit.outbox import JobQueue

COLLECTION = "devices"
UNKNOWN_DEVICE = "Unknown device"
# How long a device stays known without a sign-in from it; the TTL index adds a margin and only reclaims space.
KNOWN_FOR = timedelta(days=90)
TTL_MARGIN = timedelta(days=7)
# The "This wasn't me" link works once, for as long as a person may take to read their mail.
NOT_ME_TTL = timedelta(days=7)
NEW_SIGN_IN_SUBJECT = "New sign-in to your account"

# ua-parser's family names, shortened to what a person recognises.
_BROWSERS = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "HeadlessChrome": "Chrome",
    "Chromium": "Chromium",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Samsung Internet": "Samsung Internet",
}
_PLATFORMS = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
# Phones and tablets: the platform already says enough, a version number there is noise.
_MOBILE = {"Android", "iOS", "iPadOS"}


def device_label(user_agent: str, *, with_version: bool = True) -> str:
    """ "Firefox 133 on Ubuntu", "Chrome on Android", "Safari on iPhone"; "Unknown device" when nothing matches.

    `with_version=False` gives the key a device is remembered by (no browser version).
    """
    result = ua_parser.parse(user_agent) if user_agent else None
    agent = result.user_agent if result else None
    system = result.os if result else None
    device = result.device if result else None
    if agent is None and system is None:
        return UNKNOWN_DEVICE
    platform = None
    if device is not None and device.brand == "Apple" and device.family in ("iPhone", "iPad"):
        platform = device.family
    elif system is not None:
        platform = _PLATFORMS.get(system.family, system.family)
    if agent is None:
        return f"Unknown browser on {platform}"
    browser = _BROWSERS.get(agent.family, agent.family)
    mobile = system is not None and system.family in _MOBILE
    if with_version and agent.major and not mobile:
        browser = f"{browser} {agent.major}"
    return f"{browser} on {platform}" if platform else browser


def network_of(address: str) -> str:
    """The address truncated to its /24 (IPv4) or /48 (IPv6) network, "" when it is not an IP address.

    Enough to recognise "my home network" in a list, too coarse to locate a person.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


class Device(msgspec.Struct, kw_only=True):
    """A device label an account signed in from, and when."""

    id: str
    user_id: str
    label: str
    first_seen: datetime
    last_seen: datetime


def device_id(user_id: str, label: str) -> str:
    """One document per account and label; the label is hashed so the id has a fixed, safe shape."""
    return f"{user_id}:{hashlib.sha256(label.encode()).hexdigest()}"


class DeviceRepository:
    """The `devices` collection: an account's known devices."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._collection = collection

    async def get(self, user_id: str, label: str) -> Device | None:
        """The record of this device for the account, however old."""
        doc = await self._collection.find_one({"_id": device_id(user_id, label)})
        if doc is None:
            return None
        doc["id"] = doc.pop("_id")
        return utc_datetimes(msgspec.convert(doc, Device, strict=False))

    async def any_for(self, user_id: str) -> bool:
        """Whether the account has any device on record."""
        return await self._collection.find_one({"user_id": user_id}, {"_id": True}) is not None

    async def seen(self, user_id: str, label: str, now: datetime) -> Device | None:
        """Record a sign-in from this device now; the record as it was before (None if there was none).

        The record is deleted and then upserted (`update_one(upsert=True)` with `$set`), so the upsert always
        inserts: the stand-in stores a datetime written by `$set` into an existing document as a string, which
        its TTL purge would delete at once, while an inserted one stays a real datetime on both servers. Two
        single-document writes: a concurrent sign-in from the same device at worst finds no record.
        """
        previous = await self.get(user_id, label)
        key = device_id(user_id, label)
        first_seen = previous.first_seen if previous else now
        doc = {"user_id": user_id, "label": label, "last_seen": now}
        await self._collection.delete_one({"_id": key})
        # A concurrent sign-in from this very device may have recorded it a moment ago: that record will do.
        with contextlib.suppress(DuplicateKeyError):
            await self._collection.update_one(
                {"_id": key}, {"$set": doc, "$setOnInsert": {"first_seen": first_seen}}, upsert=True
            )
        return previous

    async def forget(self, user_id: str) -> None:
        """Delete every device of an account (account deletion)."""
        await self._collection.delete_many({"user_id": user_id})


def is_known(device: Device | None, now: datetime) -> bool:
    """A device counts as known when the account signed in from it within `KNOWN_FOR` (never trusting the TTL)."""
    return device is not None and device.last_seen >= now - KNOWN_FOR


async def create_indexes(db: Database) -> None:
    """Lookups by `_id` and by `user_id` (forget); TTL on `last_seen` past the 90 days a device stays known."""
    await db[COLLECTION].create_index("user_id")
    await db[COLLECTION].create_index(
        "last_seen", expireAfterSeconds=int((KNOWN_FOR + TTL_MARGIN).total_seconds()), name="last_seen_ttl"
    )


class NewDeviceNotifier:
    """Remembers the devices an account signs in from and mails a notice for a new one."""

    def __init__(
        self,
        *,
        devices: DeviceRepository,
        families: FamilyRepository,
        action_tokens: ActionTokenRepository,
        mail: JobQueue[OutboxJob],
        settings: Settings,
        clock: Clock,
    ) -> None:
        self._devices = devices
        self._families = families
        self._tokens = action_tokens
        self._mail = mail
        self._settings = settings
        self._clock = clock

    async def signed_in_before(self, user_id: str) -> bool:
        """Whether the account has a history to compare a device with (asked before its new session exists)."""
        return await self._devices.any_for(user_id) or await self._families.any_for(user_id)

    async def signed_in(self, user: User, family: Family, user_agent: str, *, before: bool) -> None:
        """Record the session's device; queue the notice when the account knew other devices but not this one."""
        now = self._clock()
        previous = await self._devices.seen(user.id, device_label(user_agent, with_version=False), now)
        if not before or is_known(previous, now):
            return
        token = await self._tokens.issue(NOT_ME_PURPOSE, user.id, now=now, ttl=NOT_ME_TTL, family_id=family.id)
        place = f"from network {family.address}" if family.address else "from an unknown network"
        text = _NEW_SIGN_IN_TEXT.format(
            device=family.device,
            when=f"{now:%d %B %Y, %H:%M} UTC",
            place=place,
            link=web_link(self._settings, "not-me", token=token),
            days=NOT_ME_TTL.days,
        )
        await enqueue_email(self._mail, Email(to=user.email, subject=NEW_SIGN_IN_SUBJECT, text=text))


_NEW_SIGN_IN_TEXT = """Your account was just signed in to from a device it has not used recently.

Device: {device}
When: {when}
Where: {place} (approximate)

If this was you, there is nothing to do.

If it wasn't you, open this link: it signs that device out and sends you a link to choose a new password
(it works once, for {days} days):

{link}
"""
