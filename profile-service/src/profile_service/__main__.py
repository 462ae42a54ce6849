"""`profile-service` / `python -m profile_service`: serve (no arguments, or `serve`), or run a tool:

profile-service migrate-local-images --help     move avatars kept on disk to Cloudinary (migration/cli.py)
"""

import sys

from profile_service.config import Settings
from service_kit.serve import serve

USAGE = "usage: profile-service [serve | migrate-local-images ...]"


def main(argv: list[str] | None = None) -> int:
    """Entry point: a subcommand, or serving as before when there is none."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] == "serve":
        return serve("profile-service", "profile_service.app:create_app", Settings.from_env)
    if args[0] == "migrate-local-images":
        from profile_service.migration.cli import main as migrate

        return migrate(args[1:])
    print(USAGE, file=sys.stderr)
    return 0 if args[0] in ("-h", "--help") else 2


if __name__ == "__main__":
    raise SystemExit(main())
