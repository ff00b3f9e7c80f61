"""How long the Streamlit app takes to answer, as a user sees it (part of `make bench`).

Starts `streamlit run ui/app.py` on 127.0.0.1 against the current index (a fresh process, so the
engine is cold), opens it in Debian's headless Chromium, and measures:
- page ready: from navigation until the chat box is usable;
- first answer: from pressing Enter on the first question until the answer is on screen, and from
  opening the page (the engine loads with the page, once per process; target: within 3 s);
- later answers: the same for the next questions (engine already loaded).
Appends a section to bench/RESULTS.md and prints it.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
QUESTIONS = [
    "How many MICs were established in 2018?",
    "What did CDB pledge in November 2016?",
    "Where is the National Graphene Innovation Center located?",
    "How does Manufacturing USA handle intellectual property?",
    "What does MIIT stand for?",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ask(page, question: str) -> float:
    before = page.locator('[data-testid="stChatMessage"]').count()
    box = page.locator('[data-testid="stChatInputTextArea"]')
    box.fill(question)
    t0 = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(
        """(n) => {
            const msgs = document.querySelectorAll('[data-testid="stChatMessage"]');
            if (msgs.length < n + 2) return false;
            return /embedded ·|Not in the report/.test(msgs[msgs.length - 1].innerText);
        }""",
        arg=before,
        timeout=60_000,
    )
    return time.perf_counter() - t0


def main() -> int:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        print("Chromium is not installed; skipping the app latency benchmark.")
        return 0
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "ui" / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                print("streamlit did not start")
                return 1
            time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            t0 = time.perf_counter()
            page.goto(url)
            page.locator('[data-testid="stChatInputTextArea"]').wait_for(timeout=60_000)
            page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
            ready = time.perf_counter() - t0
            first = _ask(page, QUESTIONS[0])
            later = [_ask(page, q) for q in QUESTIONS[1:]]
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    text = (
        "\n## The Streamlit app (bench/app_latency.py)\n\n"
        "A fresh `streamlit run ui/app.py` process, Debian's headless Chromium, times from pressing Enter until "
        "the answer is on screen (including Streamlit's rerun and rendering).\n\n"
        "| measure | seconds | target |\n|---|---|---|\n"
        f"| page ready (chat box usable) | {ready:.2f} | |\n"
        f"| first answer, from pressing Enter | {first:.2f} | |\n"
        f"| first answer, from opening the page (ready + answer) | {ready + first:.2f} | "
        f"<= 3 s: {'met' if ready + first <= 3 else 'NOT met'} |\n"
        f"| later answers, median of {len(later)} | {statistics.median(later):.2f} | |\n"
    )
    print(text)
    with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
        fh.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
