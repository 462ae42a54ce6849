"""The web front's security headers: one template (deploy/nginx/templates/security-headers.conf.template),
rendered the way the nginx image's entrypoint does it (GNU envsubst, restricted to the CLOUDINARY_* variables)
with the environment the Kubernetes manifests and compose give the web container, then checked directive by
directive. The same template feeds `vite preview` (web/vite.config.ts), which e2e/test_web_csp.py drives."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.tests.k8s_manifests import Obj, by_name, pod_environment, render

ROOT = Path(__file__).resolve().parents[2]
NGINX = ROOT / "deploy" / "nginx"
TEMPLATE = NGINX / "templates" / "security-headers.conf.template"
DOCKERFILE = ROOT / "web" / "Dockerfile"
K8S = ROOT / "deploy" / "k8s"
VARIABLES = ("CLOUDINARY_API_ORIGIN", "CLOUDINARY_DELIVERY_ORIGINS")


def dockerfile_env() -> dict[str, str]:
    """The ENV values web/Dockerfile sets (one `ENV a=b \\` block)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return {k: v for line in re.findall(r"^ENV (.+)$", text, re.MULTILINE) for k, v in re.findall(r"(\w+)=(\S+)", line)}


def envsubst(template: str, env: dict[str, str]) -> str:
    """What the image's 20-envsubst-on-templates.sh writes: only the filtered variables are replaced."""
    binary = shutil.which("envsubst")
    if binary is None:
        pytest.fail("envsubst (GNU gettext) is missing: the nginx image renders the template with it")
    filter_ = re.compile(dockerfile_env()["NGINX_ENVSUBST_FILTER"])
    names = " ".join(f"${{{name}}}" for name in env if filter_.search(name))
    done = subprocess.run([binary, names], input=template, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def headers(rendered: str) -> dict[str, str]:
    """The `add_header Name "value" always;` lines of a rendered snippet."""
    found = dict(re.findall(r'^add_header ([\w-]+) "([^"]*)" always;$', rendered, re.MULTILINE))
    # Every add_header line is of that one form (vite.config.ts parses it the same way).
    assert len(found) == len(re.findall(r"^add_header ", rendered, re.MULTILINE)), rendered
    return found


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def policy_problems(sent: dict[str, str], api: str, delivery: list[str]) -> list[str]:
    """What is wrong with a rendered set of headers for these Cloudinary hosts (empty: nothing)."""
    problems = []
    csp = directives(sent.get("Content-Security-Policy", ""))
    expected = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *delivery],
        "connect-src": ["'self'", api],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    for name, sources in expected.items():
        if csp.get(name) != sources:
            problems.append(f"{name}: {csp.get(name)} instead of {sources}")
    if any("unsafe" in source for sources in csp.values() for source in sources):
        problems.append("an 'unsafe-*' source")
    if "$" in sent.get("Content-Security-Policy", "$"):
        problems.append("an unrendered variable")
    if sent.get("X-Frame-Options") != "DENY":
        problems.append("X-Frame-Options is not DENY")
    features = dict(f.split("=", 1) for f in sent.get("Permissions-Policy", "").split(", ") if "=" in f)
    if features.get("camera") != "(self)" or any(v != "()" for k, v in features.items() if k != "camera"):
        problems.append(f"Permissions-Policy: {features}")
    if sent.get("X-Content-Type-Options") != "nosniff" or sent.get("Referrer-Policy") != "same-origin":
        problems.append("X-Content-Type-Options or Referrer-Policy")
    if "Strict-Transport-Security" in sent:
        problems.append("HSTS on plain http")
    return problems


def uncovered_locations(conf: str, include: str) -> list[str]:
    """Locations with an add_header of their own (which drops the server's) that do not include the headers."""
    problems = []
    if not re.search(rf"^    include {re.escape(include)};$", conf, re.MULTILINE):
        problems.append("server")
    for name, body in re.findall(r"location ([^{]+)\{([^}]*)\}", conf):
        if "add_header" in body and f"include {include};" not in body:
            problems.append(name.strip())
    return problems


def web_environment(directory: Path) -> dict[str, str]:
    objects = render(directory)
    return pod_environment(by_name(objects, "Deployment")["web"], objects, [])


@pytest.mark.parametrize("overlay", ["base", "overlays/production"])
def test_kubernetes_renders_the_policy_with_cloudinarys_hosts(overlay: str) -> None:
    env = web_environment(K8S / overlay)
    rendered = envsubst(TEMPLATE.read_text(), env)

    assert policy_problems(headers(rendered), "https://api.cloudinary.com", ["https://res.cloudinary.com"]) == []


def test_the_images_defaults_render_the_same_policy() -> None:
    env = {k: v for k, v in dockerfile_env().items() if k in VARIABLES}
    rendered = envsubst(TEMPLATE.read_text(), env)

    assert policy_problems(headers(rendered), "https://api.cloudinary.com", ["https://res.cloudinary.com"]) == []


def test_a_second_delivery_host_and_an_emulator_render_too() -> None:
    env = {
        "CLOUDINARY_API_ORIGIN": "http://localhost:8003",
        "CLOUDINARY_DELIVERY_ORIGINS": "http://localhost:8003 https://img.example.com",
    }
    rendered = envsubst(TEMPLATE.read_text(), env)

    assert (
        policy_problems(
            headers(rendered), "http://localhost:8003", ["http://localhost:8003", "https://img.example.com"]
        )
        == []
    )


def test_nginx_variables_survive_the_rendering() -> None:
    """The filter keeps envsubst off nginx's own $variables even when the environment has such a name."""
    rendered = envsubst(
        'add_header X-Test "$uri ${CLOUDINARY_API_ORIGIN}" always;', {"uri": "x", "CLOUDINARY_API_ORIGIN": "o"}
    )

    assert rendered == 'add_header X-Test "$uri o" always;'


def test_policy_check_catches_each_breakage() -> None:
    good = headers(envsubst(TEMPLATE.read_text(), {"CLOUDINARY_API_ORIGIN": "a", "CLOUDINARY_DELIVERY_ORIGINS": "d"}))
    assert policy_problems(good, "a", ["d"]) == []
    csp = good["Content-Security-Policy"]
    for broken, expected in (
        (
            {"Content-Security-Policy": csp.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")},
            "script-src",
        ),
        (
            {
                "Content-Security-Policy": csp.replace(
                    "connect-src 'self' a", "connect-src 'self' ${CLOUDINARY_API_ORIGIN}"
                )
            },
            "connect-src",
        ),
        ({"Content-Security-Policy": csp.replace("frame-ancestors 'none'", "frame-ancestors *")}, "frame-ancestors"),
        ({"Permissions-Policy": good["Permissions-Policy"].replace("camera=(self)", "camera=*")}, "Permissions-Policy"),
        (
            {"Permissions-Policy": good["Permissions-Policy"].replace("microphone=()", "microphone=(self)")},
            "Permissions-Policy",
        ),
        ({"X-Frame-Options": "SAMEORIGIN"}, "X-Frame-Options"),
        ({"Strict-Transport-Security": "max-age=63072000"}, "HSTS"),
    ):
        assert any(expected in p for p in policy_problems(good | broken, "a", ["d"])), expected


def test_every_location_sends_the_headers() -> None:
    conf = (NGINX / "default.conf").read_text()
    include = f"{dockerfile_env()['NGINX_ENVSUBST_OUTPUT_DIR']}/{TEMPLATE.name.removesuffix('.template')}"

    assert uncovered_locations(conf, include) == []
    # The check can fail: a location with its own add_header and no include drops the server's headers.
    broken = conf.replace(f"        include {include};\n", "")
    assert uncovered_locations(broken, include) == ["/assets/"]


def test_the_image_renders_the_template_where_nginx_includes_it() -> None:
    text = DOCKERFILE.read_text()
    env = dockerfile_env()

    assert "COPY deploy/nginx/templates/ /etc/nginx/templates/" in text
    assert env["NGINX_ENVSUBST_FILTER"] == "^CLOUDINARY_"
    assert f"mkdir -p {env['NGINX_ENVSUBST_OUTPUT_DIR']} && chown 101:101 {env['NGINX_ENVSUBST_OUTPUT_DIR']}" in text
    # Every ${...} of the template has a default in the image, so nginx never starts with an empty host.
    assert set(re.findall(r"\$\{(\w+)\}", TEMPLATE.read_text())) == set(VARIABLES) <= set(env)


def test_kubernetes_gives_the_web_container_the_variables_and_a_writable_output_directory() -> None:
    objects = render(K8S / "base")
    spec: Obj = by_name(objects, "Deployment")["web"]["spec"]["template"]["spec"]
    container = spec["containers"][0]
    empty_dirs = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
    output = dockerfile_env()["NGINX_ENVSUBST_OUTPUT_DIR"]

    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert any(m["mountPath"] == output and m["name"] in empty_dirs for m in container["volumeMounts"])
    assert set(VARIABLES) <= {e["name"] for e in container["env"]}


def test_compose_passes_the_emulators_origin() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = compose["services"]["web"]["environment"]
    emulator_url = compose["services"]["cloudinary-emulator"]["environment"]["EMULATOR_PUBLIC_URL"]

    for name in VARIABLES:
        assert env[name] == f"${{{name}:-http://localhost:8003}}"
    assert emulator_url.endswith(":-http://localhost:8003}")


def test_hsts_is_documented_for_tls_deployments() -> None:
    readme = (NGINX / "README.md").read_text()

    assert "Strict-Transport-Security" in readme
    assert "Strict-Transport-Security" not in TEMPLATE.read_text()
