"""CPU seconds of server processes, read from /proc, to split a phase's cost between them.

A helper for the benchmark modules, not a benchmark: `cpu_seconds(pid)` is utime + stime of the process and of
every other process in its process group (uvicorn, npm or a stand-in may fork), `CpuMeter` takes the deltas
over a phase. Divided by the phase's request count this is CPU per request, a measure the machine's other load
moves far less than a rate does.
"""

import os
from collections.abc import Mapping
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(stat: str) -> list[str]:
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    return stat.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` and every live process of its process group, in seconds (0 for a gone process)."""
    try:
        group = os.getpgid(pid)
    except ProcessLookupError:
        return 0.0
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields((entry / "stat").read_text())
        except (FileNotFoundError, ProcessLookupError):
            continue
        # After the name: state, ppid, pgrp, ... utime is field 14, stime 15 (1-based, name = 2).
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS


class CpuMeter:
    """CPU seconds each named process spent between `start()` and `stop()`."""

    def __init__(self, pids: Mapping[str, int]) -> None:
        self._pids = dict(pids)
        self._started: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    def start(self) -> "CpuMeter":
        """Remember every process's CPU seconds now."""
        self._started = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        return self

    def stop(self) -> dict[str, float]:
        """CPU seconds spent per process since `start()`."""
        self.spent = {name: round(cpu_seconds(pid) - self._started[name], 3) for name, pid in self._pids.items()}
        return self.spent

    def per(self, count: int) -> dict[str, float]:
        """Microseconds of CPU per item (request, upload) for each process, over `count` items."""
        return {name: round(seconds * 1e6 / max(count, 1), 1) for name, seconds in self.spent.items()}
