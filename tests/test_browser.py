"""End to end: a real index, `streamlit run ui/app.py`, and headless Chromium via Playwright.

Needs /usr/bin/chromium (apt-get install chromium); Playwright's own browser download is not
used. Screenshots go to test-artifacts/ (git-ignored); the chat-with-citation screenshot is
also copied to docs/screenshot-chat.png for the README.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOT_DOC = ROOT / "docs" / "screenshot-chat.png"
QUESTION = "How are new MIC topics selected?"
ANSWER_TIMEOUT_MS = 120_000
log = logging.getLogger(__name__)

if not Path(CHROMIUM).exists():
    # on a developer's machine without Chromium the browser tests step aside; CI installs it and must run them
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is not installed at /usr/bin/chromium; .ci/run installs it with apt-get.")
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)
from playwright import sync_api  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index built from the corpus into a private data dir."""
    from ingest.build import build_index
    from rag.settings import Settings

    path = tmp_path_factory.mktemp("micqa-browser") / "data"
    build_index(Settings.from_env(data_dir=path))
    return path


@pytest.fixture(scope="session")
def app_url(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "MICQA_DATA_DIR": str(data_dir)}
    env.pop("MICQA_LLM", None)  # the embedded answerer: no network, deterministic
    log_path = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "ui/app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"streamlit exited early:\n{log_path.read_text()}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start:\n{log_path.read_text()}")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.info("streamlit log:\n%s", log_path.read_text()[-4000:])


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page_factory(browser: object, app_url: str) -> Iterator:
    """Fresh browser contexts (separate cookies/sessions); dialogs are recorded, never shown."""
    contexts = []

    def make():
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(ctx)
        page = ctx.new_page()
        page.dialogs = []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.goto(app_url)
        page.locator('[data-testid="stChatInputTextArea"]').wait_for(timeout=ANSWER_TIMEOUT_MS)
        _idle(page)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def _idle(page) -> None:
    """Wait for the script run to finish: a click during a rerun can land on a widget that is replaced."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=ANSWER_TIMEOUT_MS)


def _shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def _ask(page, question: str) -> None:
    before = page.locator('[data-testid="stChatMessage"]').count()
    box = page.locator('[data-testid="stChatInputTextArea"]')
    box.fill(question)
    box.press("Enter")
    # An answer has arrived once the assistant bubble shows its backend/latency caption or an error/refusal.
    page.wait_for_function(
        """(n) => {
            const msgs = document.querySelectorAll('[data-testid="stChatMessage"]');
            if (msgs.length < n + 2) return false;
            const last = msgs[msgs.length - 1].innerText;
            return /embedded ·|Not in the report|Try again/.test(last);
        }""",
        arg=before,
        timeout=ANSWER_TIMEOUT_MS,
    )
    _idle(page)


def _messages(page) -> list[str]:
    return page.locator('[data-testid="stChatMessage"]').all_inner_texts()


def test_ask_click_citation_shows_highlighted_passage(page_factory) -> None:
    page = page_factory()
    _ask(page, QUESTION)
    msgs = _messages(page)
    assert QUESTION in msgs[0]
    chip = page.get_by_role("button", name="[1]", exact=True)
    chip.first.wait_for(timeout=10_000)
    chip.first.click()
    panel = page.locator(".st-key-source-panel")
    panel.get_by_text("Source [1]").wait_for(timeout=30_000)
    highlight = panel.locator(".stMarkdownColoredBackground")
    highlight.first.wait_for(timeout=30_000)
    assert highlight.first.inner_text().strip()
    assert "Section:" in panel.inner_text()
    page.wait_for_timeout(500)  # let the layout settle for the screenshot
    path = _shot(page, "chat-citation")
    SCREENSHOT_DOC.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, SCREENSHOT_DOC)


def test_report_browser_table_and_map(page_factory) -> None:
    page = page_factory()
    page.locator('[data-testid="stSidebar"]').get_by_text("Report browser", exact=True).click()
    page.get_by_role("heading", name="Report browser").wait_for(timeout=30_000)
    _idle(page)
    assert page.locator('[data-testid="stExpander"]').count() > 10  # the table of contents
    page.get_by_role("tab", name="MIC table and map").click()
    panel = page.locator('[role="tabpanel"]:visible')
    charts = panel.locator('[data-testid="stVegaLiteChart"]')
    charts.nth(1).wait_for(timeout=30_000)  # the per-year chart, then the map
    assert panel.locator('[data-testid="stDataFrame"]').count() == 1
    charts.nth(1).scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # vega renders asynchronously
    assert "Harbin" in charts.nth(1).inner_text() or charts.nth(1).locator("canvas, svg").count() > 0
    _shot(page, "report-map")
    page.get_by_role("tab", name="Programs (Table 2)").click()
    page.locator('[role="tabpanel"]:visible').get_by_text("Budget unknown").wait_for(timeout=30_000)
    _shot(page, "report-table-2")


def test_lookup_reference(page_factory) -> None:
    page = page_factory()
    page.locator('[data-testid="stSidebar"]').get_by_text("Look up a citation", exact=True).click()
    page.get_by_role("heading", name="Look up a citation").wait_for(timeout=30_000)
    _idle(page)
    field = page.locator(".st-key-lookup-ref input")
    field.wait_for(timeout=30_000)
    field.fill("[20]")
    page.get_by_role("button", name="Look up").click()
    page.get_by_text("Reference [20]").first.wait_for(timeout=30_000)
    field.fill("A.1/999")
    page.get_by_role("button", name="Look up").click()
    page.locator('[data-testid="stAlertContentError"]').wait_for(timeout=30_000)
    _shot(page, "lookup")


def test_two_browser_contexts_do_not_share_history(page_factory) -> None:
    first = page_factory()
    second = page_factory()
    _ask(first, QUESTION)
    second.reload()
    second.locator('[data-testid="stChatInputTextArea"]').wait_for(timeout=ANSWER_TIMEOUT_MS)
    second.wait_for_timeout(1000)
    assert _messages(second) == []
    _ask(second, "Which industry sectors do the MICs focus on?")
    assert not any(QUESTION in m for m in _messages(second))
    first.wait_for_timeout(500)
    assert not any("Which industry sectors" in m for m in _messages(first))


def test_html_payload_is_shown_not_executed(page_factory) -> None:
    page = page_factory()
    payload = (
        "<script>window.__pwned = 1; alert('script')</script>"
        "<img src=x onerror=\"window.__pwned = 2; alert('img')\"> what does the report say?"
    )
    _ask(page, payload)
    page.wait_for_timeout(1000)  # give any injected handler time to fire
    assert page.dialogs == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator('[data-testid="stChatMessage"] img[src="x"]').count() == 0
    assert page.locator('[data-testid="stChatMessage"] script').count() == 0
    assert "<script>" in _messages(page)[0]  # echoed as text
    _shot(page, "xss-payload")
