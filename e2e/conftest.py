"""Fixtures for end-to-end tests: the stack's real processes on free ports, stopped after each module."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "e2e" / "artifacts"
