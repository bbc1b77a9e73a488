"""The interactive API docs in a real browser (Debian's chromium through Playwright), with every request that
leaves the live server blocked: Swagger UI must load from our own static files, start under the project's
Content-Security-Policy and show every operation of the schema, with no console error."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.browser
def test_the_swagger_docs_render_offline_under_the_csp(browser: Any, live_server: Any) -> None:
    # Uses the session's one browser (tests/browser/conftest.py): a second sync_playwright() in the same
    # process fails while the first is running.
    external: list[str] = []
    problems: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    context = browser.new_context()
    try:
        context.route("**/*", only_local)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(live_server.url + "/api/docs/")
        page.wait_for_selector(".swagger-ui .info .title", timeout=30000)
        title = page.inner_text(".swagger-ui .info .title")
        operations = page.locator(".opblock").count()
    finally:
        context.close()
    assert "Scorecard Cascade API" in title
    assert operations >= 80, operations
    assert external == []
    assert problems == []
