"""`python -m devstack dev` runs the stack (what `make dev` calls)."""

import argparse
import logging
from pathlib import Path

from devstack import dev


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="run the whole stack locally")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    if args.command == "dev":
        return dev.run(Path.cwd())
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
