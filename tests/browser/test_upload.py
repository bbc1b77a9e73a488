"""The results upload page in chromium: a manager uploads a file of a few thousand rows and watches the progress
bar; a file with problems shows them all in place. The page runs under the site's CSP (no inline script)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from scorecard.models import Actual
from tests.browser.conftest import Watched
from tests.test_web_support import build_enterprise

pytestmark = [pytest.mark.browser, pytest.mark.slow]
URL = "/units/RET/results/upload/"

# Records every state the progress box goes through and the largest percentage the bar showed, on window: the
# upload on loopback is over in moments and the page's content is replaced afterwards.
WATCH_PROGRESS = """() => {
  window.__upload = {states: [], percent: -1, shown: false};
  new MutationObserver(function (records) {
    records.forEach(function (r) {
      var box = r.target;
      if (!box.matches || !box.matches("[data-upload-progress]")) { return; }
      var state = box.getAttribute("data-state");
      if (state && window.__upload.states[window.__upload.states.length - 1] !== state) {
        window.__upload.states.push(state);
      }
      if (!box.hidden) { window.__upload.shown = true; }
    });
  }).observe(document.body, {subtree: true, attributes: true, attributeFilter: ["data-state", "hidden"]});
  setInterval(function () {
    var bar = document.querySelector("[data-upload-progress] progress");
    if (bar && bar.hasAttribute("value")) {
      window.__upload.percent = Math.max(window.__upload.percent, Number(bar.value));
    }
  }, 5);
}"""


def slow_upload(w: Watched, bytes_per_second: int) -> None:
    """Throttle the page's uploads (Chrome DevTools network emulation) so that the bar has time to move."""
    cdp = w.page.context.new_cdp_session(w.page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": bytes_per_second})


def expect_console_400(w: Watched) -> None:
    """Chrome logs every 4xx answer as a console error; the upload's 400 (problems in the file) is meant."""
    expected = [p for p in w.problems if "the server responded with a status of 400" in p and URL in p]
    assert len(expected) == 1, w.problems
    w.problems.remove(expected[0])


def write_csv(path: Path, rows: int) -> Path:
    lines = ["unit,measure,period,value,note"]
    lines += [f"RET,R1.1,{dt.date(1990, 1, 1) + dt.timedelta(days=i)},{i % 250},note {i}" for i in range(rows)]
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


def test_a_manager_uploads_a_large_csv_watches_the_progress_and_sees_the_counts(
    watched: Watched, tree: Any, personas: Any, tmp_path: Path
) -> None:
    build_enterprise(tree)
    before = Actual.objects.count()
    w, page = watched, watched.page
    w.sign_in("ret_manager")
    w.go(URL)
    w.shot("40-upload-page")
    path = write_csv(tmp_path / "history.csv", 4000)  # ~150 KB
    slow_upload(w, 100 * 1024)  # about a second and a half
    page.evaluate(WATCH_PROGRESS)
    page.set_input_files("#id_file", str(path))
    page.click("form[data-upload] button[type=submit]")
    page.wait_for_selector("[data-upload-progress][data-state=uploading]", state="visible")
    assert page.locator("#upload-status").inner_text().startswith("Uploading history.csv:")
    page.wait_for_function("() => window.__upload.percent >= 30")
    w.shot("41-upload-progress")
    page.wait_for_selector(".messages .message.success", timeout=60_000)
    message = page.locator(".messages").inner_text()
    assert message == "Imported history.csv: 4000 rows, 4000 created, 0 updated, 0 unchanged."
    seen = page.evaluate("window.__upload")
    assert seen["shown"] and seen["states"][:2] == ["uploading", "processing"]
    assert seen["percent"] >= 90  # sampled every 5 ms: the last steps may fall between two samples
    assert Actual.objects.count() == before + 4000
    # Post/redirect/get: the address is the upload page's, and the form is ready for the next file.
    assert page.url == w.base + URL
    assert page.locator("[data-upload-progress]").is_hidden()
    w.shot("42-upload-done")


def test_a_file_with_problems_lists_them_all_in_place_and_writes_nothing(
    watched: Watched, tree: Any, personas: Any, tmp_path: Path
) -> None:
    build_enterprise(tree)
    before = Actual.objects.count()
    w, page = watched, watched.page
    w.sign_in("ret_updater")
    w.go(URL)
    path = tmp_path / "q4.csv"
    path.write_text("unit,measure,period,value,note\nRET,R1.1,2026-12-31,1,\nNOPE,R1.1,2026-12-31,1,\n"
                    "RET,R2.1,31/12/2026,1,\nRET,R2.1,2026-12-31,lots,\nWHS,W1,2026-12-31,1,\n")
    page.set_input_files("#id_file", str(path))
    page.check("#id_dry_run")
    page.click("form[data-upload] button[type=submit]")
    page.wait_for_selector("table.upload-errors")
    assert page.locator(".error-summary").inner_text().startswith("Nothing was written. q4.csv has 4 problems")
    assert page.locator("table.upload-errors tbody tr").count() == 4
    # Focus moves to the summary, so that keyboard and screen reader users land on it.
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.is_checked("#id_dry_run")  # the choice is kept for the next try
    assert Actual.objects.count() == before
    expect_console_400(w)
    w.shot("43-upload-errors")
    # A file over the limit is refused before it is sent.
    big = tmp_path / "big.csv"
    with big.open("wb") as out:
        out.truncate(51 * 1024 * 1024)
    page.set_input_files("#id_file", str(big))
    page.click("form[data-upload] button[type=submit]")
    assert "is larger than the 50 MB a results file may have" in page.locator("#upload-status").inner_text()
    assert page.get_attribute("#id_file", "aria-invalid") == "true"
