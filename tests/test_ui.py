"""The web UI: rendering helpers, then the live app in headless Chromium, `/ask`, and auth.

The browser tests drive Debian's Chromium through Playwright (Playwright's own browser
download cannot work offline). Screenshots of each step land in the test's tmp folder; set
UPDATE_DOCS_SCREENSHOT=1 to also refresh docs/ui.png from the chat step.
"""

from __future__ import annotations

import datetime as dt
import os
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


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory, embedder, seeds_dir) -> Iterator[Any]:
    """The app over the five seeds, served on 127.0.0.1 for this module."""
    from assistant import Assistant
    from assistant.ui import build_app

    root = tmp_path_factory.mktemp("ui")
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
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, ui: Any, tmp_path: Path) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)

    # The page may only load from our server (the theme asks for web fonts, for example).
    def only_local(route: Any) -> None:
        if route.request.url.startswith(ui.url):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_local)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(ui.url, wait_until="domcontentloaded")
    pg.locator("#question textarea").wait_for()
    pg.shots = tmp_path  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _shot(page: Any, name: str) -> Path:
    path = Path(page.shots) / name
    page.screenshot(path=str(path))
    return path


def _ask(page: Any, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    page.locator("#ask-btn").click()


def _library_text(page: Any) -> str:
    return str(page.locator("#library-table").inner_text())


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
    shot = _shot(page, "02-citation-clicked.png")
    if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(shot, REPO / "docs" / "ui.png")

    # A follow-up goes out with the conversation so far; then clearing forgets it.
    _ask(page, "Who will take over control of the checkpoint?")
    expect(page.locator("#chatbot .message-row.bot-row")).to_have_count(2)
    expect(page.locator("#chatbot")).to_contain_text("Armenia")
    # The answer is complete once the sources panel shows its passage.
    expect(page.locator("#citation-1 mark")).to_contain_text("take over control")
    page.locator("#clear-btn").click()
    expect(page.locator("#chatbot .message-row")).to_have_count(0)
    expect(page.locator("#sources .answer-status.empty")).to_be_visible()


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
    expect(page.locator("#library-table")).to_contain_text("Tarnwick Skybridge to Open")
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
    cells = page.locator('#library-table [role="gridcell"]')
    cells.filter(has_text="Tarnwick Skybridge to Open").first.click()
    expect(page.locator("#delete-select")).to_contain_text(stored)
    page.locator("#delete-btn").click()
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
    # Two files of one upload with the same name (from two folders): one clash, reported.
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
        expect(page.locator("#upload-status .upload-ok")).to_contain_text("same.txt: 1 added")
        expect(page.locator("#upload-status .upload-error")).to_contain_text(
            "same.txt: same name as same.txt, uploaded just before"
        )
        assert (uploads / "same.txt").read_text(encoding="utf-8") == NON_LATIN["日本.txt"]
    finally:
        extra = [d for d in {i.doc_id for i in ui.assistant.articles()} if (uploads / d).exists()]
        ui.assistant.delete(extra)
        for d in extra:
            (uploads / d).unlink()
    assert len(ui.assistant.articles()) == 5


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
        ([QUESTION, [], 20250131, "", "", False], "as_of must be a date string"),
    ],
)
def test_ask_endpoint_rejects_wrong_types_with_a_clear_error(
    ui: Any, data: list[Any], message: str
) -> None:
    """Raw JSON, as any HTTP client may send it (the Python client would check types).
    Raw calls send every input: question, history, as_of, since, until, include_undated."""
    import httpx

    with httpx.Client(base_url=ui.url, timeout=60) as http:
        r = http.post("gradio_api/call/ask", json={"data": data})
        assert r.status_code == 200, r.text
        event_id = r.json()["event_id"]
        body = http.get(f"gradio_api/call/ask/{event_id}").text
    assert "event: error" in body, body
    assert message in body, body
    assert "null" not in body.split("event: error", 1)[1].split("\n\n")[0], body


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
    assert (tmp_path / "store" / "uploads").is_dir()
