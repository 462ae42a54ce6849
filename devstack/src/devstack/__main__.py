"""`python -m devstack dev` runs the stack (what `make dev` calls); `openapi-types` is `make api-types`;
`grant-role EMAIL admin` and `revoke-role EMAIL` run auth-service's role CLI against the dev stack's MongoDB."""

import argparse
import logging
from pathlib import Path

from devstack import dev


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="run the whole stack locally")
    sub.add_parser("secrets", help="generate dev secrets and .data/compose.env for docker compose")
    sub.add_parser("openapi-types", help="regenerate web/src/api/generated/*.ts from the services' OpenAPI")
    grant = sub.add_parser("grant-role", help="give a dev-stack account a role (auth-service grant-role)")
    grant.add_argument("email")
    grant.add_argument("role", choices=("admin", "user"))
    revoke = sub.add_parser("revoke-role", help="set a dev-stack account back to user (auth-service revoke-role)")
    revoke.add_argument("email")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    # The readiness poller would otherwise log every probe into the stack's combined log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command == "dev":
        return dev.run(Path.cwd())
    if args.command == "secrets":
        print(f"wrote {dev.write_compose_env(Path.cwd())}")
        return 0
    if args.command == "grant-role":
        return dev.auth_cli(Path.cwd(), ["grant-role", args.email, args.role])
    if args.command == "revoke-role":
        return dev.auth_cli(Path.cwd(), ["revoke-role", args.email])
    if args.command == "openapi-types":
        # Imported here: it builds both services' apps, which `dev` and `secrets` do not need.
        from devstack import openapi

        for path in openapi.write_types(Path.cwd()):
            print(f"wrote {path}")
        return 0
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
