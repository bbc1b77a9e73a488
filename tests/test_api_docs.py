"""The OpenAPI schema documents the error responses and If-Match; the interactive docs load from our own
static files (no CDN), so they work offline."""

from __future__ import annotations

import re

import pytest
import yaml
from django.test import Client

from tests.test_api_support import World, client_for, world_fixture  # noqa: F401


@pytest.fixture
def schema(db) -> dict:
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, op


def test_the_schema_is_openapi_3_and_covers_every_resource(schema: dict) -> None:
    assert schema["openapi"].startswith("3.")
    for resource in ("units", "maps", "perspectives", "themes", "objectives", "links", "alignments", "measures",
                     "actuals", "initiatives", "impacts", "milestones", "memberships"):
        assert f"/api/{resource}/" in schema["paths"]
        assert set(schema["paths"][f"/api/{resource}/{{id}}/"]) >= {"get", "put", "patch", "delete"}
    assert "post" in schema["paths"]["/api/units/{id}/results/"]


def test_every_operation_documents_its_error_responses(schema: dict) -> None:
    for path, method, op in operations(schema):
        if not path.startswith("/api/") or path in ("/api/schema/",):
            continue
        codes = set(op["responses"])
        assert {"401", "403", "404"} <= codes, (path, method)
        if method in {"post", "put", "patch"}:
            assert "400" in codes, (path, method)
        if method in {"put", "patch", "delete"}:
            assert {"412", "428"} <= codes, (path, method)
            params = {(p["in"], p["name"]): p for p in op.get("parameters", [])}
            assert params[("header", "If-Match")]["required"] is True


def test_no_request_body_accepts_form_data_and_ids_are_read_only(schema: dict) -> None:
    for _path, _method, op in operations(schema):
        if "requestBody" in op:
            assert set(op["requestBody"]["content"]) == {"application/json"}
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            assert not {"id", "version", "unit_code"} & set(component.get("properties", {})), name


def test_the_docs_page_loads_swagger_ui_from_our_static_files(db) -> None:
    client = Client()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "//cdn" not in html and "unpkg" not in html and "jsdelivr" not in html
    scripts = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(s.endswith("swagger-ui-bundle.js") for s in scripts)
    for url in scripts:
        asset = client.get(url)
        assert asset.status_code == 200, url
        asset.close()
    # No inline script: the start-up script comes from our own URL, so the CSP's script-src 'self' holds.
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert not re.search(r"<script>\s*\S", html)
    start = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', html)
    assert start is not None
    init = client.get(start.group(1).replace("&amp;", "&"))
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert b"/api/schema/" in init.content


def test_the_api_answers_json_only_outside_debug(world: World) -> None:
    response = client_for(world.personas.viewer).get("/api/objectives/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert client_for(world.personas.viewer).get("/api/objectives/")["Content-Type"] == "application/json"


def api_settings_outside_tests(debug: str) -> dict:
    """REST_FRAMEWORK as a real process (not pytest) reads it, with DEBUG set as given."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DEBUG": debug}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "import json; from django.conf import settings; print(json.dumps(settings.REST_FRAMEWORK))"],
        cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True, timeout=120, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_outside_tests_there_is_no_basic_auth_and_json_is_the_only_renderer() -> None:
    production = api_settings_outside_tests("false")
    assert production["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "rest_framework.authentication.TokenAuthentication", "rest_framework.authentication.SessionAuthentication"]
    assert production["DEFAULT_RENDERER_CLASSES"] == ["rest_framework.renderers.JSONRenderer"]
    development = api_settings_outside_tests("true")
    assert "rest_framework.renderers.BrowsableAPIRenderer" in development["DEFAULT_RENDERER_CLASSES"]
