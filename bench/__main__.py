"""`make bench`: run every benchmark module in this folder, then print ONE table of every row they measured.

Each module measures its subject beside a baseline in the same run (the bare `/health` of the same server,
or a naive implementation), so machine noise cancels; each returns its rows (`bench.measure.Row`). Results
land in bench/results/<module>.json and, all rows together, bench/results/bench.json.
"""

import importlib
import pkgutil
import platform
import sys
import time
from pathlib import Path

from bench.measure import RESULTS, Row, save, table

HERE = Path(__file__).resolve().parent
HELPERS = {"cpu", "measure"}


def main() -> int:
    """Run the benchmark modules named on the command line, or all of them."""
    wanted = set(sys.argv[1:])
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_") and m.name not in HELPERS
    )
    rows: list[Row] = []
    failed = []
    started_all = time.monotonic()
    for name in names:
        if wanted and name not in wanted:
            continue
        module = importlib.import_module(f"bench.{name}")
        print(f"=== bench.{name}", flush=True)
        started = time.monotonic()
        try:
            rows.extend(module.main())
        except Exception as exc:  # one broken benchmark must not hide the others' numbers
            print(f"bench.{name} failed: {exc!r}", flush=True)
            failed.append(name)
        print(f"(bench.{name}: {time.monotonic() - started:.0f}s)", flush=True)
    elapsed = time.monotonic() - started_all
    print(f"\nAll rows measured in this run ({elapsed:.0f} s, {platform.processor() or platform.machine()}):\n")
    print(table(rows))
    if failed:
        print(f"\nFAILED (no rows): {', '.join(failed)}")
    path = save("bench", {"seconds": round(elapsed, 1), "python": sys.version.split()[0], "rows": rows})
    print(f"\nresults: {path} (and one file per module in {RESULTS})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
