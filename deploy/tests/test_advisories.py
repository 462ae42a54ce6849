"""scripts/advisories.py, which the advisories workflow runs: the exceptions file and the npm audit filter, on a
fixture `npm audit --json` report (the job itself needs the network and runs only on GitHub)."""

import datetime
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "advisories.py"
REPORT = Path(__file__).parent / "fixtures" / "npm-audit.json"
TODAY = datetime.date(2026, 12, 3)


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("advisories", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["advisories"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


advisories = load_script()


def exceptions(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "exceptions.toml"
    path.write_text("\n".join(f"[[exception]]\n{entry}\n" for entry in entries))
    return path


def entry(id_: str, package: str, ecosystem: str = "npm", expires: str = "2027-01-15", reason: str = "why") -> str:
    return f'id = "{id_}"\necosystem = "{ecosystem}"\npackage = "{package}"\nreason = "{reason}"\nexpires = {expires}'


ESBUILD = "GHSA-67mh-4wv8-2f99"
CROSS_SPAWN = "GHSA-3xgq-45jj-v275"


def npm_check(path: Path, *extra: str) -> int:
    status: int = advisories.main(["npm-check", str(path), str(REPORT), *extra], today=TODAY)
    return status


def test_every_advisory_of_the_report_is_found_once() -> None:
    findings = advisories.npm_findings(json.loads(REPORT.read_text()))

    # vite is vulnerable only through esbuild: esbuild's advisory stands for both.
    assert [(f.package, f.id, f.severity) for f in findings] == [
        ("brace-expansion", "GHSA-v6h2-p8h4-qcjw", "low"),
        ("cross-spawn", CROSS_SPAWN, "high"),
        ("esbuild", ESBUILD, "moderate"),
    ]


def test_without_exceptions_moderate_and_above_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert npm_check(exceptions(tmp_path)) == 1
    failed = {line.split()[1]: line.endswith(": FAIL") for line in capsys.readouterr().out.splitlines()}
    # low is below the level: listed, not failed.
    assert failed == {"brace-expansion": False, "cross-spawn": True, "esbuild": True}


def test_the_level_is_respected(tmp_path: Path) -> None:
    accepted = exceptions(tmp_path, entry(CROSS_SPAWN, "cross-spawn"))

    assert npm_check(accepted, "--level", "high") == 0
    assert npm_check(accepted, "--level", "low") == 1


def test_accepted_advisories_pass(tmp_path: Path) -> None:
    accepted = exceptions(tmp_path, entry(ESBUILD, "esbuild"), entry(CROSS_SPAWN, "cross-spawn"))

    assert npm_check(accepted) == 0


def test_an_exception_for_another_package_accepts_nothing(tmp_path: Path) -> None:
    accepted = exceptions(tmp_path, entry(ESBUILD, "vite"), entry(CROSS_SPAWN, "cross-spawn"))

    assert npm_check(accepted) == 1


def test_a_pypi_exception_does_not_accept_an_npm_advisory(tmp_path: Path) -> None:
    accepted = exceptions(tmp_path, entry(ESBUILD, "esbuild", ecosystem="pypi"), entry(CROSS_SPAWN, "cross-spawn"))

    assert npm_check(accepted) == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (entry(ESBUILD, "esbuild", expires="2026-12-03"), "expired on 2026-12-03"),
        (entry(ESBUILD, "esbuild", expires="2027-06-01"), "more than 90 days"),
        (entry(ESBUILD, "esbuild", expires='"soon"'), "must be a date"),
        (entry("GHSA-nope", "esbuild"), "not a GHSA"),
        (entry(ESBUILD, "esbuild", ecosystem="cargo"), "ecosystem"),
        (entry(ESBUILD, "esbuild", reason=" "), "give a reason"),
        ('id = "GHSA-67mh-4wv8-2f99"\necosystem = "npm"', "missing package, reason, expires"),
    ],
)
def test_a_bad_exception_fails_the_job(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str, message: str
) -> None:
    path = exceptions(tmp_path, bad)

    assert npm_check(path) == 2
    assert message in capsys.readouterr().err
    assert advisories.main(["pip-args", str(path)], today=TODAY) == 2


def test_pip_args_ignore_the_pypi_exceptions_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = exceptions(
        tmp_path,
        entry("PYSEC-2026-17", "jinja2", ecosystem="pypi"),
        entry("CVE-2026-1234", "h11", ecosystem="pypi"),
        entry(ESBUILD, "esbuild"),
    )

    assert advisories.main(["pip-args", str(path)], today=TODAY) == 0
    assert capsys.readouterr().out.split() == ["--ignore-vuln", "PYSEC-2026-17", "--ignore-vuln", "CVE-2026-1234"]


def test_an_exception_that_matches_nothing_is_pointed_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accepted = exceptions(
        tmp_path, entry(ESBUILD, "esbuild"), entry(CROSS_SPAWN, "cross-spawn"), entry("GHSA-4f2c-qx9w-h8mr", "left-pad")
    )

    assert npm_check(accepted) == 0
    assert "GHSA-4f2c-qx9w-h8mr (left-pad) matches nothing" in capsys.readouterr().err


def test_a_failed_npm_audit_is_not_a_clean_report(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="npm audit failed"):
        advisories.npm_findings({"error": {"code": "ENOTFOUND", "summary": "request to registry failed"}})
    with pytest.raises(ValueError, match="auditReportVersion"):
        advisories.npm_findings({"vulnerabilities": {}})


def test_the_committed_exceptions_file_is_valid_today() -> None:
    advisories.load_exceptions(
        ROOT / ".github" / "advisory-exceptions.toml", datetime.datetime.now(datetime.UTC).date()
    )


def test_the_command_line_runs_with_the_standard_library_alone(tmp_path: Path) -> None:
    """The job runs the script with the runner's bare Python (-I: no site-packages, no user directory)."""
    done = subprocess.run(
        [sys.executable, "-I", str(SCRIPT), "npm-check", str(exceptions(tmp_path)), str(REPORT)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 1, done.stderr
    assert "2 advisory(ies) at or above moderate not accepted" in done.stderr
