"""The what-if page in a real headless Chromium, against a real `corridor serve` process.

Set CORRIDOR_SCREENSHOT=PATH to keep the screenshot (the README's docs/serve.png is made this way).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import hand_made_calibration

ROOT = Path(__file__).resolve().parents[1]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import corridor

    # a calibration of tijuana-2018 whose posterior is known: San Ysidro's list on 1 Oct is 600 or 2,400
    tijuana = corridor.load(ROOT / "scenarios" / "tijuana-2018").scenario
    cal = hand_made_calibration(tmp_path_factory.mktemp("cal") / "hand-made", tijuana, [600, 2400], [0.5, 0.5])
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "corridor.cli", "serve", str(ROOT / "scenarios"), "--port", str(port)]
        + ["--posterior", str(cal)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:
        try:
            with urllib.request.urlopen(url + "/api/scenarios", timeout=2) as r:
                json.load(r)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"corridor serve exited: {proc.stdout.read()[-2000:]}")
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("corridor serve did not answer in 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not on PATH (install the Debian package 'chromium' to run this test)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser test drives Chromium with Playwright")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield b
        b.close()


def test_change_san_ysidro_run_and_read_the_bands(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(server + "/")

    lever = page.locator('[data-lever="ports.san_ysidro.capacity_per_day"]')
    lever.wait_for()
    assert page.locator("#scenario").input_value() == "tijuana-2018"
    assert lever.input_value() == "40"  # the scenario's own value
    lever.fill("100")
    assert "changed" in page.locator(".lever.changed label").first.inner_text()
    page.uncheck("#posterior")  # seeds only here; the posterior's own test is below
    page.fill("#runs", "10")
    page.click("#run")
    page.wait_for_selector("#charts[data-drawn]", timeout=120_000)

    assert page.locator("#error").is_hidden()
    assert page.locator("#results-title").inner_text() == "What if ports.san_ysidro.capacity_per_day=100?"
    assert page.locator("#charts figure canvas").count() >= 7  # the port's three and the shelters'
    row = page.locator("#figures tbody tr", has_text="San Ysidro: people on the list")
    difference = row.locator("td").nth(3).inner_text()
    assert difference.startswith("-"), difference  # three times the claims a day: a shorter list
    status = page.locator("#status").inner_text()
    assert status.startswith("Done: 10 runs and the baseline's"), status

    # the comparison view: each chart becomes the difference with its band
    page.check('input[name="view"][value="difference"]')
    page.wait_for_function("document.querySelector('#charts figcaption').textContent.includes('what-if − baseline')")

    # the map: a day early in the caravans' journey, then the last day
    page.locator("#day").fill("20")
    assert page.locator("#day-label").inner_text() == "2018-10-21"
    assert page.locator("#map .leaflet-overlay-pane canvas, #map .leaflet-overlay-pane svg").count() >= 1

    # the downloads the page links to
    zip_href = page.locator("#download-zip").get_attribute("href")
    assert page.request.get(server + zip_href).headers["content-type"] == "application/zip"

    shot = tmp_path / "serve.png"
    page.locator('input[name="view"][value="bands"]').check()
    page.locator("#day").fill("60")
    page.set_viewport_size({"width": 1280, "height": 1200})
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(500)
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 50_000
    if os.environ.get("CORRIDOR_SCREENSHOT"):
        shutil.copy(shot, os.environ["CORRIDOR_SCREENSHOT"])
    assert not problems, problems
    page.close()


def test_inputs_drawn_from_a_calibration(server, browser):
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(server + "/?scenario=example")
    page.locator("[data-lever]").first.wait_for()
    assert page.locator("#posterior-pick").is_hidden()  # no calibration of the example on this server
    page.select_option("#scenario", "tijuana-2018")
    page.locator('[data-lever="ports.san_ysidro.capacity_per_day"]').wait_for()
    assert page.locator("#posterior-pick").is_visible() and page.locator("#posterior").is_checked()
    assert "calibration hand-made" in page.locator("#posterior-pick").inner_text()
    page.fill("#runs", "6")
    page.fill('[data-lever="ports.san_ysidro.capacity_per_day"]', "100")
    page.click("#run")
    page.wait_for_selector("#charts[data-drawn]", timeout=120_000)
    assert "inputs drawn from the calibration" in page.locator("#status").inner_text()
    inputs = page.locator("#inputs").inner_text()
    assert "drew 1 uncertain input from the calibration hand-made" in inputs
    assert "ports.san_ysidro.initial_waitlist" in inputs
    assert not problems, problems
    page.close()


def test_the_page_fits_a_phone(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(server + "/?scenario=example")
    page.locator("[data-lever]").first.wait_for()
    assert page.locator("#scenario").input_value() == "example"
    page.fill("#runs", "3")
    page.click("#run")
    page.wait_for_selector("#charts[data-drawn]", timeout=120_000)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than a phone's screen"
    assert not problems, problems
    page.close()


def test_a_refused_override_is_shown_in_plain_words(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    lever = page.locator('[data-lever="ports.san_ysidro.capacity_per_day"]')
    lever.wait_for()
    lever.fill("-5")
    page.click("#run")
    error = page.locator("#error")
    error.wait_for(state="visible", timeout=30_000)
    assert "capacity_per_day" in error.inner_text() and "greater than" in error.inner_text()
    page.close()
