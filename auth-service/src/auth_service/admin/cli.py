"""`auth-service grant-role EMAIL admin|user` and `auth-service revoke-role EMAIL`: the only way a role changes.

Works against the configured MongoDB (MONGODB_URI, AUTH_DATABASE: the server's settings) and needs no signing key:
it issues no token. The new role reaches the person's access tokens at their next refresh or sign-in (at most the
access-token TTL); auth-service's own admin routes read the stored role, so a revocation counts there at once.
Every run writes an audit entry (actor `cli`). Exit status: 0 done, 1 no account has that e-mail address,
2 bad usage, bad configuration or MongoDB not answering.
"""

import argparse
import asyncio
import sys

from pymongo.errors import PyMongoError

from auth_service.admin.schemas import CLI_ACTOR, ROLE_GRANTED, ROLE_REVOKED
from auth_service.config import Settings
from auth_service.services import build
from auth_service.users.schemas import ROLES, USER, normalize_email
from service_kit.settings import SettingsError

PROG = "auth-service"


def parser() -> argparse.ArgumentParser:
    """Both subcommands."""
    p = argparse.ArgumentParser(prog=PROG, description="Change an account's role (user or admin).")
    commands = p.add_subparsers(dest="command", required=True)
    grant = commands.add_parser("grant-role", help="give an account a role")
    grant.add_argument("email", help="the account's e-mail address")
    grant.add_argument("role", choices=ROLES, help="the role it gets")
    revoke = commands.add_parser("revoke-role", help="make an account a plain user again")
    revoke.add_argument("email", help="the account's e-mail address")
    return p


async def change_role(settings: Settings, email: str, role: str) -> int:
    """Store `role` on the account with this e-mail address and audit it; the exit status."""
    services = build(settings, signing=False)
    try:
        async with services.mongo.running():
            user = await services.users.find_by_login(email)
            if user is None:
                print(f"{PROG}: no account has the e-mail address {email}", file=sys.stderr)
                return 1
            previous = user.token_role
            await services.users.set_role(user.id, role, now=services.clock())
            await services.audit.record(
                actor_id=CLI_ACTOR,
                actor=CLI_ACTOR,
                action=ROLE_REVOKED if role == USER else ROLE_GRANTED,
                target_id=user.id,
                target=user.email,
                detail={"role": role, "previous": previous},
            )
    except PyMongoError as exc:
        print(f"{PROG}: MongoDB is not answering ({type(exc).__name__}); nothing changed", file=sys.stderr)
        return 2
    finally:
        await services.http.aclose()
    if role == USER:
        print(f"revoked role {previous} from {user.email} (user {user.id}); role is now user")
    else:
        print(f"granted role {role} to {user.email} (user {user.id})")
    return 0


def main(argv: list[str]) -> int:
    """Entry point of `grant-role` and `revoke-role` (`argv` starts with the subcommand)."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage; keep its status (2 for bad usage, 0 for --help)
        return int(exc.code or 0)
    email = normalize_email(args.email)
    if "@" not in email:
        print(f"{PROG}: {args.email!r} is not an e-mail address", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env(signing=False)
    except SettingsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(change_role(settings, email, getattr(args, "role", USER)))
