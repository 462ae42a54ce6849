"""No Docker engine runs here, so the container files are checked statically against their specifications."""

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = files("check_jsonschema") / "builtin_schemas" / "vendor"


def load_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def schema(name: str) -> dict[str, Any]:
    data = json.loads((SCHEMAS / f"{name}.json").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_yaml(ROOT / "docker-compose.yml")


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    jsonschema.validate(compose, schema("compose-spec"))


def test_compose_runs_mongodb_8_with_a_volume_and_a_healthcheck(compose: dict[str, Any]) -> None:
    mongodb = compose["services"]["mongodb"]

    assert mongodb["image"] == "mongo:8"
    assert any(str(volume).endswith(":/data/db") for volume in mongodb["volumes"])
    assert "healthcheck" in mongodb


def test_every_built_service_has_its_dockerfile_and_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert "healthcheck" in service, f"{name} has no healthcheck"
        if "build" not in service:
            continue
        dockerfile = ROOT / service["build"]["context"] / service["build"]["dockerfile"]
        assert dockerfile.is_file(), f"{name}: {dockerfile} is missing"
        text = dockerfile.read_text()
        assert "HEALTHCHECK" in text, f"{dockerfile} has no HEALTHCHECK"
        assert re.search(r"^USER (?!root)\S+", text, re.MULTILINE) or "nginx-unprivileged" in text, (
            f"{dockerfile} runs as root"
        )


def test_python_images_are_multi_stage_and_install_from_the_lock_file(compose: dict[str, Any]) -> None:
    for name in ("auth-service", "profile-service", "cloudinary-emulator"):
        text = (ROOT / name / "Dockerfile").read_text()
        assert text.count("FROM ") >= 2, f"{name}: not multi-stage"
        assert "uv sync --frozen" in text, f"{name}: does not install from uv.lock"


def test_python_images_run_as_the_numeric_uid_the_kubernetes_manifests_enforce() -> None:
    # runAsNonRoot can only be checked by the kubelet for a numeric USER.
    for name in ("auth-service", "profile-service", "cloudinary-emulator"):
        assert re.search(r"^USER 10001:10001$", (ROOT / name / "Dockerfile").read_text(), re.MULTILINE), name
    for name in ("auth-service", "profile-service"):
        deployment = load_yaml(ROOT / "deploy" / "k8s" / "base" / name / "deployment.yaml")
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 10001, name


def test_services_wait_for_healthy_dependencies(compose: dict[str, Any]) -> None:
    for name in ("auth-service", "profile-service"):
        depends = compose["services"][name]["depends_on"]
        assert depends["mongodb"] == {"condition": "service_healthy"}, name


def test_required_secrets_fail_fast_instead_of_defaulting(compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()

    assert "${CLOUDINARY_URL:?" in text
    assert "api_secret" not in text.lower()


def test_reverse_proxy_serves_both_apis_and_the_web_app_from_one_origin() -> None:
    conf = (ROOT / "deploy" / "nginx" / "default.conf").read_text()

    for path, upstream in (
        ("/auth/", "auth_service"),
        ("/.well-known/", "auth_service"),
        ("/profiles/", "profile_service"),
        ("/admin/moderation/", "profile_service"),
        ("/admin/profiles/", "profile_service"),
        ("/admin/", "auth_service"),
    ):
        assert re.search(rf"location {re.escape(path)} {{ proxy_pass http://{upstream}; }}", conf), path
    assert "try_files $uri $uri.html /index.html" in conf
    # A public profile gets the page built for it (web/vite-prerender.ts: PROFILE_PAGE).
    assert re.search(r"location /u/ \{\s*root /usr/share/nginx/html;\s*try_files /u.html =404;\s*\}", conf)


# A browser path (with its query) -> the service that must answer it; None: the web app itself (the SPA).
ONE_ORIGIN_ROUTES = {
    "/auth/login": "auth",
    "/.well-known/jwks.json": "auth",
    "/profiles/me": "profile",
    "/admin/users?q=ann&limit=25": "auth",
    "/admin/users/u1": "auth",
    "/admin/users/u1/suspend": "auth",
    "/admin/audit?cursor=x": "auth",
    "/admin/moderation?status=pending": "profile",
    "/admin/moderation/up1/approve": "profile",
    "/admin/moderation/audit?limit=25": "profile",
    "/admin/profiles/u1/avatar": "profile",
    "/console/moderation": None,
    "/console": None,
}


def nginx_route(conf: str, url: str) -> str | None:
    """nginx's choice: an exact `location =` first, else the longest prefix (the order in the file is irrelevant)."""
    path = url.split("?")[0]
    locations = re.findall(r"location (=\s+)?(\S+) \{ proxy_pass http://(\w+)_service; \}", conf)
    for exact, prefix, upstream in locations:
        if exact and prefix == path:
            return str(upstream)
    prefixes = [(prefix, upstream) for exact, prefix, upstream in locations if not exact and path.startswith(prefix)]
    return str(max(prefixes, key=lambda p: len(p[0]))[1]) if prefixes else None


def vite_route(config: str, url: str) -> str | None:
    """Vite's choice: the first key of `proxy`, in order, that the URL (query included) starts with."""
    for prefix, target in re.findall(r'"(/[^"]*)": \{ target: (auth|profile)Url', config):
        if url.startswith(prefix):
            return str(target)
    return None


@pytest.mark.parametrize("url", sorted(ONE_ORIGIN_ROUTES))
def test_nginx_and_vite_send_each_path_to_the_same_service(url: str) -> None:
    conf = (ROOT / "deploy" / "nginx" / "default.conf").read_text()
    config = (ROOT / "web" / "vite.config.ts").read_text()

    assert nginx_route(conf, url) == ONE_ORIGIN_ROUTES[url], "nginx"
    assert vite_route(config, url) == ONE_ORIGIN_ROUTES[url], "vite"


WORKFLOWS = ROOT / ".github" / "workflows"


def load_workflow(path: Path) -> dict[str, Any]:
    workflow = load_yaml(path)
    # YAML 1.1 reads the bare key `on` as the boolean True; GitHub reads it as "on".
    workflow["on"] = workflow.pop(True)  # type: ignore[call-overload]
    return workflow


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_every_github_workflow_follows_the_workflow_schema(path: Path) -> None:
    jsonschema.validate(load_workflow(path), schema("github-workflows"))


def test_the_workflow_schema_check_can_fail() -> None:
    workflow = load_workflow(WORKFLOWS / "advisories.yml")
    workflow["jobs"]["npm"]["steps"][0]["uses"] = ["not", "a", "string"]

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(workflow, schema("github-workflows"))


def test_github_workflow_is_valid_and_tests_against_real_mongodb() -> None:
    workflow = load_workflow(WORKFLOWS / "ci.yml")

    job = workflow["jobs"]["test"]
    assert job["services"]["mongodb"]["image"] == "mongo:8"
    assert job["env"]["MONGODB_URI"].startswith("mongodb://")
    assert any(step.get("run") == "make test" for step in job["steps"])


def test_advisories_workflow_audits_every_lock_with_the_exceptions_file() -> None:
    workflow = load_workflow(WORKFLOWS / "advisories.yml")
    runs = {name: "\n".join(step.get("run", "") for step in job["steps"]) for name, job in workflow["jobs"].items()}
    exceptions = ".github/advisory-exceptions.toml"

    assert "schedule" in workflow["on"], "advisories appear without a change: run on a schedule too"
    # Python: the whole locked workspace, exported from uv.lock, audited as it is, less the accepted ids.
    assert "uv export --frozen --all-packages --all-groups --no-emit-workspace" in runs["python"]
    assert f"scripts/advisories.py pip-args {exceptions}" in runs["python"]
    assert "pip-audit --requirement" in runs["python"] and "--disable-pip" in runs["python"]
    assert "$ignored" in runs["python"]
    # npm: the audit's report, filtered by the same file, failing at moderate and above.
    npm = workflow["jobs"]["npm"]
    (audit,) = [step for step in npm["steps"] if "npm audit" in step.get("run", "")]
    # Every npm lock in the repository, one matrix entry each.
    locks = sorted(
        str(path.parent.relative_to(ROOT))
        for path in ROOT.glob("*/**/package-lock.json")
        if "node_modules" not in path.parts
    )
    assert audit["working-directory"] == "${{ matrix.directory }}"
    assert sorted(npm["strategy"]["matrix"]["directory"]) == locks
    assert "npm audit --json" in audit["run"]
    assert f'advisories.py" npm-check "$GITHUB_WORKSPACE/{exceptions}"' in audit["run"]
    assert "--level moderate" in audit["run"]
    assert (ROOT / exceptions).is_file()
