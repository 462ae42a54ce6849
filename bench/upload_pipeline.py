"""Benchmark: what one avatar upload costs our servers, and how fast it becomes visible.

- Bytes our services receive and send per upload ÷ the image's size, for a ~6 MB and a ~600 kB photo. Three
  byte-counting TCP proxies sit in front of what our services talk to: profile-service (the browser's sign,
  status and profile calls, and Cloudinary's notifications, whose `notification_url` names the proxy),
  auth-service (the JWKS profile-service fetches) and, for profile-service's own calls out, the emulator
  (Admin API, destroys). The browser's file upload goes straight to the emulator (`PROFILE_BROWSER_UPLOAD_PREFIX`),
  as it goes straight to Cloudinary in production: that is the claim under test.
- Time from the emulator sending the upload notification (first attempt in its notification log) to
  `GET /profiles/me` showing the new avatar, p50/p99, one upload at a time, polling every ~2 ms.

Run: `uv run python -m bench.upload_pipeline` (results also in bench/results/upload_pipeline.json).
"""

import asyncio
import io
import threading
import time
from datetime import datetime
from functools import partial

import httpx
from PIL import Image

from bench.measure import Row, bench_stack, percentile, save
from devstack.mongo import free_port
from e2e.pipeline import User, image_bytes, notifications, register, sign, upload, wait_for
from e2e.stack import Stack
from service_kit.outbox import PENDING

SIZES = {"6 MB": 6_000_000, "600 kB": 600_000}
UPLOADS_PER_SIZE = 3
LATENCY_UPLOADS = 60
STATUS_POLL_SECONDS = 0.5  # how often the "browser" asks whether its upload is applied
FIRST_POLL_SECONDS = 0.15  # and when it first asks: web/src/features/avatar/upload/flow.ts, FIRST_POLL_MS


class CountingProxy:
    """A TCP proxy on 127.0.0.1 that counts the bytes going each way, in its own thread and event loop."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self.received = 0  # client -> our service
        self.sent = 0  # our service -> client
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def total(self) -> int:
        """Bytes both ways so far."""
        return self.received + self.sent

    def start(self) -> "CountingProxy":
        """Listen; returns once the port accepts connections."""
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        """Stop the loop and its thread."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            upstream_r, upstream_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_w.close()
            return

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, inbound: bool) -> None:
            try:
                while chunk := await reader.read(65536):
                    if inbound:
                        self.received += len(chunk)
                    else:
                        self.sent += len(chunk)
                    writer.write(chunk)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        await asyncio.gather(pipe(client_r, upstream_w, True), pipe(upstream_r, client_w, False))


def photo(target: int) -> bytes:
    """A noisy JPEG (costs what a photo costs to encode) of about `target` bytes."""
    scale = 1.0
    data = b""
    for _ in range(3):
        width, height = max(200, int(4000 * scale**0.5)), max(150, int(3000 * scale**0.5))
        noise = Image.effect_noise((width // 4, height // 4), 64).resize((width, height), Image.Resampling.BILINEAR)
        gradient = Image.linear_gradient("L").resize((width, height))
        image = Image.merge("RGB", (noise, gradient, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=95)
        data = out.getvalue()
        if abs(len(data) - target) < target * 0.05:
            break
        scale *= target / len(data)
    return data


def outbox_drained(stack: Stack, timeout: float) -> None:
    """Wait until no job waits in profile-service's outbox, read from MongoDB by the bench itself. Not through
    `/metrics`: a scrape costs profile-service ~2 ms of CPU (its gauges' reads), which `seed_comparison` would
    charge to our uploads while it waits for the drain."""
    with stack.profile_db() as db:
        wait_for("the outbox to drain", lambda: db["outbox"].count_documents({"status": PENDING}) == 0, timeout=timeout)


def browser_upload(stack: Stack, front: str, user: User, data: bytes) -> None:
    """What the browser does, through `front` (the profile proxy): sign, post the file, poll, read the profile."""
    with httpx.Client(base_url=front, headers=user.headers, timeout=60) as http:
        signed = http.post("/profiles/me/avatar/uploads")
        signed.raise_for_status()
        ticket = signed.json()
        response = upload(ticket, data, name="photo.jpg")
        assert response.status_code == 200, response.text

        def applied() -> bool:
            state = str(http.get(ticket["status_url"]).json()["status"])
            assert state in ("pending", "applied"), state
            return state == "applied"

        time.sleep(FIRST_POLL_SECONDS)  # the browser's schedule being mirrored, not a wait for a condition
        wait_for(f"upload {ticket['upload_id']} applied", applied, timeout=60, interval=STATUS_POLL_SECONDS)
        assert http.get("/profiles/me").json()["avatar"]["public_id"] == ticket["public_id"]


def bytes_per_upload(stack: Stack, proxies: list[CountingProxy], front: str) -> list[Row]:
    """For each image size: (bytes at our servers per upload) / (image bytes)."""
    user = register(stack)
    rows = []
    for label, target in SIZES.items():
        data = photo(target)
        outbox_drained(stack, timeout=60)
        before = sum(p.total for p in proxies)
        for _ in range(UPLOADS_PER_SIZE):
            browser_upload(stack, front, user, data)
        outbox_drained(stack, timeout=60)
        # Late notification retries or eager notifications land within the drain wait above.
        per_upload = (sum(p.total for p in proxies) - before) / UPLOADS_PER_SIZE
        rows.append(
            Row(
                name=f"bytes at our services per upload / image ({label})",
                value=round(per_upload / len(data), 5),
                unit="x image",
                baseline=f"image {len(data) / 1e6:.2f} MB, ours {per_upload / 1000:.1f} kB",
                extra={"image_bytes": len(data), "our_bytes_per_upload": per_upload},
            )
        )
    return rows


def first_attempt(stack: Stack, public_id: str) -> float | None:
    """When the emulator sent the first attempt of `public_id`'s upload notification, once its log has it."""
    for note in notifications(stack, public_id):
        if note["notification_type"] == "upload" and note["attempts"]:
            return datetime.fromisoformat(note["attempts"][0]["at"]).timestamp()
    return None


def visible_latency(stack: Stack) -> tuple[Row, list[float]]:
    """Notification sent (emulator log) -> GET /profiles/me shows the avatar, one upload at a time."""
    user = register(stack)
    samples = []
    with httpx.Client(timeout=30, headers=user.headers) as http:
        for index in range(LATENCY_UPLOADS):
            ticket = sign(stack, user)
            assert upload(ticket, image_bytes(256, 256, seed=index)).status_code == 200
            wanted = ticket["public_id"]

            def shown(wanted: str = wanted) -> float | None:
                avatar = http.get(stack.url("profile", "/profiles/me")).json()["avatar"] or {}
                return time.time() if avatar.get("public_id") == wanted else None

            visible_at = wait_for("the avatar on /profiles/me", shown, timeout=30, interval=0.002)
            # The emulator logs an attempt once its answer is in, which can be after the profile already shows it.
            sent_at = wait_for("the notification's first attempt in the log", partial(first_attempt, stack, wanted))
            samples.append((visible_at - sent_at) * 1000)
    row = Row(
        name="notification sent -> GET /profiles/me shows it",
        value=round(percentile(samples, 50), 1),
        unit="ms p50",
        p50_ms=round(percentile(samples, 50), 1),
        p99_ms=round(percentile(samples, 99), 1),
        baseline=f"{len(samples)} uploads, one at a time",
    )
    return row, samples


def proxied_env(stack: Stack, proxies: list[CountingProxy]) -> dict[str, dict[str, str]]:
    """Start counting proxies in front of profile-service, auth-service and the emulator, append them to `proxies`,
    and return the profile-service settings that send its traffic (and Cloudinary's notifications) through them."""
    proxies.extend(CountingProxy(stack.ports[name]).start() for name in ("profile", "auth", "emulator"))
    front, auth_front, emulator_front = (f"http://127.0.0.1:{p.port}" for p in proxies[-3:])
    return {
        "profile": {
            "PUBLIC_WEBHOOK_URL": front + "/webhooks/cloudinary",
            "AUTH_JWKS_URL": auth_front + "/.well-known/jwks.json",
            "CLOUDINARY_URL": stack.cloudinary_url.replace(stack.url("emulator"), emulator_front),
            "PROFILE_BROWSER_UPLOAD_PREFIX": stack.url("emulator"),
            "PROFILE_OUTBOX_POLL_SECONDS": "0.2",
        }
    }


def main() -> list[Row]:
    """Start the stack behind the counting proxies, measure, save; returns the table rows."""
    proxies: list[CountingProxy] = []

    def behind_proxies(stack: Stack) -> dict[str, dict[str, str]]:
        return proxied_env(stack, proxies)

    try:
        with bench_stack(behind_proxies) as stack:
            rows = bytes_per_upload(stack, proxies, f"http://127.0.0.1:{proxies[0].port}")
            latency, samples = visible_latency(stack)
            rows.append(latency)
    finally:
        for proxy in proxies:
            proxy.stop()
    save("upload_pipeline", {"rows": rows, "latency_ms": samples})
    return rows


if __name__ == "__main__":
    from bench.measure import table

    print(table(main()))
