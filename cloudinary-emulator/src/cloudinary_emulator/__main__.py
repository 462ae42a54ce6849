"""`python -m cloudinary_emulator`: validate the settings, then serve with uvicorn on EMULATOR_HOST:EMULATOR_PORT."""

import sys

import uvicorn

from cloudinary_emulator.config import Settings
from service_kit.settings import SettingsError


def main() -> int:
    """Entry point; exits 2 with a one-line message when the configuration is wrong."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"cloudinary-emulator: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        "cloudinary_emulator.app:create_app",
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
