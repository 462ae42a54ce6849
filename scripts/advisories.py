"""Dependency advisories with accepted exceptions (.github/advisory-exceptions.toml), for the advisories workflow.

    python scripts/advisories.py pip-args EXCEPTIONS          # `--ignore-vuln ID` for each PyPI exception
    python scripts/advisories.py npm-check EXCEPTIONS AUDIT_JSON [--level moderate]

`pip-args` prints pip-audit's arguments; `npm-check` reads `npm audit --json` and fails (exit 1) on any advisory at
or above `--level` that no exception accepts. Both fail (exit 2) on an expired or malformed exception, so an
accepted risk is looked at again when it expires. Standard library only: the job runs it before installing anything.
"""

import argparse
import datetime
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEVERITIES = ("info", "low", "moderate", "high", "critical")
ECOSYSTEMS = ("pypi", "npm")
ID = re.compile(r"^(GHSA(-[23456789cfghjmpqrvwx]{4}){3}|PYSEC-\d{4}-\d+|CVE-\d{4}-\d+)$")
MAX_DAYS = 90  # an exception is revisited at least this often


class ExceptionsError(Exception):
    """The exceptions file has an entry the job must not accept (expired, malformed)."""


@dataclass(frozen=True)
class Accepted:
    id: str
    ecosystem: str
    package: str
    reason: str
    expires: datetime.date


@dataclass(frozen=True)
class Finding:
    id: str
    package: str
    severity: str
    title: str


def load_exceptions(path: Path, today: datetime.date) -> list[Accepted]:
    """Every exception of the file, checked; ExceptionsError names each bad one."""
    data = tomllib.loads(path.read_text())
    problems: list[str] = []
    accepted: list[Accepted] = []
    for n, entry in enumerate(data.get("exception", []), start=1):
        where = f"{path.name} exception {n} ({entry.get('id', '?')})"
        missing = [k for k in ("id", "ecosystem", "package", "reason", "expires") if k not in entry]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        expires = entry["expires"]
        if not isinstance(expires, datetime.date) or isinstance(expires, datetime.datetime):
            problems.append(f"{where}: expires must be a date like 2027-01-31")
            continue
        if not ID.match(str(entry["id"])):
            problems.append(f"{where}: id is not a GHSA, PYSEC or CVE id")
        if entry["ecosystem"] not in ECOSYSTEMS:
            problems.append(f"{where}: ecosystem must be one of {', '.join(ECOSYSTEMS)}")
        if not str(entry["reason"]).strip():
            problems.append(f"{where}: give a reason")
        if expires <= today:
            problems.append(f"{where}: expired on {expires.isoformat()}; fix it, or decide again with a new date")
        elif (expires - today).days > MAX_DAYS:
            problems.append(f"{where}: expires more than {MAX_DAYS} days ahead")
        accepted.append(Accepted(entry["id"], entry["ecosystem"], entry["package"], entry["reason"], expires))
    if problems:
        raise ExceptionsError("\n".join(problems))
    return accepted


def pip_args(accepted: list[Accepted]) -> list[str]:
    """pip-audit's `--ignore-vuln` arguments for the PyPI exceptions."""
    return [arg for a in accepted if a.ecosystem == "pypi" for arg in ("--ignore-vuln", a.id)]


def npm_findings(report: dict[str, Any]) -> list[Finding]:
    """The advisories of an `npm audit --json` report (version 2): one per advisory and package.

    A package whose `via` is only other package names is vulnerable through them; their advisories are listed
    under those packages, so accepting the advisory accepts every package it reaches.
    """
    if "error" in report:
        raise ValueError(f"npm audit failed: {report['error']}")
    if report.get("auditReportVersion") != 2:
        raise ValueError("not an npm audit --json report (auditReportVersion 2)")
    found = set()
    for name, vulnerability in report.get("vulnerabilities", {}).items():
        for via in vulnerability.get("via", []):
            if isinstance(via, dict):
                advisory = str(via.get("url", "")).rstrip("/").rsplit("/", 1)[-1] or str(via.get("source"))
                found.add(
                    Finding(advisory, str(via.get("name", name)), str(via["severity"]), str(via.get("title", "")))
                )
    return sorted(found, key=lambda f: (f.package, f.id))


def unaccepted(findings: list[Finding], accepted: list[Accepted], level: str) -> list[Finding]:
    """Findings at or above `level` that no npm exception for the same id and package accepts."""
    allowed = {(a.id, a.package) for a in accepted if a.ecosystem == "npm"}
    threshold = SEVERITIES.index(level)
    return [f for f in findings if SEVERITIES.index(f.severity) >= threshold and (f.id, f.package) not in allowed]


def main(argv: list[str] | None = None, today: datetime.date | None = None) -> int:
    """The command line; returns the exit status (0 clean, 1 unaccepted advisories, 2 a bad exceptions file)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    pip = commands.add_parser("pip-args")
    pip.add_argument("exceptions", type=Path)
    npm = commands.add_parser("npm-check")
    npm.add_argument("exceptions", type=Path)
    npm.add_argument("report", type=Path)
    npm.add_argument("--level", choices=SEVERITIES, default="moderate")
    args = parser.parse_args(argv)
    try:
        accepted = load_exceptions(args.exceptions, today or datetime.datetime.now(datetime.UTC).date())
    except ExceptionsError as error:
        print(error, file=sys.stderr)
        return 2
    if args.command == "pip-args":
        print(" ".join(pip_args(accepted)))
        return 0
    findings = npm_findings(json.loads(args.report.read_text()))
    left = unaccepted(findings, accepted, args.level)
    for f in findings:
        status = "FAIL" if f in left else "ok (accepted or below the level)"
        print(f"{f.severity:9} {f.package} {f.id} {f.title}: {status}")
    used = {(f.id, f.package) for f in findings}
    for a in accepted:
        if a.ecosystem == "npm" and (a.id, a.package) not in used:
            print(f"note: exception {a.id} ({a.package}) matches nothing any more: remove it", file=sys.stderr)
    if left:
        print(f"{len(left)} advisory(ies) at or above {args.level} not accepted", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
