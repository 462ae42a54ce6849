"""`make bench`: run every benchmark module in this folder, each printing ratios against its own baseline.

Each module measures its subject beside a baseline in the same run (a bare endpoint of the same
server, or a naive implementation), so machine noise cancels; results also land in bench/results/.
"""

import importlib
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    """Run the benchmark modules named on the command line, or all of them."""
    wanted = set(sys.argv[1:])
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_"))
    failed = []
    for name in names:
        if wanted and name not in wanted:
            continue
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        print(f"\n=== bench.{name}", flush=True)
        started = time.monotonic()
        try:
            module.main()
        except Exception as exc:  # one broken benchmark must not hide the others' numbers
            print(f"bench.{name} failed: {exc!r}", flush=True)
            failed.append(name)
        print(f"(bench.{name}: {time.monotonic() - started:.0f}s)", flush=True)
    print(f"\nresults: {HERE / 'results'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
