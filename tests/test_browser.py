"""The dashboard in a real browser: Debian's chromium driven by Playwright (never
`playwright install`; `.ci/run` installs chromium from Debian).

The app is served by uvicorn on a free loopback port. Each page must load with no console error
and no failed request (everything it needs is served by the app itself), show the hostile
text of the results as text, and a role without the permission gets 403. Screenshots go to
`test-artifacts/browser/`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from conftest import PASSWORD, XSS, add_user, write_hostile_results

from countylines.web.app import create_app
from countylines.workspace import Workspace

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "browser"
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (Debian)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, workspace: Workspace) -> Iterator[str]:
    for role in ("viewer", "analyst", "safeguarding"):
        add_user(workspace, role, role)
    app = create_app(write_hostile_results(tmp_path / "results"), workspace)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


def _page(browser, base: str, user: str):  # type: ignore[no-untyped-def]
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)  # fmt: skip
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("dialog", lambda d: problems.append(f"dialog (script ran): {d.message}"))
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.wait_for_load_state("networkidle")  # let the icon load before the next navigation
    return page, problems


def test_pages_load_cleanly_and_show_hostile_text_as_text(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page, problems = _page(browser, server, "analyst")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shown = {}
    pages = (("/", "overview"), ("/lines", "lines"), ("/lines/L001", "line"),
             ("/people", "people"), ("/homes", "homes"), ("/places", "places"),
             ("/violence", "violence"), ("/downloads", "downloads"))  # fmt: skip
    for path, shot in pages:
        response = page.goto(f"{server}{path}", wait_until="networkidle")
        assert response is not None and response.status == 200, path
        page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
        # no script but the app's own (not even injected ones)
        assert page.locator("script:not([src^='/static/'])").count() == 0, path
        shown[shot] = page.inner_text("main")
    assert XSS[0] in shown["lines"] and XSS[1] in shown["lines"]
    assert XSS[3] in shown["line"] and "PH-" in shown["line"]
    assert XSS[0] in shown["places"] and XSS[1] in shown["violence"]
    assert "report-public.html" in shown["downloads"] and "people/" not in shown["downloads"]
    assert problems == []


def test_the_places_table_sorts_by_a_clicked_column(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page, problems = _page(browser, server, "viewer")
    page.goto(f"{server}/places", wait_until="networkidle")
    towns = page.locator("table.sortable").first
    first = towns.locator("tbody tr td:first-child")
    assert first.all_inner_texts() == ["Hereford", XSS[0]]  # most serious class first
    towns.locator("th", has_text="Score").click()  # ascending score
    assert first.all_inner_texts() == [XSS[0], "Hereford"]
    assert problems == []


def test_only_safeguarding_opens_person_pages(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page, problems = _page(browser, server, "safeguarding")
    page.goto(f"{server}/people", wait_until="networkidle")
    page.locator("table.register tbody a").first.click()
    page.wait_for_load_state("networkidle")
    person_url = page.url
    assert "/people/PE-" in person_url
    assert "runner numbers linked" in page.inner_text("main").lower()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "person.png"), full_page=True)
    assert problems == []
    analyst, _ = _page(browser, server, "analyst")
    response = analyst.goto(person_url)
    assert response is not None and response.status == 403


def test_the_map_draws_its_polygons_and_popups_are_text(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page, problems = _page(browser, server, "viewer")
    response = page.goto(f"{server}/map", wait_until="networkidle")
    assert response is not None and response.status == 200
    page.wait_for_selector("path.leaflet-interactive")
    assert page.locator("path.leaflet-interactive").count() >= 3  # two areas and a link
    page.locator("path.leaflet-interactive").first.click(force=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map.png"), full_page=True)
    page.locator("path.leaflet-interactive").nth(1).click(force=True)  # Ledbury, off the link
    popup = page.locator(".leaflet-popup-content", has_text="Ledbury").inner_text()
    assert "Ledbury" in popup and "near a station" in popup and "BTP patrols" in popup
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert problems == []


def test_a_viewer_cannot_open_line_pages(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page, _ = _page(browser, server, "viewer")
    response = page.goto(f"{server}/lines/L001")
    assert response is not None and response.status == 403
    assert "may not see this page" in page.inner_text("body")
