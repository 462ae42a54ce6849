"""`make dev` brings every process up, each answers /health and /ready, passes `PROFILE_MODERATION` on, lets
`python -m devstack grant-role` make an admin in its database (running or stopped), and Ctrl-C leaves none behind."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack.mongo import free_port
from e2e.admin import claims
from e2e.conftest import ARTIFACTS, ROOT


@dataclass
class DevStack:
    process: "subprocess.Popen[bytes]"
    ports: dict[str, int]
    log: Path
    data_dir: Path
    env: dict[str, str]
    # Accounts the tests registered (e-mail, password), for tests that run once the stack is stopped.
    accounts: list[tuple[str, str]]

    def url(self, name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, stack: DevStack) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if stack.process.poll() is not None:
            pytest.fail(f"make dev exited with {stack.process.returncode} while waiting for {what}:\n{tail(stack.log)}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}:\n{tail(stack.log)}")
        time.sleep(0.1)


def tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


def status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=2.0).status_code
    except httpx.TransportError:
        return None


def descendants(pid: int) -> set[int]:
    """Every live process whose ancestry leads to `pid` (read from /proc, no psutil needed)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier}
        frontier = children - found
        found |= children
    return found


def alive(pids: set[int]) -> set[int]:
    still = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            still.add(pid)
    return still


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in ("auth", "profile", "emulator", "web", "mongo", "mail", "mail_web")}
    data_dir = tmp_path_factory.mktemp("devdata")
    log = ARTIFACTS / "make-dev.log"
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "CLOUDINARY_URL")}
    env |= {f"{name.upper()}_PORT": str(port) for name, port in ports.items()}
    env["DEVSTACK_DATA_DIR"] = str(data_dir)
    if "MONGODB_URI" in os.environ:
        env["MONGODB_URI"] = os.environ["MONGODB_URI"]
    env["PROFILE_MODERATION"] = "manual"
    with log.open("wb") as out:
        # Its own session, like a terminal's foreground job, so the test can send the "Ctrl-C" to it alone.
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "dev"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = DevStack(process, ports, log, data_dir, env, [])
    try:
        yield stack
    finally:
        if process.poll() is None:
            # A failed test leaves it running: Ctrl-C it as a person would, then kill whatever remains,
            # the stand-in MongoDB included (it runs in a session of its own, outside this process group).
            children = descendants(process.pid)
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            for pid in alive(children):
                os.kill(pid, signal.SIGKILL)


def test_make_dev_serves_health_and_ready_on_every_service(dev_stack: DevStack) -> None:
    for name in ("auth", "profile"):
        for path in ("/health", "/ready"):
            url = dev_stack.url(name, path)
            wait_for(lambda url=url: status(url) == 200, 60, url, dev_stack)  # type: ignore[misc]
    wait_for(lambda: status(dev_stack.url("emulator", "/health")) == 200, 60, "emulator", dev_stack)
    wait_for(lambda: status(dev_stack.url("web", "/")) == 200, 60, "web", dev_stack)

    # The web front proxies the APIs on the same origin.
    assert status(dev_stack.url("web", "/.well-known/jwks.json")) == status(
        dev_stack.url("auth", "/.well-known/jwks.json")
    )
    wait_for(
        lambda: "Stack is up. Open http://localhost:" in dev_stack.log.read_text(), 30, "the URL to open", dev_stack
    )


def test_make_dev_generates_secrets_once(dev_stack: DevStack) -> None:
    wait_for(lambda: status(dev_stack.url("auth", "/ready")) == 200, 60, "auth ready", dev_stack)

    keys = list((dev_stack.data_dir / "auth-keys").glob("*.pem"))
    cloudinary_url = (dev_stack.data_dir / "cloudinary_url").read_text()
    assert len(keys) == 1
    assert keys[0].stat().st_mode & 0o077 == 0
    assert cloudinary_url.startswith("cloudinary://")
    assert f"upload_prefix=http://127.0.0.1:{dev_stack.ports['emulator']}" in cloudinary_url


def devstack_command(dev_stack: DevStack, *args: str) -> "subprocess.CompletedProcess[str]":
    """`python -m devstack ARGS` with the same environment `make dev` got (ports, data directory)."""
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args],
        cwd=ROOT,
        env=dev_stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def register(dev_stack: DevStack) -> tuple[str, str]:
    """A new account through the dev stack's auth service; (e-mail, password)."""
    name = f"dev{uuid.uuid4().hex[:10]}"
    password = uuid.uuid4().hex + "Aa1!"
    created = httpx.post(
        dev_stack.url("auth", "/auth/register"),
        json={"email": f"{name}@example.com", "username": name, "password": password},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    dev_stack.accounts.append((f"{name}@example.com", password))
    return f"{name}@example.com", password


def sign_in(dev_stack: DevStack, email: str, password: str) -> str:
    """A password sign-in; the access token."""
    response = httpx.post(dev_stack.url("auth", "/auth/login"), json={"login": email, "password": password}, timeout=30)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def test_make_dev_passes_profile_moderation_to_the_profile_service(dev_stack: DevStack) -> None:
    wait_for(lambda: status(dev_stack.url("profile", "/ready")) == 200, 60, "profile ready", dev_stack)
    wait_for(lambda: status(dev_stack.url("auth", "/ready")) == 200, 60, "auth ready", dev_stack)
    token = sign_in(dev_stack, *register(dev_stack))

    signed = httpx.post(
        dev_stack.url("profile", "/profiles/me/avatar/uploads"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )

    assert signed.status_code == 201, signed.text
    assert signed.json()["fields"]["moderation"] == "manual"


def test_devstack_grant_role_makes_an_admin_in_the_dev_database(dev_stack: DevStack) -> None:
    wait_for(lambda: status(dev_stack.url("auth", "/ready")) == 200, 60, "auth ready", dev_stack)
    email, password = register(dev_stack)

    granted = devstack_command(dev_stack, "grant-role", email, "admin")
    unknown = devstack_command(dev_stack, "grant-role", f"nobody-{uuid.uuid4().hex[:6]}@example.com", "admin")
    usage = devstack_command(dev_stack, "grant-role", email, "emperor")

    assert granted.returncode == 0, granted.stdout + granted.stderr
    assert f"granted role admin to {email}" in granted.stdout
    assert unknown.returncode == 1, unknown.stdout + unknown.stderr
    assert unknown.stderr.strip()
    assert usage.returncode == 2
    token = sign_in(dev_stack, email, password)
    assert claims(token)["role"] == "admin"
    users = httpx.get(dev_stack.url("auth", "/admin/users"), headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert users.status_code == 200, users.text
    # The web front proxies the admin routes on the same origin.
    queue = httpx.get(
        dev_stack.url("web", "/admin/moderation?status=pending"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert queue.status_code == 200, queue.text


def test_ctrl_c_stops_every_process(dev_stack: DevStack) -> None:
    wait_for(lambda: status(dev_stack.url("profile", "/ready")) == 200, 60, "profile ready", dev_stack)
    children = descendants(dev_stack.process.pid)
    assert len(children) >= 5, f"expected the supervisor's children, found {children}"

    os.killpg(dev_stack.process.pid, signal.SIGINT)
    dev_stack.process.wait(timeout=30)

    deadline = time.monotonic() + 10
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(children) == set(), f"left behind: {alive(children)}\n{tail(dev_stack.log)}"
    for name in ("auth", "profile", "emulator", "web"):
        assert status(dev_stack.url(name, "/health")) is None


def test_devstack_revoke_role_reaches_the_dev_database_while_the_stack_is_stopped(dev_stack: DevStack) -> None:
    # Runs after the Ctrl-C test: nothing listens on MONGO_PORT, so the command starts the dev MongoDB on its own
    # data directory for the length of the command, and stops it again.
    assert dev_stack.process.poll() is not None, "the stack should have been stopped by the Ctrl-C test"
    assert dev_stack.accounts, "the earlier tests registered accounts in the dev database"
    email, _ = dev_stack.accounts[-1]

    revoked = devstack_command(dev_stack, "revoke-role", email)

    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    assert email in revoked.stdout
    assert status(dev_stack.url("auth", "/health")) is None
