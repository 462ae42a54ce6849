"""`python -m auth_service`: validate the settings and the signing keys, then serve on AUTH_HOST:AUTH_PORT."""

from auth_service.config import Settings
from auth_service.keys import load_keys
from service_kit.serve import serve


def _settings() -> Settings:
    # A missing or unreadable signing key is a configuration error too: refuse to start rather than to sign.
    settings = Settings.from_env()
    load_keys(settings)
    return settings


def main() -> int:
    """Entry point; exits 2 with a one-line message when the configuration (or a signing key) is wrong."""
    return serve("auth-service", "auth_service.app:create_app", _settings)


if __name__ == "__main__":
    raise SystemExit(main())
