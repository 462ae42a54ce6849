"""Benchmark: profile-service's service-to-service reads, as another service (a comments page) uses them.

- `POST /internal/profiles/lookup` with 100 user ids (a service token with `profiles:read`), beside the same 100
  profiles resolved one `GET /profiles/{username}` at a time (wrk rotating over the 100 usernames), and the bare
  `GET /health`, all in the same run: requests/s and p50/p99 of each, and ids resolved per second by the batch ÷
  by the single reads. And what one page render waits for with nothing else running: one lookup, or the 100
  GETs one after another (p50 of 20 each).
- The change feed's delay: for uploads made one at a time through the real emulator (so the webhook is Cloudinary's
  notification path), from the picture's apply (`updated_at` in the upload's status, profile-service's clock) to
  the sample consumer (`e2e/consumer.py`, long-polling `GET /internal/profiles/changes`) holding it in its cache
  (its `avatar_seen_at`), p50/p99. The baseline, in the same uploads: the owner's `GET /profiles/me` polled every
  ~5 ms from another thread, also measured from the apply.

100 users registered through auth-service, each with a picture applied by a signed notification (as the
profile_service benchmark's webhook phase does), so every looked-up profile carries an avatar.

Run: `uv run python -m bench.internal_profiles` (results also in bench/results/internal_profiles.json).
"""

import hashlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.measure import Row, bench_stack, percentile, save, versus, wrk
from bench.profile_service import notification
from e2e.pipeline import User, image_bytes, register, sign, upload, wait_for, wait_for_status
from e2e.stack import Stack

USERS = 100
FEED_UPLOADS = 30
RENDERS = 20
POLL_SECONDS = 0.005


def with_pictures(stack: Stack, users: list[User]) -> None:
    """Give every user a picture: sign, then the signed upload notification Cloudinary would send."""
    with httpx.Client(timeout=30) as http:
        for index, user in enumerate(users):
            ticket = http.post(stack.url("profile", "/profiles/me/avatar/uploads"), headers=user.headers)
            ticket.raise_for_status()
            body = json.dumps(notification(ticket.json(), index)).encode()
            timestamp = str(int(time.time()))
            signature = hashlib.sha1(body + timestamp.encode() + stack.api_secret.encode()).hexdigest()  # noqa: S324
            applied = http.post(
                stack.url("profile", "/webhooks/cloudinary"),
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Cld-Timestamp": timestamp,
                    "X-Cld-Signature": signature,
                },
            )
            applied.raise_for_status()


def lookup_rows(stack: Stack, users: list[User], work: Path) -> tuple[list[Row], dict[str, Any]]:
    """The batch lookup, the one-at-a-time reads of the same profiles, and the bare endpoint, by wrk."""
    token = stack.service_token()
    body = work / "lookup.json"
    body.write_text(json.dumps({"user_ids": [u.id for u in users]}))
    one = httpx.post(
        stack.url("profile", "/internal/profiles/lookup"),
        content=body.read_bytes(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )
    one.raise_for_status()
    answer = one.json()
    if len(answer["profiles"]) != USERS or any(p["avatar"] is None for p in answer["profiles"].values()):
        raise RuntimeError(f"the lookup did not resolve every user with a picture: {one.text[:500]}")
    render = page_render(stack, users, token)
    paths = work / "paths"
    paths.write_text("".join(f"/profiles/{u.username}\n" for u in users))
    base = stack.url("profile")
    wrk(base + "/health", seconds=1)  # warm-up
    raw: dict[str, Any] = {"health": wrk(base + "/health"), "lookup_bytes": len(one.content), "page_render": render}
    raw["lookup"] = wrk(
        base + "/internal/profiles/lookup", script="post_json", env={"BENCH_BODY": str(body), "BENCH_TOKEN": token}
    )
    raw["one_at_a_time"] = wrk(base + "/profiles/", script="paths", env={"BENCH_PATHS": str(paths)})
    raw["health_after"] = wrk(base + "/health")
    bare = raw["health"]
    batch_ids = raw["lookup"].per_second * USERS
    single_ids = raw["one_at_a_time"].per_second
    rows = [
        versus("profile POST /internal/profiles/lookup (100 ids)", raw["lookup"], bare, "profile /health"),
        versus("profile GET /profiles/{username}, the 100 in turn", raw["one_at_a_time"], bare, "profile /health"),
        Row(
            name="resolve 100 for one page: 100 GETs / 1 lookup",
            value=round(raw["page_render"]["singles_p50_ms"] / raw["page_render"]["lookup_p50_ms"], 2),
            unit="x time",
            p50_ms=raw["page_render"]["lookup_p50_ms"],
            p99_ms=raw["page_render"]["lookup_p99_ms"],
            baseline=f"100 GETs in turn p50 {raw['page_render']['singles_p50_ms']:.1f} ms, {RENDERS} times each",
        ),
        Row(
            name="profiles resolved/s: lookup of 100 / one at a time",
            value=round(batch_ids / single_ids, 2),
            unit="x single",
            per_second=round(batch_ids, 1),
            baseline=f"one GET /profiles/{{username}} each {single_ids:.0f}/s",
        ),
    ]
    return rows, raw


def page_render(stack: Stack, users: list[User], token: str) -> dict[str, float]:
    """What one page render waits for, nothing else running: resolving the 100 through one lookup, or one
    `GET /profiles/{username}` after another on one keep-alive connection (RENDERS times each, ms)."""
    lookups: list[float] = []
    singles: list[float] = []
    body = {"user_ids": [u.id for u in users]}
    with httpx.Client(timeout=30) as http:
        for _ in range(RENDERS):
            started = time.perf_counter()
            response = http.post(
                stack.url("profile", "/internal/profiles/lookup"),
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
            response.raise_for_status()
            lookups.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            for user in users:
                http.get(stack.url("profile", f"/profiles/{user.username}")).raise_for_status()
            singles.append((time.perf_counter() - started) * 1000)
    return {
        "lookup_p50_ms": round(percentile(lookups, 50), 2),
        "lookup_p99_ms": round(percentile(lookups, 99), 2),
        "singles_p50_ms": round(percentile(singles, 50), 2),
        "singles_p99_ms": round(percentile(singles, 99), 2),
    }


def feed_delay(stack: Stack, users: list[User]) -> tuple[Row, dict[str, list[float]]]:
    """Apply -> the consumer holds the picture, and apply -> `GET /profiles/me` shows it, one upload at a time."""
    stack.start_consumer([u.id for u in users], stack.work_dir / "consumer")
    consumer_ms: list[float] = []
    direct_ms: list[float] = []
    with httpx.Client(timeout=30) as http:
        for index in range(FEED_UPLOADS):
            user = users[index % len(users)]
            ticket = sign(stack, user)
            shown: dict[str, float] = {}
            poller = threading.Thread(target=poll_me, args=(stack, user, ticket["public_id"], shown))
            poller.start()
            assert upload(ticket, image_bytes(128, 128, seed=index)).status_code == 200
            avatar = wait_for_status(stack, user, ticket, "applied", timeout=30)["avatar"]
            applied_at = datetime.fromisoformat(avatar["updated_at"]).timestamp()

            def held(url: str = avatar["secure_url"], user_id: str = user.id) -> float | None:
                entry = http.get(stack.url("consumer", "/cache")).json()["entries"].get(user_id) or {}
                picture = ((entry.get("profile") or {}).get("avatar") or {}).get("secure_url")
                return float(entry["avatar_seen_at"]) if picture == url else None

            seen_at = wait_for("the consumer to hold the picture", held, timeout=30, interval=0.02)
            poller.join(30)
            consumer_ms.append((seen_at - applied_at) * 1000)
            direct_ms.append((shown["at"] - applied_at) * 1000)
    feed_p50, direct_p50 = percentile(consumer_ms, 50), percentile(direct_ms, 50)
    row = Row(
        name="change feed: applied -> the consumer holds it",
        value=round(feed_p50, 1),
        unit="ms p50",
        p50_ms=round(feed_p50, 1),
        p99_ms=round(percentile(consumer_ms, 99), 1),
        baseline=(
            f"GET /profiles/me polled every {POLL_SECONDS * 1000:.0f} ms: p50 {direct_p50:.1f} ms "
            f"(feed {feed_p50 / direct_p50 if direct_p50 > 0 else float('inf'):.1f}x), {len(consumer_ms)} uploads"
        ),
    )
    return row, {"consumer_ms": consumer_ms, "direct_ms": direct_ms}


def poll_me(stack: Stack, user: User, public_id: str, shown: dict[str, float]) -> None:
    """Poll the owner's `GET /profiles/me` until it shows `public_id`; record when in `shown["at"]`."""
    deadline = time.monotonic() + 30
    with httpx.Client(timeout=30, headers=user.headers) as http:
        while time.monotonic() < deadline:
            avatar = http.get(stack.url("profile", "/profiles/me")).json()["avatar"] or {}
            if avatar.get("public_id") == public_id:
                shown["at"] = time.time()
                return
            time.sleep(POLL_SECONDS)  # the poller's own pace (the baseline being measured), not a test wait
    raise RuntimeError(f"GET /profiles/me never showed {public_id}")


def main() -> list[Row]:
    """Start everything, measure, save; stops every process it started. Returns the table rows."""
    with bench_stack() as stack:
        with ThreadPoolExecutor(max_workers=8) as pool:
            users = list(pool.map(lambda _: register(stack), range(USERS)))
        with_pictures(stack, users)
        rows, raw = lookup_rows(stack, users, stack.work_dir)
        delay, samples = feed_delay(stack, users)
        rows.append(delay)
    drift = raw["health_after"].per_second / raw["health"].per_second
    print(f"profile-service: /health drift over the lookup phases {drift:.2f}x")
    save("internal_profiles", {"raw": raw, "rows": rows, "feed_delay": samples})
    return rows


if __name__ == "__main__":
    from bench.measure import table

    print(table(main()))
