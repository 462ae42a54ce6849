"""`auth-service` / `python -m auth_service`: serve (no arguments), or change a role:

auth-service grant-role EMAIL admin|user     give an account a role (admin/cli.py)
auth-service revoke-role EMAIL               make an account a plain user again

Serving validates the settings and the signing keys first, then serves on AUTH_HOST:AUTH_PORT.
"""

import sys

from auth_service.config import Settings
from auth_service.keys import load_keys
from service_kit.serve import serve

ROLE_COMMANDS = ("grant-role", "revoke-role")


def _settings() -> Settings:
    # A missing or unreadable signing key is a configuration error too: refuse to start rather than to sign.
    settings = Settings.from_env()
    load_keys(settings)
    return settings


def main(argv: list[str] | None = None) -> int:
    """Entry point; serving exits 2 with a one-line message when the configuration (or a signing key) is wrong."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ROLE_COMMANDS:
        from auth_service.admin.cli import main as change_role

        return change_role(args)
    # Anything else serves, as before subcommands existed (`make dev` and the images pass no arguments).
    return serve("auth-service", "auth_service.app:create_app", _settings)


if __name__ == "__main__":
    raise SystemExit(main())
