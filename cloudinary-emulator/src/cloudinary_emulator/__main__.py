"""`python -m cloudinary_emulator`: validate the settings, then serve on EMULATOR_HOST:EMULATOR_PORT."""

from cloudinary_emulator.config import Settings
from service_kit.serve import serve


def main() -> int:
    """Entry point; exits 2 with a one-line message when the configuration is wrong."""
    return serve("cloudinary-emulator", "cloudinary_emulator.app:create_app", Settings.from_env)


if __name__ == "__main__":
    raise SystemExit(main())
