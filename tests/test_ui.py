"""The web UI: rendering helpers, then the live app in headless Chromium, `/ask`, and auth.

The browser tests drive Debian's Chromium through Playwright (Playwright's own browser
download cannot work offline). Screenshots of each step land in the test's tmp folder; set
UPDATE_DOCS_SCREENSHOT=1 to also refresh docs/ui.png and docs/ui-phone.png (and the other
docs/ui-*.png) from the steps they show. Every browser test runs at a laptop's and a phone's
width.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from assistant.types import Answer, Article, Citation
from assistant.ui.render import (
    answer_markdown,
    chat_markdown,
    escape_markdown,
    passage_html,
    safe_filename,
    safe_url,
    sources_html,
)

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ui"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUESTION = "When do the Russian border guards leave the Armenia-Iran border?"
# Gradio's queue calls pandas APIs that pandas 3 deprecates; not ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
TIMEOUT_MS = 90_000  # generous: the first answer warms up models on a slow CI box


# ---------------------------------------------------------------- rendering (no server)
def _citation(**kw: Any) -> Citation:
    base: dict[str, Any] = {
        "number": 1,
        "doc_id": "a.txt",
        "title": "T",
        "source": "S",
        "url": None,
        "published": None,
        "chunk_id": "c1",
        "quote": "q",
        "start": 0,
        "end": 1,
    }
    return Citation(**{**base, **kw})


def test_sources_html_escapes_article_text_and_marks_the_quote() -> None:
    text = "Intro <script>alert(1)</script> then the quoted ${x} {{y}} part & more."
    quote = "the quoted ${x} {{y}} part"
    start = text.index(quote)
    cite = _citation(
        title="<b>Bold</b>",
        source="<i>Src</i>",
        url="javascript:alert(1)",
        quote=quote,
        start=start,
        end=start + len(quote),
        published=dt.date(2025, 1, 2),
    )
    answer = Answer(question="q", standalone_question="q", text="x [1]", citations=(cite,))
    article = Article(doc_id="a.txt", title="t", text=text, content_hash="h")
    out = sources_html(answer, {"a.txt": article})
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<b>" not in out and "&lt;b&gt;Bold" in out
    assert "javascript:" not in out  # only http(s) links become clickable
    assert 'id="citation-1"' in out and "2025-01-02" in out
    # gr.HTML treats ${…} and {{…}} as template syntax: they must arrive as entities.
    assert "${" not in out and "{{" not in out
    assert "<mark>the quoted &#36;&#123;x&#125; &#123;&#123;y&#125;&#125; part</mark>" in out


def test_sources_html_abstention_and_missing_article() -> None:
    abstained = Answer(question="q", standalone_question="q", text="no", abstained=True)
    assert "not-answered" in sources_html(abstained, {})
    # The article was deleted after answering: the verified quote is still shown.
    answer = Answer(
        question="q", standalone_question="q", text="x [1]", citations=(_citation(quote="<q>"),)
    )
    assert "<mark>&lt;q&gt;</mark>" in sources_html(answer, {})


def test_sources_html_says_when_no_short_answer_is_stated() -> None:
    # The offline model estimated a confidence but stated no value: only passages.
    unsure = Answer(
        question="q",
        standalone_question="q",
        text="The closest passages say:\n[1] “x”",
        citations=(_citation(quote="x"),),
        confidence=0.2,
    )
    assert unsure.unsure
    out = sources_html(unsure, {})
    assert "answer-status unsure" in out and "No short answer" in out
    # Said to be confident, with its confidence, when a short answer is stated.
    sure = unsure.model_copy(update={"short": "x", "confidence": 0.9})
    assert not sure.unsure
    assert "answer-status answered" in sources_html(sure, {})
    assert "Confidence in the short answer: 90%" in sources_html(sure, {})
    # The filters that narrowed the search are named for an unsure answer too.
    from assistant.ui.explain import SearchScope, filter_hints

    unsure = unsure.model_copy(update={"undated_excluded": 2})
    assert filter_hints(unsure, SearchScope(as_of="2026-01-01"))


def test_passage_html_keeps_context_and_cuts_at_words() -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta"
    start = text.index("delta")
    out = passage_html(text, start, start + len("delta"), context=8)
    assert out == "… gamma <mark>delta</mark> epsilon …"
    assert passage_html("abc", 0, 3) == "<mark>abc</mark>"


def test_chat_markdown_links_known_citations_only_and_escapes() -> None:
    md = chat_markdown("Done by 2025 [1], see [2]. <img src=x onerror=alert(1)> *x*", [1])
    assert "[\\[1\\]](#citation-1)" in md
    assert "\\[2\\]" in md and "#citation-2" not in md
    assert "<img" not in md and "&lt;img" in md and "\\*x\\*" in md
    assert escape_markdown("# h\n1. a\n- b") == "\\# h\n1\\. a\n\\- b"


def test_an_articles_own_brackets_inside_a_quote_are_not_linked() -> None:
    text = "by 2025 [1]\n\nSupporting passages:\n[2] “Talks resumed, the paper said [1].”"
    md = chat_markdown(text, [1, 2])
    assert md.count("(#citation-1)") == 1  # the short answer's marker only
    assert "(#citation-2)" in md and "said \\[1\\]." in md


def test_an_articles_own_marker_in_a_passage_with_inner_quotes_is_not_linked() -> None:
    # The passage quotes someone (curly quotes of its own), and the article's own "[2]"
    # follows the inner closing quote: it is still inside the passage.
    q1 = "He said “the talks [2] resumed” on Monday [2], and [1] more."
    q2 = "Other passage."
    text = f"by 2025 [1]\n\nSupporting passages:\n[1] “{q1}”\n[2] “{q2}”"
    md = chat_markdown(text, [1, 2], [q1, q2])
    assert md.count("(#citation-1)") == 2  # the short answer's and the passage's own marker
    assert md.count("(#citation-2)") == 1  # only the second passage's marker
    assert "Monday \\[2\\]" in md and "and \\[1\\] more" in md


def test_answer_markdown_lists_numbered_references() -> None:
    cite = _citation(url="https://example.org/a", source="World Defense", quote="the quote")
    answer = Answer(question="Q?", standalone_question="Q?", text="A [1]", citations=(cite,))
    md = answer_markdown(answer)
    assert md.startswith("**Q:** Q?\n\nA [1]")
    assert "[1] T (World Defense, date unknown) <https://example.org/a>" in md
    assert "> the quote" in md


def test_filter_hints_name_each_filter_that_narrowed_an_empty_search() -> None:
    from assistant.ui.explain import SearchScope, filter_hints

    none = Answer(question="q", standalone_question="q", text="no", abstained=True)
    assert filter_hints(none, SearchScope()) == []  # nothing filtered: the articles don't say
    answered = none.model_copy(update={"abstained": False, "undated_excluded": 4})
    assert filter_hints(answered, SearchScope(as_of="2026-01-01")) == []
    left_out = none.model_copy(update={"undated_excluded": 4})
    hints = filter_hints(
        left_out,
        SearchScope(as_of="2026-01-01", since="2025-01-01", publications=("A", "B"), articles=1),
    )
    assert hints[0].startswith("4 undated articles were left out by the date filter")
    assert "“Include undated articles”" in hints[0]
    assert hints[1].startswith("Only articles published by 2026-01-01, since 2025-01-01")
    assert hints[2].startswith("Only 2 publications (“A”, “B”) were searched")
    assert hints[3].startswith("Only 1 chosen article was searched")


def test_a_follow_ups_standalone_question_is_shown_escaped_and_exported() -> None:
    from assistant.ui.render import understood_html

    same = Answer(question="Who?", standalone_question="Who?", text="x")
    assert understood_html(same) == "" and "Understood" not in answer_markdown(same)
    rewritten = same.model_copy(update={"standalone_question": "Who? (about: <b>${x}</b>)"})
    html_out = understood_html(rewritten)
    assert html_out.startswith('<p class="understood-as">Understood as: Who? (about: &lt;b&gt;')
    assert "${" not in html_out and "<b>" not in html_out
    assert answer_markdown(rewritten).startswith(
        "**Q:** Who?\n_Understood as:_ Who? (about: <b>${x}</b>)\n\nx"
    )


def test_a_follow_up_read_together_says_it_was_not_sure() -> None:
    from assistant.ui.render import understood_html

    unsure = Answer(
        question="Who won?",
        standalone_question="Who won? (read together with: When did the parade begin?)",
        follow_up="read-together",
        text="x",
    )
    html_out = understood_html(unsure)
    assert "Not sure what this follow-up refers to; searched as: Who won? (read together" in (
        html_out
    )


def test_a_source_card_does_not_repeat_the_title_in_its_passage() -> None:
    text = "Bridge To Open\n\nWorld Defense\n\nBridge to open\n\nThe bridge opens in May."
    quote = "The bridge opens in May."
    start = text.index(quote)
    cite = _citation(title="Bridge To Open", source="World Defense", quote=quote, start=start)
    cite = cite.model_copy(update={"end": start + len(quote)})
    answer = Answer(question="q", standalone_question="q", text="May [1]", citations=(cite,))
    article = Article(doc_id="a.txt", title="Bridge To Open", text=text, content_hash="h")
    out = sources_html(answer, {"a.txt": article})
    passage = out.split('<blockquote class="citation-passage">')[1].split("</blockquote>")[0]
    assert passage == "<mark>The bridge opens in May.</mark>"
    # A passage that is itself the first line still shows (only the context is cut).
    first = _citation(title="Other", quote="Bridge To Open", start=0, end=14)
    both = answer.model_copy(update={"citations": (first,)})
    assert "<mark>Bridge To Open</mark>" in sources_html(both, {"a.txt": article})


def test_library_list_for_phones_escapes_and_keeps_dates_whole() -> None:
    from assistant.ui.render import library_list_html

    out = library_list_html(
        [["<i>T</i>", "2025-09-11", "S & Co", 1, "x.pdf, <b>page</b> 2", "a.txt"]]
    )
    assert "&lt;i&gt;T&lt;/i&gt;" in out and "S &amp; Co" in out and "1 chunk<" in out
    assert "from x.pdf, &lt;b&gt;page&lt;/b&gt; 2" in out  # where it came from, as text
    assert '<span class="library-date">2025-09-11</span>' in out
    assert "No articles" in library_list_html([])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.txt", "report.txt"),
        ("../../etc/passwd.TXT", "passwd.TXT"),
        ("C:\\Users\\me\\notes.md", "notes.md"),
        ("..hidden.html", "hidden-42d689ee.html"),
        ("my file <1>.txt", "my file _1-05e47bc0.txt"),
        ("Zürich nouvelles.jsonl", "Zürich nouvelles.jsonl"),
        ("новости 2025.txt", "новости 2025.txt"),
        ("события 2025.txt", "события 2025.txt"),
        ("日本.txt", "日本.txt"),
        ("a\u202eb.txt", "a_b-07742684.txt"),  # a bidi override
        ("a\x1b[2Jb.txt", "a_2Jb-9fe33975.txt"),  # a terminal escape
        ("...", "upload-ab5df625"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_never_gives_two_names_one_file() -> None:
    names = ["a?b.txt", "a*b.txt", "a_b.txt", "a<b.txt", "A?b.txt", "x" * 300 + "1.txt"]
    names += ["x" * 300 + "2.txt", "日本" * 100 + ".txt"]
    out = [safe_filename(n) for n in names]
    assert len(set(out)) == len(names), out
    assert all(len(o.encode("utf-8")) <= 150 for o in out)
    assert out[-1].endswith(".txt") and out[-1].startswith("日本")


def test_safe_url_and_parse_auth() -> None:
    from assistant.ui import parse_auth

    assert safe_url("https://a.example/x") == "https://a.example/x"
    assert safe_url("javascript:alert(1)") is None and safe_url("file:///etc") is None
    assert parse_auth("user:pa:ss") == ("user", "pa:ss")
    assert parse_auth("") is None
    with pytest.raises(ValueError):
        parse_auth("nopassword")


# ---------------------------------------------------------------- live app
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _served(root: Path, embedder: Any, seeds_dir: Path) -> Iterator[Any]:
    """The app over the five seeds in `root`, served on 127.0.0.1 until the block ends."""
    from assistant import Assistant
    from assistant.ui import build_app

    mp = pytest.MonkeyPatch()
    # Gradio's upload cache would otherwise land in the system temp folder.
    mp.setenv("GRADIO_TEMP_DIR", str(root / "gradio-cache"))
    assistant = Assistant(store=root / "store", embedder=embedder, answerer="extractive")
    assert assistant.ingest([seeds_dir]).added == 5
    demo = build_app(assistant, upload_dir=root / "uploads", max_upload_mb=1)
    port = _free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    try:
        yield SimpleNamespace(
            url=f"http://127.0.0.1:{port}/", root=root, assistant=assistant, demo=demo
        )
    finally:
        demo.close()
        mp.undo()


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory, embedder, seeds_dir) -> Iterator[Any]:
    """The app over the five seeds, served on 127.0.0.1 for this module."""
    with _served(tmp_path_factory.mktemp("ui"), embedder, seeds_dir) as app:
        yield app


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


DOCS_SHOT = {"desktop": "ui.png", "phone": "ui-phone.png"}
# The widths a researcher uses: a laptop and a phone (an iPhone 12-14's CSS pixels).
VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}


def _open_page(browser: Any, url: str, width: str, tmp_path: Path) -> Any:
    """A fresh page on `url`; it records JavaScript errors and every request that leaves
    127.0.0.1 (which it blocks: an offline machine could not load it either)."""
    w, h = VIEWPORTS[width]
    context = browser.new_context(viewport={"width": w, "height": h})
    context.set_default_timeout(TIMEOUT_MS)
    from playwright.sync_api import expect

    # Assertions wait as long as actions: the page's own default (5 s) is less than a first
    # answer takes on a machine busy with other work.
    expect.set_options(timeout=TIMEOUT_MS)
    foreign: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(url):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(url, wait_until="domcontentloaded")
    pg.locator("#question textarea").wait_for()
    pg.shots = tmp_path  # type: ignore[attr-defined]
    pg.width = width  # type: ignore[attr-defined]
    pg.foreign = foreign  # type: ignore[attr-defined]
    pg.errors = errors  # type: ignore[attr-defined]
    return pg


def _close_page(pg: Any) -> None:
    pg.context.close()
    assert not pg.errors, f"JavaScript errors on the page: {pg.errors}"
    # No web fonts, analytics or CDN: the page works the same on an air-gapped machine.
    assert not pg.foreign, f"the page asked for non-local resources: {pg.foreign}"


@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, browser: Any, ui: Any, tmp_path: Path) -> Iterator[Any]:
    pg = _open_page(browser, ui.url, request.param, tmp_path)
    yield pg
    _close_page(pg)


def _shot(page: Any, name: str, docs: str | None = None) -> Path:
    """A screenshot in the test's folder; with UPDATE_DOCS_SCREENSHOT=1 also docs/<docs>."""
    path = Path(page.shots) / f"{page.width}-{name}"
    page.screenshot(path=str(path), full_page=page.width == "phone")
    if docs and os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(path, REPO / "docs" / docs)
    return path


def _options(page: Any) -> None:
    """Open the Options accordion: a phone collapses it on load, so wait for that first."""
    from playwright.sync_api import expect

    toggle = page.locator("#options .label-wrap").first
    if page.width == "phone":
        expect(toggle).not_to_have_class(re.compile(r"\bopen\b"))
        toggle.click()
    expect(toggle).to_have_class(re.compile(r"\bopen\b"))
    page.locator("#as-of input, #as-of textarea").first.wait_for()


def _ask(page: Any, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    page.locator("#ask-btn").click()


def _library(page: Any) -> Any:
    """The library as this width shows it: a table on a laptop, a list on a phone."""
    return page.locator("#library-list" if page.width == "phone" else "#library-table")


def _library_text(page: Any) -> str:
    return str(_library(page).inner_text())


@pytest.mark.slow
def test_chat_streams_answer_and_citation_click_shows_passage(page: Any) -> None:
    from playwright.sync_api import expect

    # No key or base URL in tests: the LLM choice is there but cannot be picked.
    expect(page.locator("#answer-mode")).to_contain_text("OPENAI_API_KEY")
    expect(page.locator('#answer-mode input[value="llm"]')).to_be_disabled()

    _ask(page, QUESTION)
    expect(page.locator("#chatbot")).to_contain_text("January 1, 2025")
    expect(page.locator("#sources .answer-status.answered")).to_be_visible()
    _shot(page, "01-chat-answer.png")

    page.locator('#chatbot a[href$="#citation-1"]').first.click()
    cite = page.locator("#citation-1")
    expect(cite).to_have_class("citation active")
    expect(cite.locator("mark")).to_contain_text("January 1, 2025")
    expect(cite.locator(".citation-source")).to_have_text("World Defense")
    expect(cite.locator(".citation-passage")).to_contain_text("Pashinyan")  # context around it
    expect(page.locator("#answer-markdown")).to_contain_text("References")
    _shot(page, "02-citation-clicked.png", docs=DOCS_SHOT[page.width])

    # A follow-up goes out with the conversation so far; then clearing forgets it.
    _ask(page, "Who will take over control of the checkpoint?")
    expect(page.locator("#chatbot .message-row.bot-row")).to_have_count(2)
    expect(page.locator("#chatbot")).to_contain_text("Armenia")
    # The answer is complete once the sources panel shows its passage.
    # (Since follow-ups keep the conversation's article as a candidate, the first passage may
    # be that article's sentence on who takes control rather than the checkpoint story's.)
    expect(page.locator("#citation-1 mark")).to_contain_text("control")
    page.locator("#clear-btn").click()
    expect(page.locator("#chatbot .message-row")).to_have_count(0)
    expect(page.locator("#sources .answer-status.empty")).to_be_visible()
    expect(page.locator("#answer-markdown")).to_be_hidden()  # nothing to copy any more


@pytest.mark.slow
def test_abstention_is_shown_as_not_answered(page: Any) -> None:
    from playwright.sync_api import expect

    _ask(page, "Who won the 2030 Martian chess open?")
    expect(page.locator("#sources .answer-status.not-answered")).to_be_visible()
    expect(page.locator("#chatbot")).to_contain_text("Not answered")
    _shot(page, "03-not-answered.png")


@pytest.mark.slow
def test_upload_ask_then_delete(page: Any, ui: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    # A name that needs sanitising; the article is invented, so only it can answer.
    upload = tmp_path / "Tarnwick skybridge <draft>.md"
    shutil.copyfile(FIXTURES / "tarnwick_skybridge.md", upload)
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#library-summary")).to_contain_text("5 articles")
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    # Gradio drops the <> before the app sees the name, which then is safe as it is.
    stored = "Tarnwick skybridge draft.md"
    expect(page.locator("#upload-status .upload-ok")).to_contain_text(f"{stored}: 1 added")
    expect(page.locator("#library-summary")).to_contain_text("6 articles")
    expect(_library(page)).to_contain_text("Tarnwick Skybridge to Open")
    _shot(page, "04-library-uploaded.png")
    assert (ui.root / "uploads" / stored).is_file()

    page.get_by_role("tab", name="Chat").click()
    _ask(page, "When will the Tarnwick Skybridge open to pedestrians?")
    expect(page.locator("#chatbot")).to_contain_text("March 14, 2031")
    expect(page.locator("#citation-1 .citation-doc")).to_have_text(stored)
    expect(page.locator("#citation-1 .citation-source")).to_have_text("The Tarnwick Courier")
    # The article's <script> and onerror image are shown as text and never ran.
    expect(page.locator("#citation-1 .citation-passage")).to_contain_text("<script>")
    assert page.evaluate("window.__pwned") is None
    _shot(page, "05-chat-uploaded-article.png")

    page.get_by_role("tab", name="Library").click()
    page.locator("#library-search").locator("input, textarea").first.fill("tarnwick")
    expect(page.locator("#library-summary")).to_contain_text("showing 1 matching")
    # Nothing selected: nothing to delete. A click selects; deleting asks first, by title.
    expect(page.locator("#delete-btn")).to_be_disabled()
    if page.width == "phone":  # the list has no rows to click: pick it in the dropdown
        page.locator("#delete-select input").first.click()
        page.get_by_role("option", name="Tarnwick Skybridge to Open").click()
        page.keyboard.press("Escape")
    else:
        cells = page.locator('#library-table [role="gridcell"]')
        cells.filter(has_text="Tarnwick Skybridge to Open").first.click()
    expect(page.locator("#delete-select")).to_contain_text(stored)
    expect(page.locator("#delete-btn")).to_be_enabled()
    page.locator("#delete-btn").click()
    confirm = page.locator("#delete-confirm")
    expect(confirm).to_contain_text("Delete 1 article from the library?")
    expect(confirm.locator(".confirm-titles li")).to_have_count(1)
    expect(confirm.locator(".confirm-titles")).to_contain_text("Tarnwick Skybridge to Open")
    _shot(page, "05b-delete-confirm.png")
    # Cancel keeps it; asking again and confirming deletes it.
    page.locator("#delete-cancel-btn").click()
    expect(confirm).to_be_hidden()
    assert stored in {i.doc_id for i in ui.assistant.articles()}
    page.locator("#delete-btn").click()
    page.locator("#delete-confirm-btn").click()
    expect(confirm).to_be_hidden()
    expect(page.locator("#upload-status")).to_contain_text("Deleted 1 article")
    expect(page.locator("#library-summary")).to_contain_text("5 articles")
    assert not (ui.root / "uploads" / stored).exists()
    assert stored not in {i.doc_id for i in ui.assistant.articles()}


@pytest.mark.slow
def test_rejected_uploads_show_errors_and_leave_library_unchanged(
    page: Any, ui: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    exe = tmp_path / "setup.exe"
    exe.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    too_big = tmp_path / "huge.txt"
    too_big.write_text("word " * 300_000, encoding="utf-8")  # 1.5 MB, limit is 1 MB

    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#library-summary")).to_contain_text("5 articles")
    before = _library_text(page)
    page.locator("#upload input[type=file]").set_input_files([str(exe), str(binary), str(too_big)])
    errors = page.locator("#upload-status .upload-error")
    expect(errors).to_have_count(3)
    expect(errors.nth(0)).to_contain_text("setup.exe: unsupported file type .exe")
    expect(errors.nth(1)).to_contain_text("photo.txt: binary file")
    expect(errors.nth(2)).to_contain_text("over the 1 MB upload limit")
    expect(page.locator("#upload-status .upload-ok")).to_have_count(0)
    expect(page.locator("#library-summary")).to_contain_text("5 articles")
    assert _library_text(page) == before
    _shot(page, "06-upload-rejected.png")
    assert len(ui.assistant.articles()) == 5
    leftovers = [p.name for p in (ui.root / "uploads").iterdir() if p.is_file()]
    assert leftovers == []


NON_LATIN = {
    "новости 2025.txt": (
        "Ruvelle footbridge to open in May\n\n"
        "The Ruvelle footbridge over the Amsel river will open on May 3, 2027, the city "
        "engineer said on Monday. Work on the crossing began two years ago.\n"
    ),
    "события 2025.txt": (
        "Kestrin ferry to resume in June\n\n"
        "The Kestrin island ferry will resume sailings on June 9, 2027, after its hull was "
        "repaired, the operator said. Islanders had waited since the winter storms.\n"
    ),
    "日本.txt": (
        "Tamsk observatory reopens in July\n\n"
        "The Tamsk hill observatory will reopen to visitors on July 2, 2027, with a new "
        "telescope dome, the university announced on Friday.\n"
    ),
}


@pytest.mark.slow
def test_non_latin_uploads_keep_their_names_and_never_replace_each_other(
    page: Any, ui: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    files = []
    for name, text in NON_LATIN.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(tmp_path / name)
    # Two files of one upload with the same name (from two folders): the second, a different
    # article, is added under a name of its own.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "same.txt").write_text(NON_LATIN["日本.txt"], encoding="utf-8")
    (tmp_path / "b" / "same.txt").write_text(NON_LATIN["новости 2025.txt"], encoding="utf-8")
    uploads = ui.root / "uploads"
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#library-summary")).to_contain_text("5 articles")
    try:
        for i, f in enumerate(files):  # one upload each, one after the other
            page.locator("#upload input[type=file]").set_input_files(str(f))
            expect(page.locator("#upload-status .upload-ok")).to_contain_text(f"{f.name}: 1 added")
            expect(page.locator("#library-summary")).to_contain_text(f"{6 + i} articles")
        for name, text in NON_LATIN.items():  # each kept its own name and its own text
            assert (uploads / name).read_text(encoding="utf-8") == text
        ids = {i.doc_id for i in ui.assistant.articles()}
        assert set(NON_LATIN) <= ids
        for q, date, doc in (
            ("When will the Ruvelle footbridge open?", "May 3, 2027", "новости 2025.txt"),
            ("When will the Kestrin ferry resume sailings?", "June 9, 2027", "события 2025.txt"),
        ):
            answer = ui.assistant.ask(q)
            assert date in answer.text and answer.citations[0].doc_id == doc, answer.text

        page.locator("#upload input[type=file]").set_input_files(
            [str(tmp_path / "a" / "same.txt"), str(tmp_path / "b" / "same.txt")]
        )
        expect(page.locator("#upload-status .upload-ok").first).to_contain_text("same.txt: 1 added")
        expect(page.locator("#upload-status")).to_contain_text(
            "same-2.txt: 1 added (1 chunk) — uploaded as “same.txt” (“same.txt” holds a "
            "different article)"
        )
        assert (uploads / "same.txt").read_text(encoding="utf-8") == NON_LATIN["日本.txt"]
        assert (uploads / "same-2.txt").read_text(encoding="utf-8") == NON_LATIN["новости 2025.txt"]
    finally:
        _remove_uploads(ui, uploads)


def _remove_uploads(ui: Any, uploads: Path) -> None:
    """Delete what a test uploaded, leaving the module's five seeds."""
    extra = [d for d in {i.doc_id for i in ui.assistant.articles()} if (uploads / d).exists()]
    ui.assistant.delete(extra)
    for d in extra:
        (uploads / d).unlink()
    assert len(ui.assistant.articles()) == 5


def _handler(demo: Any, name: str) -> Any:
    """The function behind one of the app's events (the upload has no API route)."""
    return next(f.fn for f in demo.fns.values() if f.name == name)


def _arrived(tmp_path: Path, folder: str, name: str, text: str) -> str:
    """A file as Gradio hands it to the app: in a cache folder of its own, its name with
    `?*<>\\` (and more) already stripped."""
    path = tmp_path / folder / name
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_uploads_that_arrive_under_one_name_never_replace_each_other(
    ui: Any, tmp_path: Path
) -> None:
    upload = _handler(ui.demo, "upload")
    uploads = ui.root / "uploads"
    first, second = NON_LATIN["日本.txt"], NON_LATIN["новости 2025.txt"]
    try:
        # `a b?c.txt`, then `a b*c.txt`: both arrive as `a bc.txt`.
        status = upload([_arrived(tmp_path, "1", "a bc.txt", first)], "")[0]
        assert "a bc.txt: 1 added" in status, status
        status = upload([_arrived(tmp_path, "2", "a bc.txt", second)], "")[0]
        assert "a bc-2.txt: 1 added" in status and "updated" not in status, status
        assert "“a bc.txt” holds a different article" in status, status
        assert (uploads / "a bc.txt").read_text(encoding="utf-8") == first
        assert (uploads / "a bc-2.txt").read_text(encoding="utf-8") == second
        answer = ui.assistant.ask("When will the Tamsk observatory reopen?")
        assert "July 2, 2027" in answer.text and answer.citations[0].doc_id == "a bc.txt"
        # The same file again keeps its name and changes nothing.
        status = upload([_arrived(tmp_path, "3", "a bc.txt", first)], "")[0]
        assert "a bc.txt: 1 already indexed" in status, status

        # In one upload: a third article gets a name of its own; the same one twice is
        # indexed once, and the refusal names both files by their place in the upload.
        third = NON_LATIN["события 2025.txt"]
        status = upload(
            [
                _arrived(tmp_path, "4", "xy.txt", third),
                _arrived(tmp_path, "5", "xy.txt", first),
                _arrived(tmp_path, "6", "xy.txt", third),
            ],
            "",
        )[0]
        assert "xy.txt: 1 added" in status and "xy-2.txt: 1 added" in status, status
        assert "xy.txt (file 3): the same article as xy.txt (file 1)" in status, status
        assert (uploads / "xy.txt").read_text(encoding="utf-8") == third
        assert (uploads / "xy-2.txt").read_text(encoding="utf-8") == first
    finally:
        _remove_uploads(ui, uploads)


# ---------------------------------------------------------------- API and auth
@pytest.mark.slow
def test_ask_endpoint_via_gradio_client(ui: Any) -> None:
    from gradio_client import Client

    client = Client(ui.url, verbose=False)
    assert "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    out = client.predict(QUESTION, [], "", api_name="/ask")
    assert {"question", "answer", "short", "abstained", "citations"} <= set(out)
    assert out["question"] == QUESTION and not out["abstained"]
    assert "January 1, 2025" in out["short"]
    assert out["citations"][0]["source"] == "World Defense"
    assert set(out["citations"][0]) >= {"number", "doc_id", "title", "quote", "start", "end"}

    follow = client.predict(
        "Who will take over control of the checkpoint?",
        [[QUESTION, out["answer"]]],
        "",
        api_name="/ask",
    )
    assert follow["citations"] and not follow["abstained"]

    with pytest.raises(Exception, match="2025-01-31"):
        client.predict(QUESTION, [], "31/01/2025", api_name="/ask")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([123, [], "", "", "", False], "question must be a string"),
        ([["a question"], [], "", "", "", False], "question must be a string"),
        ([QUESTION, "not a list", "", "", "", False], "history must be a list"),
        ([QUESTION, [], 20250131, "", "", False], "as_of must be a date like 2025-01-31"),
        ([QUESTION, [], "", 123, "", False], "since must be a date like 2025-01-31, not 123"),
        ([QUESTION, [], "", "", ["x"], False], "until must be a date like 2025-01-31"),
        ([QUESTION, [], "", "", "", "maybe"], "include_undated must be true or false"),
        ([QUESTION, [], "9" * 100_000, "", "", False], "must be a date like 2025-01-31"),
        (["x" * 1_000_000, [], "", "", "", False], "over the limit of 2,000"),
        (["Who won\ud800?", [], "", "", "", False], "lone UTF-16 surrogate"),
    ],
)
def test_ask_endpoint_rejects_wrong_types_with_a_clear_error(
    ui: Any, data: list[Any], message: str
) -> None:
    """Raw JSON, as any HTTP client may send it (the Python client would check types).
    Raw calls send every input: question, history, as_of, since, until, include_undated."""

    body = _raw_ask(ui, data)
    assert "event: error" in body, body
    assert message in body, body
    assert "null" not in body.split("event: error", 1)[1].split("\n\n")[0], body
    assert len(body) < 2000  # a long value is not echoed whole


def _raw_ask(ui: Any, data: list[Any]) -> str:
    """The event stream of one raw `/ask` call. The JSON is ASCII with escapes, so a lone
    surrogate travels as `\\ud800`, as JSON allows."""
    import json

    import httpx

    with httpx.Client(base_url=ui.url, timeout=60) as http:
        r = http.post(
            "gradio_api/call/ask",
            content=json.dumps({"data": data}),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 200, r.text
        event_id = r.json()["event_id"]
        return http.get(f"gradio_api/call/ask/{event_id}").text


@pytest.mark.slow
def test_ask_endpoint_reads_false_as_false_and_says_why_it_failed(
    ui: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    body = _raw_ask(ui, [QUESTION, [], "2026-01-01", "", "", "false"])
    data = json.loads(body.split("data: ", 1)[1].strip())[0]
    assert data["time_window"]["include_undated"] is False

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise TypeError("a fault of the server")

    monkeypatch.setattr(ui.assistant, "ask", broken)
    body = _raw_ask(ui, [QUESTION, [], "", "", "", False])
    error = body.split("event: error", 1)[1].split("\n\n")[0]
    assert "the answer failed on the server (TypeError)" in error, body


@pytest.mark.slow
def test_auth_required_when_set(ui: Any) -> None:
    import httpx
    from gradio_client import Client

    from assistant.ui import build_app

    demo = build_app(ui.assistant, upload_dir=ui.root / "uploads-auth", max_upload_mb=1)
    port = _free_port()
    demo.launch(
        prevent_thread_lock=True,
        server_name="127.0.0.1",
        server_port=port,
        quiet=True,
        auth=("reader", "s3cret"),
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for path in ("config", "gradio_api/info"):
            assert httpx.get(url + path).status_code == 401
        with pytest.raises(Exception, match=r"credentials|login|401"):
            Client(url, verbose=False)
        authed = Client(url, auth=("reader", "s3cret"), verbose=False)
        assert "/ask" in authed.view_api(print_info=False, return_format="dict")["named_endpoints"]
    finally:
        demo.close()


def test_launch_binds_loopback_and_reads_auth_from_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, embedder
) -> None:
    import gradio as gr

    from assistant import Assistant
    from assistant.ui import app as ui_app

    seen: dict[str, Any] = {}

    def fake_launch(self: gr.Blocks, **kwargs: Any) -> None:
        seen.update(kwargs)

    monkeypatch.setattr(gr.Blocks, "launch", fake_launch)
    monkeypatch.setattr(
        ui_app, "Assistant", lambda store: Assistant(store=store, embedder=embedder)
    )
    monkeypatch.setenv("ASSISTANT_UI_AUTH", "ann:pw")
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio-cache"))
    ui_app.launch(store=tmp_path / "store")
    assert seen["server_name"] == "127.0.0.1" and seen["server_port"] == 7860
    assert seen["auth"] == ("ann", "pw") and seen["share"] is False
    # Gradio's banner would tell the user to set `share=True` in launch(); ours is --share.
    assert seen["quiet"] is True
    ui_app.launch(store=tmp_path / "store", share=True)
    assert seen["share"] is True and seen["quiet"] is False  # Gradio prints the public link
    assert (tmp_path / "store" / "uploads").is_dir()


# ---------------------------------------------------------------- as a researcher uses it
def _bot_messages(page: Any) -> Any:
    return page.locator("#chatbot .message-row.bot-row")


@pytest.mark.slow
def test_a_date_filter_says_what_it_left_out_and_how_to_include_it(page: Any) -> None:
    from playwright.sync_api import expect

    _options(page)
    page.locator("#as-of textarea, #as-of input").first.fill("2026-01-01")
    _ask(page, QUESTION)
    panel = page.locator("#sources")
    expect(panel.locator(".answer-status.not-answered")).to_be_visible()
    hints = panel.locator(".filter-hints")
    expect(hints).to_contain_text("4 undated articles were left out by the date filter")
    expect(hints).to_contain_text("tick “Include undated articles”")
    expect(hints).to_contain_text("Only articles published by 2026-01-01 were searched")
    expect(page.locator("#answer-markdown")).to_contain_text("4 undated articles were left out")
    _shot(page, "07-date-filter-explained.png", docs=f"ui-{page.width}-not-answered.png")

    # Doing what the hint says finds the answer.
    page.locator("#include-undated input").check()
    _ask(page, QUESTION)
    expect(_bot_messages(page)).to_have_count(2)
    expect(panel.locator(".answer-status.answered")).to_be_visible()
    expect(_bot_messages(page).nth(1)).to_contain_text("January 1, 2025")
    expect(panel.locator(".filter-hints")).to_have_count(0)


@pytest.mark.slow
def test_an_article_filter_that_excludes_the_answer_says_so(page: Any) -> None:
    from playwright.sync_api import expect

    _options(page)
    page.locator("#doc-filter input").first.click()
    # Only an article that does not answer (the seeds have one publication, so the article
    # filter is the one that can exclude the answer here).
    page.get_by_role("option", name="Joint Military Drills").click()
    page.keyboard.press("Escape")
    expect(page.locator("#doc-filter")).to_contain_text("Joint Military Drills")
    _ask(page, QUESTION)
    hints = page.locator("#sources .filter-hints")
    expect(page.locator("#sources .answer-status.not-answered")).to_be_visible()
    expect(hints).to_contain_text("Only 1 chosen article was searched")
    expect(hints).to_contain_text("clear “Only these articles”")


@pytest.mark.slow
def test_a_follow_up_shows_how_it_was_understood(page: Any) -> None:
    from playwright.sync_api import expect

    _ask(page, QUESTION)
    expect(page.locator("#sources .answer-status.answered")).to_be_visible()
    # A standalone question was understood as itself: nothing to show.
    expect(page.locator("#chatbot .understood-as")).to_have_count(0)
    expect(page.locator("#answer-markdown")).not_to_contain_text("Understood as")
    _ask(page, "Who will replace them?")
    expect(_bot_messages(page)).to_have_count(2)
    understood = _bot_messages(page).nth(1).locator(".understood-as")
    # The pronoun is resolved from the previous turn, so the standalone question names them.
    expect(understood).to_contain_text("Understood as: Who will replace")
    expect(understood).to_contain_text("border guards")
    expect(understood).not_to_contain_text("replace them")
    # Small and muted: smaller and lighter than the answer it sits under.
    style = understood.evaluate(
        "e => { const s = getComputedStyle(e), p = getComputedStyle(e.parentElement);"
        " return [parseFloat(s.fontSize), parseFloat(p.fontSize), s.color, p.color]; }"
    )
    assert style[0] < style[1] and style[2] != style[3], style
    expect(page.locator("#answer-markdown")).to_contain_text(
        "_Understood as:_ Who will replace the Russian border guards?"
    )
    _shot(page, "08-follow-up-understood.png", docs=f"ui-{page.width}-follow-up.png")


@pytest.mark.slow
def test_looks_citation_links_cards_fonts_and_the_markdown_box(page: Any) -> None:
    from playwright.sync_api import expect

    # No answer yet: no empty Markdown box.
    expect(page.locator("#answer-markdown")).to_be_hidden()
    # The theme's fonts are the system's: no web font is asked for (the fixture checks no
    # request left 127.0.0.1) and the headings use the system stack.
    font = page.locator("h2").first.evaluate("e => getComputedStyle(e).fontFamily")
    assert font.startswith("system-ui"), font
    assert page.evaluate("[...document.fonts].filter(f => f.status !== 'unloaded').length") == 0

    _ask(page, QUESTION)
    expect(page.locator("#sources .answer-status.answered")).to_be_visible()
    link = page.locator('#chatbot a[href$="#citation-1"]').first
    colour = link.evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(37, 99, 235)", colour  # link blue, not bold black
    assert "underline" not in link.evaluate("e => getComputedStyle(e).textDecorationLine")
    link.hover()
    expect(link).to_have_css("text-decoration-line", "underline")

    # The card's heading is the title; its passage does not repeat it.
    card = page.locator("#citation-1")
    title = card.locator(".citation-title").inner_text().strip()
    assert title
    assert title not in card.locator(".citation-passage").inner_text(), title
    expect(page.locator("#answer-markdown")).to_be_visible()
    expect(page.locator("#answer-markdown")).to_contain_text("References")


@pytest.mark.slow
def test_a_bad_date_is_one_toast_without_stray_quotes(page: Any) -> None:
    from playwright.sync_api import expect

    _options(page)
    page.locator("#as-of textarea, #as-of input").first.fill("31/01/2025")
    page.locator("#question textarea").fill(QUESTION)
    page.locator("#question textarea").press("Enter")
    toast = page.locator(".toast-body")
    expect(toast).to_have_count(1)
    text = toast.inner_text()
    assert "“As of” must be a date like 2025-01-31, not “31/01/2025”" in text, text
    assert "'" not in text and "(2)" not in text, text
    expect(_bot_messages(page)).to_have_count(0)


@pytest.mark.slow
def test_phone_layout_placeholder_sources_options_and_library(page: Any) -> None:
    from playwright.sync_api import expect

    box = page.locator("#question textarea")
    # The placeholder fits its box (measured in the box's own font).
    fits = box.evaluate(
        """e => { const s = getComputedStyle(e), c = document.createElement('canvas')
            .getContext('2d'); c.font = s.font;
          const room = e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
          return c.measureText(e.placeholder).width <= room; }"""
    )
    assert fits, box.get_attribute("placeholder")
    options = page.locator("#options .label-wrap").first
    is_open = re.compile(r"\bopen\b")
    if page.width == "phone":
        expect(options).not_to_have_class(is_open)
    else:
        expect(options).to_have_class(is_open)

    _ask(page, QUESTION)
    expect(page.locator("#sources .answer-status.answered")).to_be_visible()
    y = {
        name: page.locator(sel).first.bounding_box()
        for name, sel in (("chat", "#chatbot"), ("sources", "#sources"), ("options", "#options"))
    }
    if page.width == "phone":  # one column: answer, its sources, then the controls
        assert y["chat"]["y"] < y["sources"]["y"] < y["options"]["y"], y
    else:  # side by side, the controls below
        assert y["sources"]["x"] > y["chat"]["x"] and y["options"]["y"] > y["chat"]["y"], y
    _shot(page, "09-layout.png")

    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#library-summary")).to_contain_text("5 articles")
    # A phone gets the library as a list (five columns cannot fit 390 px), a laptop a table.
    table, listing = page.locator("#library-table"), page.locator("#library-list")
    if page.width == "phone":
        expect(table).to_be_hidden()
        expect(listing.locator(".library-item")).to_have_count(5)
        item = listing.locator(".library-item").filter(has_text="Joint Military Drills")
        expect(item.locator(".library-meta")).to_contain_text("2025-09-11 · 7 chunks")
        # A date stays on one line.
        date = item.locator(".library-date")
        lines = date.evaluate(
            "e => new Set([...e.getClientRects()].map(r => Math.round(r.top))).size"
        )
        assert lines == 1, lines
    else:
        expect(listing).to_be_hidden()
        expect(table).to_contain_text("Chunks")
        expect(table).to_contain_text("2025-09-11")
    # Nothing is wider than the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[page.width][0]
    _shot(page, "10-library.png", docs=f"ui-{page.width}-library.png")


LLM_REPLY = (
    "Short answer: January 1, 2025\n\n"
    "Russian border guards are set to withdraw from the Armenia-Iran border by "
    "January 1, 2025 [1]."
)


@pytest.fixture(scope="module")
def llm_ui(tmp_path_factory: pytest.TempPathFactory, embedder, seeds_dir) -> Iterator[Any]:
    """The app over the seeds, answering with an LLM: the fake OpenAI-compatible server."""
    from fake_openai import FakeOpenAI

    from assistant import Assistant
    from assistant.ui import build_app

    root = tmp_path_factory.mktemp("ui-llm")
    mp = pytest.MonkeyPatch()
    mp.setenv("GRADIO_TEMP_DIR", str(root / "gradio-cache"))
    with FakeOpenAI(chunk_size=12) as server:
        assistant = Assistant(
            store=root / "store",
            embedder=embedder,
            answerer="llm",
            openai_base_url=server.base_url,
            openai_api_key="sk-test-not-a-secret",
            llm_model="fake-model",
            llm_max_retries=0,
            llm_timeout=TIMEOUT_MS / 1000,
            llm_deadline=TIMEOUT_MS / 1000,
        )
        assert assistant.ingest([seeds_dir]).added == 5
        demo = build_app(assistant, upload_dir=root / "uploads", max_upload_mb=1)
        port = _free_port()
        demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
        try:
            yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", server=server)
        finally:
            demo.close()
            mp.undo()


@pytest.mark.slow
@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_llm_answer_streams_progress_then_tokens_then_the_verified_answer(
    browser: Any, llm_ui: Any, width: str, tmp_path: Path
) -> None:
    import threading

    from playwright.sync_api import expect

    server = llm_ui.server
    # The server holds its reply before the first words, then again halfway: the page is
    # looked at in each of those states, so no update can be merged into the next.
    before_text, halfway = threading.Event(), threading.Event()
    server.pauses = {1: before_text, 6: halfway}
    server.reply(LLM_REPLY)
    page = _open_page(browser, llm_ui.url, width, tmp_path)
    try:
        expect(page.locator('#answer-mode input[value="llm"]')).to_be_checked()
        _ask(page, QUESTION)
        bot = _bot_messages(page).last
        status = page.locator("#sources .answer-status")
        # 1: what it is doing, before any answer text.
        expect(bot).to_contain_text("Searching 5 articles…")
        expect(status).to_have_class(re.compile(r"\bworking\b"))
        expect(status).to_contain_text("Searching 5 articles…")
        before_text.set()
        # 2: the first tokens, as they arrive, while the rest is still held back.
        expect(bot).to_contain_text("Short answer: January 1, 2025")
        expect(status).to_contain_text("Writing the answer…")
        assert "[1]" not in bot.inner_text()
        _shot(page, "11-llm-streaming.png")
        halfway.set()
        # 3: the verified answer, its citation linked to the passage.
        expect(page.locator("#sources .answer-status.answered")).to_contain_text("(llm)")
        expect(bot.locator('a[href$="#citation-1"]')).to_have_count(1)
        expect(page.locator("#citation-1 mark")).to_contain_text("January 1, 2025")
    finally:
        before_text.set()
        halfway.set()
        server.pauses = {}
        _close_page(page)


@pytest.mark.slow
def test_server_log_has_one_line_per_request_and_no_traceback_for_caller_errors(
    ui: Any, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    import logging

    import httpx

    caplog.set_level(logging.INFO, logger="assistant.ui")
    capfd.readouterr()
    calls = [
        (["", [], "", "", "", False], "the question is empty"),
        ([QUESTION, [], "2025-13-45", "", "", False], "must be a date like 2025-01-31"),
        ([QUESTION, [], "", "", "", False], None),
    ]
    with httpx.Client(base_url=ui.url, timeout=TIMEOUT_MS / 1000) as http:
        for data, error in calls:
            event_id = http.post("gradio_api/call/ask", json={"data": data}).json()["event_id"]
            body = http.get(f"gradio_api/call/ask/{event_id}").text
            if error:
                assert "event: error" in body and error in body, body
            else:
                assert "event: complete" in body, body
    err = capfd.readouterr().err
    assert "Traceback" not in err, err
    assert "%|" not in err, err  # no progress bars in the server log
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("api ask")]
    assert len(lines) == 3, lines
    assert lines[0] == "api ask '': refused: the question is empty"
    assert "refused: as_of must be a date like 2025-01-31" in lines[1]
    assert re.match(rf"api ask {re.escape(repr(QUESTION))}: answered, \d+ citations? \[", lines[2])


@pytest.fixture(scope="module")
def export_ui(tmp_path_factory: pytest.TempPathFactory, embedder, seeds_dir) -> Iterator[Any]:
    """An app of its own for the export upload: the module's shared app has had other
    uploads (and deletions) by then, and what its library and answers show depends on them."""
    with _served(tmp_path_factory.mktemp("ui-export"), embedder, seeds_dir) as app:
        yield app


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_uploaded_export_splits_and_says_where_each_article_came_from(
    browser: Any, export_ui: Any, tmp_path: Path, width: str
) -> None:
    """A Factiva-style PDF export uploaded in the UI: three articles, the library's From
    column and the citation panel name the file, the article and its pages."""
    from format_fixtures import factiva_text, stories, write_pdf
    from playwright.sync_api import expect

    ui = export_ui
    page = _open_page(browser, ui.url, width, tmp_path)
    three = stories(3, start=dt.date(2031, 5, 1))
    upload = write_pdf(tmp_path / "export.pdf", factiva_text(three))
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#library-summary")).to_contain_text("5 articles")
    # Indexing and answering take longer than a click on a busy machine: waits are long.
    slow = 120_000
    try:
        page.locator("#upload input[type=file]").set_input_files(str(upload))
        status = page.locator("#upload-status .upload-ok")
        expect(status).to_contain_text("export.pdf: 3 added", timeout=slow)
        expect(page.locator("#library-summary")).to_contain_text("8 articles")
        expect(_library(page)).to_contain_text("export.pdf, article 2 of 3, page 1")
        _shot(page, "06-library-export.png")
        page.get_by_role("tab", name="Chat").click()
        town = three[1].title.split(" council")[0]
        _ask(page, f"How much will the new library wing in {town} cost?")
        expect(page.locator("#chatbot")).to_contain_text("127,919", timeout=slow)
        origin = page.locator("#citation-1 .citation-origin")
        expect(origin).to_contain_text("from export.pdf, article 2 of 3, page 1")
        _shot(page, "07-citation-origin.png")
    finally:
        ui.assistant.delete([f"export.pdf#{n}" for n in (1, 2, 3)])
        (ui.root / "uploads" / "export.pdf").unlink(missing_ok=True)
        _close_page(page)


def test_ui_url_fetching_is_off_unless_set_and_then_refuses_private_addresses(
    tmp_path: Path, embedder
) -> None:
    import gradio as gr

    from assistant import Assistant
    from assistant.ui.app import _Backend

    off = _Backend(
        Assistant(store=tmp_path / "s1", embedder=embedder), tmp_path / "u1", max_upload_mb=1
    )
    with pytest.raises(gr.Error, match="fetching URLs is off"):
        off.add_urls("https://example.org/", "")
    on = _Backend(
        Assistant(store=tmp_path / "s2", embedder=embedder, ui_fetch_urls=True),
        tmp_path / "u2",
        max_upload_mb=1,
    )
    status = on.add_urls("http://127.0.0.1:9/admin\nhttp://192.168.1.1/\nhttp://[::1]/x", "")[0]
    assert status.count("loopback, private or reserved") == 3
    assert on.assistant.articles() == []
