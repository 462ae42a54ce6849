"""pytest plugin for the fidelity run: records which tests reach the emulator and stubs out-of-scope set-up calls.

Loaded with `-p fidelity_plugin` from the unpacked sdist. A stub answers only outside a test body (class and
method set-up and tear-down); inside a test body the real call goes to the emulator, so no test passes because
of a stub. What was stubbed, and for which tests, is written to the results so the table can say so.
"""

import importlib
import json
import os
from urllib.parse import urlparse

import pytest
import urllib3

_EMULATOR = urlparse(os.environ["FIDELITY_EMULATOR_URL"]).netloc
_STUBS = [name for name in os.environ.get("FIDELITY_STUBS", "").split(",") if name]
_state = {"phase": "collect", "nodeid": ""}
_tests = {}


def _record(key):
    entry = _tests.setdefault(_state["nodeid"], {"reached": [], "stubbed": [], "outcome": {}})
    if key not in entry["reached" if key in ("setup", "call", "teardown") else "stubbed"]:
        entry["reached" if key in ("setup", "call", "teardown") else "stubbed"].append(key)


_original_urlopen = urllib3.PoolManager.urlopen


def _urlopen(self, method, url, *args, **kwargs):
    # The SDK always goes through a PoolManager; mocked tests patch RequestMethods.request above it.
    if urlparse(url).netloc == _EMULATOR:
        _record(_state["phase"])
    return _original_urlopen(self, method, url, *args, **kwargs)


urllib3.PoolManager.urlopen = _urlopen


def _stub(dotted):
    module_name, attribute = dotted.rsplit(".", 1)
    module = importlib.import_module(module_name)
    real = getattr(module, attribute)

    def stand_in(*args, **kwargs):
        if _state["phase"] == "call":
            return real(*args, **kwargs)
        _record(dotted)
        return {}

    setattr(module, attribute, stand_in)


for _name in _STUBS:
    _stub(_name)


def _without_text_overlays(transformations):
    kept = []
    for transformation in transformations if isinstance(transformations, list) else [transformations]:
        if isinstance(transformation, dict) and "overlay" in transformation:
            transformation = {k: v for k, v in transformation.items() if k != "overlay"}
        kept.append(transformation)
    return kept


_real_upload = importlib.import_module("cloudinary.uploader").upload


def _set_up_upload(*args, **kwargs):
    # Class set-ups upload their fixtures with a text overlay in `eager` (not emulated); outside test bodies the
    # overlay is dropped so the fixtures exist, inside a test body the upload goes out unchanged.
    if _state["phase"] != "call" and "eager" in kwargs and "eager" in os.environ.get("FIDELITY_REWRITES", ""):
        stripped = _without_text_overlays(kwargs["eager"])
        if stripped != kwargs["eager"]:
            _record("cloudinary.uploader.upload(eager without text overlay)")
            kwargs["eager"] = stripped
    return _real_upload(*args, **kwargs)


importlib.import_module("cloudinary.uploader").upload = _set_up_upload


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    _state.update(phase="setup", nodeid=item.nodeid)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    _state.update(phase="call", nodeid=item.nodeid)
    yield
    _state["phase"] = "teardown"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    _state.update(phase="teardown", nodeid=item.nodeid)
    yield


def pytest_runtest_logreport(report):
    entry = _tests.setdefault(report.nodeid, {"reached": [], "stubbed": [], "outcome": {}})
    message = ""
    if report.failed or report.skipped:
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash is not None else str(report.longrepr)
    entry["outcome"][report.when] = {"outcome": report.outcome, "message": message[:400]}


def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["FIDELITY_RAW"], "w", encoding="utf-8") as out:
        json.dump(_tests, out, indent=1)
