"""The interactive API docs in a real browser (Debian's chromium through Playwright), with every request that
leaves the live server blocked: Swagger UI must load from our own static files, start under the project's
Content-Security-Policy and show every operation of the schema, with no console error."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server thread + Playwright's event loop

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.mark.browser
def test_the_swagger_docs_render_offline_under_the_csp(live_server: Any) -> None:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make setup` (installs Debian's chromium).")
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    problems: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context()
            context.route("**/*", only_local)
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(live_server.url + "/api/docs/")
            page.wait_for_selector(".swagger-ui .info .title", timeout=30000)
            title = page.inner_text(".swagger-ui .info .title")
            operations = page.locator(".opblock").count()
        finally:
            browser.close()
    assert "Scorecard Cascade API" in title
    assert operations >= 80, operations
    assert external == []
    assert problems == []
