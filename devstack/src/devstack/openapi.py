"""The web app's API types, generated from both services' OpenAPI documents (`make api-types`).

Each app is built in this process with throwaway settings: building a Litestar app does no I/O (the Mongo
client and the workers live in lifespans that never run here), so no database or key server is needed.
The running services serve the same documents at `/schema/openapi.json`; e2e/test_api_types.py checks
that the committed files still match them.
"""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SERVICES = ("auth-service", "profile-service")
GENERATED = Path("web") / "src" / "api" / "generated"
COMMAND = "make api-types"


def auth_schema() -> dict[str, Any]:
    """auth-service's OpenAPI document, from an app built with a fresh signing key."""
    from auth_service.app import create_app
    from auth_service.config import Settings

    key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    settings = Settings(mongodb_uri="mongodb://127.0.0.1:9", issuer="http://auth.invalid", signing_key=key.decode())
    return create_app(settings).openapi_schema.to_schema()


def profile_schema() -> dict[str, Any]:
    """profile-service's OpenAPI document, from an app built with placeholder URLs (never contacted)."""
    from profile_service.app import create_app
    from profile_service.config import Settings

    settings = Settings(
        mongodb_uri="mongodb://127.0.0.1:9",
        cloudinary_url="cloudinary://123456789012345:placeholder-secret@placeholder",
        auth_issuer="http://auth.invalid",
        auth_jwks_url="http://auth.invalid/.well-known/jwks.json",
        public_webhook_url="http://profile.invalid/webhooks/cloudinary",
    )
    return create_app(settings).openapi_schema.to_schema()


def schemas() -> dict[str, dict[str, Any]]:
    """Both documents, keyed by service name."""
    return {"auth-service": auth_schema(), "profile-service": profile_schema()}


def generate(schema: dict[str, Any], out: Path, web_dir: Path) -> None:
    """Run the web app's pinned openapi-typescript on one document, writing `out`.

    The document goes through a temporary file rather than stdin: openapi-typescript resolves the
    input's location, and a file keeps its output free of anything machine-specific.
    """
    npx = shutil.which("npx")
    if npx is None:
        raise RuntimeError("npx not found: install Node.js 20 (make install)")
    spec = out.with_suffix(".openapi.json")
    spec.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    try:
        subprocess.run(
            [npx, "--no-install", "openapi-typescript", str(spec.resolve()), "--output", str(out.resolve())],
            cwd=web_dir,
            check=True,
        )
    finally:
        spec.unlink(missing_ok=True)


def write_types(root: Path) -> list[Path]:
    """Regenerate `web/src/api/generated/<service>.ts` for both services; returns the files written."""
    web_dir = root / "web"
    target = root / GENERATED
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        out = target / f"{name}.ts"
        generate(schema, out, web_dir)
        written.append(out)
    return written
