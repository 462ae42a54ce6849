"""`python -m auth_service`: validate the settings, then serve with uvicorn on AUTH_HOST:AUTH_PORT."""

import sys

import uvicorn

from auth_service.config import Settings
from auth_service.keys import load_keys
from service_kit.settings import SettingsError


def main() -> int:
    """Entry point; exits 2 with a one-line message when the configuration (or a signing key) is wrong."""
    try:
        settings = Settings.from_env()
        load_keys(settings)
    except SettingsError as exc:
        print(f"auth-service: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        "auth_service.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
