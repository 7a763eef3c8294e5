"""The Timeline tab and timeline questions in chat, in headless Chromium at a laptop's and a
phone's width (as tests/test_ui.py drives the chat tab), over the five seeds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from test_ui import TIMEOUT_MS, VIEWPORTS, _close_page, _free_port, _open_page, _shot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
TOPIC = "Russian border guards withdraw from the Armenia-Iran border"


@pytest.fixture(scope="module")
def timeline_ui(tmp_path_factory: pytest.TempPathFactory, seeds_assistant) -> Iterator[Any]:
    from assistant.ui import build_app

    # Warmed up before the page opens: the first timeline of a test session also exports the
    # question embedder's ONNX graph and loads spaCy, which on a busy CI box outlasts any
    # sensible wait for the page.
    seeds_assistant.timeline(TOPIC)
    root = tmp_path_factory.mktemp("ui-timeline")
    mp = pytest.MonkeyPatch()
    mp.setenv("GRADIO_TEMP_DIR", str(root / "gradio-cache"))
    demo = build_app(seeds_assistant, upload_dir=root / "uploads", max_upload_mb=1)
    port = _free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", root=root)
    finally:
        demo.close()
        mp.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from test_ui import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, browser: Any, timeline_ui: Any, tmp_path: Path) -> Any:
    pg = _open_page(browser, timeline_ui.url, request.param, tmp_path)
    yield pg
    _close_page(pg)


def test_timeline_tab_lists_events_by_date_and_a_chip_shows_the_passage(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Timeline").click()
    page.locator("#timeline-topic textarea").fill(TOPIC)
    page.locator("#timeline-btn").click()
    events = page.locator("#timeline .timeline-event")
    expect(events.first).to_be_visible(timeout=TIMEOUT_MS)
    dates = [d for d in events.evaluate_all("els => els.map(e => e.dataset.date)")]
    assert len(dates) >= 2 and dates == sorted(dates)  # oldest first

    event = page.locator("#timeline .timeline-event", has_text="January 1, 2025").first
    chip = event.locator(".source-chip").first
    expect(chip).to_contain_text("undated")  # the seed gives no publication date
    passage = event.locator(".timeline-passage").first
    expect(passage).to_be_hidden()
    chip.click()
    expect(chip).to_have_class("source-chip active")
    expect(passage).to_be_visible()
    expect(passage.locator("mark")).to_contain_text("January 1, 2025")
    expect(passage).to_contain_text("Pashinyan")  # the article's text around the quote
    # Nothing wider than the screen, on a phone too.
    width = VIEWPORTS[page.width][0]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _shot(page, "timeline-01-chip.png", docs=f"ui-{page.width}-timeline.png")

    # The same timeline, exported.
    with page.expect_download() as md:
        page.locator("#timeline-md").click()
    text = Path(md.value.path()).read_text("utf-8")
    assert text.startswith("# Timeline: ") and "January 1, 2025" in text
    with page.expect_download() as csv:
        page.locator("#timeline-csv").click()
    assert Path(csv.value.path()).read_text("utf-8").startswith("date,end,precision")


def test_a_timeline_question_in_chat_answers_with_a_short_cited_timeline(page: Any) -> None:
    from playwright.sync_api import expect

    page.locator("#question textarea").fill(f"What happened with the {TOPIC.lower()}?")
    page.locator("#ask-btn").click()
    expect(page.locator("#chatbot")).to_contain_text("oldest first", timeout=TIMEOUT_MS)
    expect(page.locator("#sources .answer-status.answered")).to_be_visible()
    page.locator('#chatbot a[href$="#citation-1"]').first.click()
    expect(page.locator("#citation-1")).to_have_class("citation active")
    _shot(page, "timeline-02-chat.png")


def test_an_unknown_story_says_no_events_were_found(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Timeline").click()
    page.locator("#timeline-topic textarea").fill("the 2031 Martian chess championship")
    page.locator("#timeline-btn").click()
    status = page.locator("#timeline .answer-status.not-answered")
    expect(status).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#timeline-md")).to_be_hidden()
