"""`python -m profile_service`: validate the settings, then serve with uvicorn on PROFILE_HOST:PROFILE_PORT."""

import sys

import uvicorn

from profile_service.config import Settings, SettingsError


def main() -> int:
    """Entry point; exits 2 with a one-line message when the configuration is wrong."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"profile-service: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        "profile_service.app:create_app",
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
