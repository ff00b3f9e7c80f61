"""End to end: a real index, `streamlit run ui/app.py`, and headless Chromium via Playwright.

Needs /usr/bin/chromium (apt-get install chromium); Playwright's own browser download is not
used. Screenshots go to test-artifacts/ (git-ignored); the chat-with-citation screenshot is
also copied to docs/screenshot-chat.png for the README.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import socket
import sqlite3
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
DOCS = ROOT / "docs"
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


@contextlib.contextmanager
def _running_app(data_dir: Path, log_dir: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "MICQA_DATA_DIR": str(data_dir)}
    env.pop("MICQA_LLM", None)  # the embedded answerer: no network, deterministic
    log_path = log_dir / "streamlit.log"
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
def app_url(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _running_app(data_dir, tmp_path_factory.mktemp("streamlit")) as url:
        yield url


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

    def make(width: int = 1400, height: int = 1000, path: str = ""):
        ctx = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(ctx)
        page = ctx.new_page()
        page.dialogs = []
        page.requests = []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: page.requests.append(r.url))
        page.goto(app_url + path)
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
            const last = msgs[msgs.length - 1];
            if (/Not in the report|Try again/.test(last.innerText)) return true;
            if (!/embedded ·/.test(last.innerText)) return false;
            const text = last.querySelector('.micqa-text');  // the answer component draws after the run ends
            return !!text && text.textContent.trim().length > 0;
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
    chip = page.locator(".st-key-chips-0 button:visible").first
    chip.wait_for(timeout=10_000)
    chip.click()
    panel = page.locator('[role="dialog"]')
    panel.get_by_text("Source [1]").wait_for(timeout=30_000)
    highlight = panel.locator(".micqa-text mark")
    highlight.first.wait_for(timeout=30_000)
    assert highlight.first.inner_text().strip()
    assert re.search(r"· p\. \d+", panel.inner_text())  # a printed page, never "page not known" here


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


def _look_up(page, ref: str) -> None:
    field = page.locator(".st-key-lookup-ref input")
    field.fill(ref)
    page.get_by_role("button", name="Look up").click()
    _idle(page)


def test_lookup_takes_what_people_type(page_factory) -> None:
    page = page_factory()
    page.locator('[data-testid="stSidebar"]').get_by_text("Look up a citation", exact=True).click()
    page.get_by_role("heading", name="Look up a citation").wait_for(timeout=30_000)
    _idle(page)
    _look_up(page, "a.1 row 26")
    page.get_by_role("heading", name="A.1. Table of Manufacturing Innovation Centers, row 26").wait_for(timeout=30_000)
    table = page.locator('[data-testid="stTable"]')
    assert "Ningbo" in table.inner_text() and "Manufacturing Innovation Center" in table.inner_text()
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "table_row" not in body and "Kind:" not in body and "Table row" in body  # the report's words
    _look_up(page, "Figure 5")
    page.get_by_role("heading", name=re.compile("^Figure 5: Made in China 2025")).wait_for(timeout=30_000)
    _look_up(page, "[9999]")
    error = page.locator('[data-testid="stAlertContentError"]')
    error.wait_for(timeout=30_000)
    assert "references [1]–[61]" in error.inner_text()
    # the report's own markers in a passage open that reference
    _look_up(page, "Selection Criteria for a Center's Research Focus")
    marker = page.locator('.st-key-lookup-passage .micqa-mark[data-kind="ref"]').first
    marker.wait_for(timeout=30_000)
    number = marker.get_attribute("data-n")
    marker.click()
    page.get_by_role("heading", name=f"Reference [{number}]").wait_for(timeout=30_000)


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


# ------------------------------------------------------------------------ the chat a reader trusts (#15)

FOLLOW_UP = ("When was the National Graphene Innovation Center set up?", "Which city is it in?")


def _doc_shot(page, name: str, locator=None) -> None:
    """A screenshot for the README (docs/), also kept in test-artifacts/."""
    page.wait_for_timeout(600)  # let the layout settle
    path = _shot(page, name) if locator is None else _element_shot(locator, name)
    DOCS.mkdir(exist_ok=True)
    shutil.copyfile(path, DOCS / f"screenshot-{name}.png")


def _element_shot(locator, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    locator.screenshot(path=str(path))
    return path


def _inside_viewport(page, locator) -> None:
    box = locator.bounding_box()
    view = page.viewport_size
    assert box is not None, "the passage is not drawn"
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= view["width"] + 1 and box["y"] + box["height"] <= view["height"] + 1, (box, view)


@pytest.mark.parametrize("size", [(1400, 1000), (390, 844)], ids=["desktop", "phone"])
def test_source_of_the_third_answer_opens_where_the_reader_looks(page_factory, size) -> None:
    page = page_factory(*size)
    for q in (*FOLLOW_UP, QUESTION):
        _ask(page, q)
    chip = page.locator(".st-key-chips-2 button:visible").first
    chip.scroll_into_view_if_needed()
    chip.click()
    dialog = page.locator('[role="dialog"]')
    dialog.get_by_text("Source [1]").wait_for(timeout=30_000)
    passage = dialog.locator(".st-key-src-2-1-passage")
    passage.wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # the dialog animates in
    _inside_viewport(page, passage)
    assert passage.locator("mark").first.inner_text().strip()  # the quoted words are highlighted
    if size[0] == 1400:
        _doc_shot(page, "chat")  # docs/screenshot-chat.png, the README's first picture


def test_follow_up_read_as_and_table_row_citation(page_factory) -> None:
    page = page_factory()
    for q in FOLLOW_UP:
        _ask(page, q)
    second = page.locator('[data-testid="stChatMessage"]').nth(3)
    assert "Read as:" in second.inner_text()  # "it" was resolved, and the reader is shown how
    assert "National Graphene Innovation Center" in second.inner_text().split("Read as:")[1]
    page.locator(".st-key-chips-1 button:visible").first.click()
    dialog = page.locator('[role="dialog"]')
    table = dialog.locator('[data-testid="stTable"]')
    table.wait_for(timeout=30_000)
    headers = table.locator("th").all_inner_texts()
    assert "City" in headers and "Manufacturing Innovation Center" in headers
    cell = table.locator("td", has_text="Ningbo")
    colour = cell.evaluate("el => getComputedStyle(el).backgroundColor")
    plain = table.locator("td", has_text="2022").evaluate("el => getComputedStyle(el).backgroundColor") \
        if table.locator("td", has_text="2022").count() else "rgba(0, 0, 0, 0)"
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent") and colour != plain  # the used cell is marked


def test_inline_marker_shows_the_quote_on_hover_and_opens_the_source(page_factory) -> None:
    page = page_factory()
    _ask(page, QUESTION)
    marker = page.locator(".st-key-answer-0 .micqa-mark").first
    tip = marker.locator(".micqa-tip")
    assert not tip.is_visible()
    marker.hover()
    tip.wait_for(state="visible", timeout=5_000)
    quote = tip.inner_text().split("\n")[0].strip("\u201c\u201d ")
    assert len(quote) > 20
    _doc_shot(page, "hover")
    marker.click()
    dialog = page.locator('[role="dialog"]')
    dialog.locator(".micqa-text mark").first.wait_for(timeout=30_000)
    assert quote[:60] in " ".join(dialog.locator(".micqa-text").first.inner_text().split())


def test_report_markers_in_a_passage_open_the_reference(page_factory) -> None:
    """A passage's own report markers ("[1, 2]" in the Executive Summary) open that reference, and back."""
    page = page_factory()
    _ask(page, "When were China's MICs initiated, and in response to what?")
    page.locator(".st-key-answer-0 .micqa-mark").first.click()
    dialog = page.locator('[role="dialog"]')
    dialog.locator(".micqa-text mark").first.wait_for(timeout=30_000)
    ref = dialog.locator('.micqa-mark[data-kind="ref"]').first
    source_n = 1
    assert ref is not None, "no cited passage carries a report marker"
    number = ref.get_attribute("data-n")
    ref.click()
    dialog.get_by_role("button", name=f"Back to source [{source_n}]").wait_for(timeout=30_000)
    assert f"[{number}]" in dialog.inner_text()
    dialog.get_by_role("button", name=f"Back to source [{source_n}]").click()
    dialog.locator(".micqa-text mark").first.wait_for(timeout=30_000)


def test_same_page_in_chip_panel_and_contents(page_factory) -> None:
    page = page_factory()
    _ask(page, QUESTION)  # answered from 3.1, which the contents print on p. 10
    chip = page.locator(".st-key-chips-0 button:visible").first
    assert chip.inner_text().strip().endswith("p. 10")
    chip.click()
    dialog = page.locator('[role="dialog"]')
    dialog.get_by_text("Source [1]").wait_for(timeout=30_000)
    header = dialog.locator('[data-testid="stMarkdownContainer"]', has_text="Source [1]").first.inner_text()
    assert "3.1. Selection Criteria" in header and "p. 10" in header
    assert "p. 10" in dialog.locator('[data-testid="stExpander"]', has_text="Open in report").inner_text()
    page.keyboard.press("Escape")
    page.locator('[data-testid="stSidebar"]').get_by_text("Report browser", exact=True).click()
    page.get_by_role("heading", name="Report browser").wait_for(timeout=30_000)
    _idle(page)
    entry = page.locator('[data-testid="stExpander"] summary', has_text="3.1. Selection Criteria").first
    assert "p. 10" in entry.inner_text()
    # a section the contents print no page for shows the printed page of what it holds (Table 2), not a guess
    financing = page.locator('[data-testid="stExpander"] summary', has_text="3.2.3. Financing").first
    assert "includes p. 13" in financing.inner_text()


def _answer_marks(page) -> list[tuple[str, str]]:
    """The first answer's inline markers as drawn: (number, quote shown on hover)."""
    marks = page.locator(".st-key-answer-0 .micqa-mark")
    marks.first.wait_for(timeout=30_000)
    return [(m.get_attribute("data-n") or "", m.locator(".micqa-tip").text_content() or "") for m in marks.all()]


def test_reload_restores_the_conversation_and_the_sidebar_lists_it(page_factory, data_dir: Path) -> None:
    page = page_factory()
    _ask(page, FOLLOW_UP[0])
    marks = _answer_marks(page)
    assert marks and all(n.isdigit() and len(tip) > 20 for n, tip in marks)
    page.wait_for_function("() => new URL(location.href).searchParams.get('c')", timeout=30_000)
    cid = page.evaluate("() => new URL(location.href).searchParams.get('c')")
    page.reload()
    page.locator('[data-testid="stChatInputTextArea"]').wait_for(timeout=ANSWER_TIMEOUT_MS)
    _idle(page)
    restored = _answer_marks(page)  # waits for the restored answer to be drawn (under load it lags the chat input)
    msgs = _messages(page)
    assert msgs and FOLLOW_UP[0] in msgs[0] and "2022" in msgs[1]
    assert restored == marks  # drawn from the stored segments
    # the same conversation as saved before answers carried segments: split once at load, the same markers
    with sqlite3.connect(data_dir / "conversations.sqlite3") as con:
        for rowid, blob in con.execute("SELECT rowid, answer FROM turns WHERE conversation_id = ?", (cid,)).fetchall():
            old = json.loads(blob)
            del old["segments"]
            con.execute("UPDATE turns SET answer = ? WHERE rowid = ?", (json.dumps(old), rowid))
    page.reload()
    page.locator('[data-testid="stChatInputTextArea"]').wait_for(timeout=ANSWER_TIMEOUT_MS)
    _idle(page)
    assert _answer_marks(page) == marks
    listed = page.locator(f".st-key-conv-{cid}")
    assert FOLLOW_UP[0][:40] in listed.inner_text()
    _doc_shot(page, "conversations", page.locator('[data-testid="stSidebar"]'))


def test_viewer_toolbar_examples_and_phone_placeholder(page_factory) -> None:
    page = page_factory(390, 844)
    assert page.get_by_role("button", name="Deploy").count() == 0
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
    box = page.locator('[data-testid="stChatInputTextArea"]')
    fits = box.evaluate(
        """el => { const s = getComputedStyle(el); const c = document.createElement('canvas').getContext('2d');
                   c.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
                   const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
                   return c.measureText(el.placeholder).width <= room; }"""
    )
    assert fits, "the chat placeholder is cut at 390 px"
    example = page.locator(".st-key-example-0 button")
    assert example.evaluate("el => el.tagName") == "BUTTON"
    example.click()
    page.wait_for_function(
        "() => /embedded ·|Not in the report/.test(document.body.innerText)", timeout=ANSWER_TIMEOUT_MS)


def _saturated(pixel: tuple[int, int, int]) -> bool:
    """A marker's colour: far from the greys and the beige of the province fill."""
    return max(pixel) - min(pixel) > 80


def test_map_draws_province_outlines_offline(page_factory) -> None:
    from io import BytesIO

    from PIL import Image

    page = page_factory()
    page.locator('[data-testid="stSidebar"]').get_by_text("Report browser", exact=True).click()
    page.get_by_role("heading", name="Report browser").wait_for(timeout=30_000)
    _idle(page)
    page.get_by_role("tab", name="MIC table and map").click()
    panel = page.locator('[role="tabpanel"]:visible')
    chart = panel.locator('[data-testid="stVegaLiteChart"]').nth(1)
    chart.wait_for(timeout=30_000)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(2000)  # vega renders asynchronously
    image = Image.open(BytesIO(chart.locator("canvas, svg").first.screenshot())).convert("RGB")
    fill = sum(1 for p in image.getdata() if abs(p[0] - 243) < 4 and abs(p[1] - 241) < 4 and abs(p[2] - 236) < 4)
    assert fill > 0.05 * image.width * image.height, "no province fill drawn"
    # the provinces, not the whole globe: the plot's top-left corner (sea / outside China) is not province fill
    corner = image.getpixel((6, 6))
    assert not (abs(corner[0] - 243) < 4 and abs(corner[1] - 241) < 4 and abs(corner[2] - 236) < 4), corner
    # a MIC marker shows its name, year and sector on hover (markers, not overlapping labels)
    canvas = chart.locator("canvas, svg").first
    box = canvas.bounding_box()
    spots = [(x, y) for y in range(0, min(image.height, 520), 2) for x in range(0, image.width, 2)
             if _saturated(image.getpixel((x, y)))]
    assert spots, "no MIC markers drawn"
    shown = ""
    for x, y in spots[:: max(1, len(spots) // 15)]:
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(300)
        tip = page.locator("#vg-tooltip-element")
        if tip.count() and tip.is_visible() and "Centre" in tip.inner_text():
            shown = tip.inner_text()
            break
    assert "Year" in shown and "Sector" in shown, shown
    page.mouse.move(0, 0)
    _doc_shot(page, "map", chart)
    outside = [u for u in page.requests if not u.startswith(("http://127.0.0.1", "data:", "blob:"))]
    assert outside == [], outside


def test_upload_a_document_and_ask_about_it(browser, data_dir: Path, tmp_path: Path) -> None:
    """#14: a file dropped in the sidebar is ingested in the background and answers with its own citation."""
    from fpdf import FPDF

    own = tmp_path / "data"
    shutil.copytree(data_dir, own)  # a private index (vectors reused), so other tests keep theirs
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Harbour Lantern Survey\n\nThe Harbour Lantern Institute was founded in 1987 in the "
                         "town of Quillmere. It studies the maintenance of coastal lanterns. Its sign reads "
                         "<img src=x onerror=\"window.__pwned=1\"> in brass letters.")
    doc = tmp_path / "lantern-survey.pdf"
    pdf.output(str(doc))
    with _running_app(own, tmp_path) as url:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = ctx.new_page()
            page.goto(url)
            page.locator('[data-testid="stChatInputTextArea"]').wait_for(timeout=ANSWER_TIMEOUT_MS)
            _idle(page)
            page.locator('[data-testid="stSidebar"] input[type="file"]').set_input_files(str(doc))
            page.locator(".st-key-ingest-progress, .st-key-ingest-done").first.wait_for(timeout=60_000)
            page.locator(".st-key-ingest-done").wait_for(timeout=ANSWER_TIMEOUT_MS * 2)  # the bar finished
            _idle(page)  # the run that draws the new index's counts may still be streaming in
            listed = page.locator('[data-testid="stSidebar"] [data-testid="stMarkdownContainer"]',
                                  has_text="lantern-survey.pdf")
            listed.filter(has_text="passages").first.wait_for(timeout=60_000)  # listed with its counts
            _ask(page, "In which town was the Harbour Lantern Institute founded?")
            assert "Quillmere" in _messages(page)[-1]
            page.locator(".st-key-chips-0 button:visible").first.click()
            dialog = page.locator('[role="dialog"]')
            dialog.get_by_text("Source [1]").wait_for(timeout=30_000)
            # the dialog's heading can draw before its passage under load: wait for the passage, then read it
            dialog.get_by_text("Harbour Lantern Survey", exact=False).first.wait_for(timeout=30_000)
            assert "Harbour Lantern Survey" in dialog.inner_text()  # the citation names the uploaded document
            # passage text is shown as text, never run as markup
            assert "<img src=x" in dialog.inner_text()
            assert page.locator('img[src="x"]').count() == 0
            assert page.evaluate("typeof window.__pwned") == "undefined"
        finally:
            ctx.close()
    assert (own / "uploads" / "lantern-survey.pdf").is_file()
