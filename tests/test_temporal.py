"""Time-aware retrieval: the question's time expressions, the ranking prior, date ranges and
undated articles, through `time_window`, `Assistant.retrieve`/`ask` and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from assistant import Assistant, Query
from assistant.cli import main
from assistant.errors import ConfigError
from assistant.temporal import Prior, TimePriors, time_window

REF = dt.date(2023, 7, 12)  # a Wednesday

# One recurring event, written for these tests: the same regatta reported each summer, in
# nearly the same words, so only the date tells the years' reports apart.
WINNERS = {2019: "Kestrel", 2020: "Heron", 2021: "Osprey", 2022: "Curlew", 2023: "Plover"}


def _report(year: int, winner: str) -> str:
    # Filler in the reports the time questions want, so their words match the questions
    # less well than the other years' reports do.
    extra = (
        "The town's bakery sold out of its harbour buns by noon, and the bus company ran "
        "extra services from the station until late in the evening. "
        if year in (2020, 2023)
        else ""
    )
    whale = "A paper whale float led the parade of boats before the racing. "
    whale = whale if year == 2021 else ""
    return (
        f"The Saltmere harbour regatta was won by the {winner} crew, who took the harbour "
        f"cup after the final race of the regatta on Saturday. {extra}{whale}"
        "Forty boats raced over the three-mile course in the bay."
    )


REGATTA = [
    {
        "id": f"regatta-{year}",
        "title": f"{winner} crew wins the Saltmere harbour regatta",
        "text": _report(year, winner),
        "published": dt.date(year, 7, 8 + (year % 3)).isoformat(),
        "source": "Saltmere Gazette",
    }
    for year, winner in WINNERS.items()
] + [
    {
        "id": "regatta-history",
        "title": "A short history of the Saltmere harbour regatta",
        "text": "The Saltmere harbour regatta began as a race between fishing crews. The "
        "harbour cup goes to the crew that wins the final race over the three-mile course.",
        "published": None,
        "source": "Saltmere Gazette",
    }
]


@pytest.fixture(scope="module")
def regatta(tmp_path_factory: pytest.TempPathFactory, embedder) -> Assistant:
    root = tmp_path_factory.mktemp("regatta")
    feed = root / "regatta.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in REGATTA), encoding="utf-8")
    a = Assistant(store=root / "store", embedder=embedder, answerer="extractive")
    assert a.ingest([feed]).added == len(REGATTA)
    return a


# ---------------------------------------------------------------- the question's time


@pytest.mark.parametrize(
    ("question", "kind", "start", "end"),
    [
        ("Who won this week?", "recent", dt.date(2023, 7, 6), REF),
        ("Who won yesterday?", "recent", dt.date(2023, 7, 11), REF),
        ("Who is currently in the lead?", "recent", dt.date(2023, 6, 29), REF),
        ("Who won in 2020?", "dated", dt.date(2020, 1, 1), dt.date(2020, 12, 31)),
        ("Who won last March?", "dated", dt.date(2023, 3, 1), dt.date(2023, 3, 31)),
        ("What happened on September 11, 2021?", "dated", dt.date(2021, 9, 11), None),
        ("Who won two years ago?", "dated", dt.date(2021, 1, 1), dt.date(2021, 12, 31)),
        ("Where will the race go next month?", "recent", dt.date(2023, 7, 6), REF),
        ("Who won the harbour cup?", "none", None, None),
        ("Which crew raised $11 million?", "none", None, None),
    ],
)
def test_time_window_reads_the_questions_time(
    question: str, kind: str, start: dt.date | None, end: dt.date | None
) -> None:
    w = time_window(question, REF)
    assert w.kind == kind
    assert w.reference == REF
    assert w.start == start
    assert w.end == (end or start)


def test_time_window_says_what_it_ranked_for() -> None:
    assert time_window("Who won this week?", REF).describe() == (
        "ranked for the week before 2023-07-12 (“this week”)"
    )
    assert time_window("Who won in 2020?", REF).describe().startswith("ranked for 2020 ")
    assert time_window("Who won last March?", REF).describe().startswith("ranked for March 2023")
    line = (
        time_window("Who won?", REF)
        .with_filters(as_of=REF, since=None, until=None, include_undated=True)
        .describe()
    )
    assert "close to 2023-07-12" in line
    assert "articles published by 2023-07-12" in line
    assert "undated articles included" in line


EDGE_PHRASES = ["this week", "next month", "in December", "yesterday", "recently", "next year"]


@pytest.mark.parametrize("reference", [dt.date(1, 1, 3), dt.date(1, 1, 14), dt.date(9999, 12, 31)])
@pytest.mark.parametrize("phrase", EDGE_PHRASES)
def test_time_window_at_the_ends_of_the_calendar(reference: dt.date, phrase: str) -> None:
    w = time_window(f"What happened {phrase}?", reference).with_filters(
        as_of=reference, since=None, until=None, include_undated=False
    )
    for day in (w.start, w.end):
        assert day is None or dt.date.min <= day <= reference
    assert f"articles published by {reference.isoformat()}" in w.describe()


@pytest.mark.parametrize(
    "phrase", ["5000 years ago", "1,000,000 days ago", "3000 centuries ago", "9000 years from now"]
)
def test_an_expression_outside_the_calendar_is_ignored_and_said(phrase: str) -> None:
    w = time_window(f"What happened {phrase}?", REF)
    assert w.kind == "none" and w.start is None, w
    assert w.ignored == (phrase,)
    assert f"“{phrase}” ignored: it lies outside the dates that can be read" in w.describe()


def test_an_expression_inside_the_calendar_is_still_read() -> None:
    w = time_window("Who won two years ago?", REF)
    assert (w.kind, w.start, w.ignored) == ("dated", dt.date(2021, 1, 1), ())


def test_the_window_described_is_the_one_used() -> None:
    # as_of is an upper bound too: with an earlier as_of, until is not what limits the search.
    w = time_window("Who won?", dt.date(2024, 1, 1)).with_filters(
        as_of=dt.date(2024, 1, 1), since=None, until=dt.date(2030, 1, 1), include_undated=False
    )
    assert w.describe().endswith("articles from the earliest to 2024-01-01"), w.describe()
    w = w.with_filters(
        as_of=dt.date(2024, 1, 1),
        since=dt.date(2020, 1, 1),
        until=dt.date(2022, 1, 1),
        include_undated=False,
    )
    assert w.describe().endswith("articles from 2020-01-01 to 2022-01-01"), w.describe()


# ---------------------------------------------------------------- ranking


def test_this_week_finds_this_years_report(regatta: Assistant) -> None:
    res = regatta.retrieve("Which crew won the Saltmere harbour regatta this week?", as_of=REF)
    assert res.article_order[0] == "regatta-2023"
    assert res.window is not None and res.window.kind == "recent"


def test_a_year_in_the_question_finds_that_years_report(regatta: Assistant) -> None:
    for as_of in (None, REF):
        res = regatta.retrieve("Which crew won the Saltmere harbour regatta in 2020?", as_of=as_of)
        assert res.article_order[0] == "regatta-2020", as_of


def test_a_question_without_time_is_ranked_by_relevance(regatta: Assistant) -> None:
    # The newest report is closest to the reference date; the question's words point to
    # an older one, and the weak prior must not override them.
    res = regatta.retrieve("Which regatta had a paper whale float in its parade?", as_of=REF)
    assert res.article_order[0] == "regatta-2021"
    assert res.window is not None and res.window.kind == "none"


def test_undated_article_keeps_its_place_among_dated_ones(regatta: Assistant) -> None:
    # The history article has no date: the prior leaves it where relevance puts it, among
    # the yearly reports, instead of last (buried) or first (boosted).
    q = "How did the Saltmere harbour regatta begin, as a race between fishing crews?"
    order = regatta.retrieve(q).article_order
    assert order[0] == "regatta-history"
    order = regatta.retrieve("Which crew won the Saltmere harbour regatta this week?").article_order
    assert "regatta-history" in order
    assert order[0] != "regatta-history"


# ---------------------------------------------------------------- date ranges and undated


def test_since_and_until_keep_only_that_range(regatta: Assistant) -> None:
    res = regatta.retrieve("Who won the regatta?", since="2020-01-01", until="2021-12-31")
    assert set(res.article_order) == {"regatta-2020", "regatta-2021"}
    res = regatta.retrieve("Who won the regatta?", since="2022-01-01", as_of=REF)
    assert set(res.article_order) == {"regatta-2022", "regatta-2023"}
    res = regatta.retrieve(
        "Who won the regatta?", since="2022-01-01", as_of=REF, include_undated=True
    )
    assert set(res.article_order) == {"regatta-2022", "regatta-2023", "regatta-history"}


def test_bad_ranges_are_refused_naming_the_option(regatta: Assistant) -> None:
    with pytest.raises(ConfigError, match=r"since 2022-01-01 is after until 2021-01-01"):
        regatta.ask("Who won?", since="2022-01-01", until="2021-01-01")
    with pytest.raises(ConfigError, match=r"since 2024-01-01 is after as_of 2023-07-12"):
        regatta.ask("Who won?", since="2024-01-01", as_of=REF)
    with pytest.raises(ConfigError, match=r"until must be a date like 2025-01-31, not 'July'"):
        regatta.ask("Who won?", until="July")


def test_answer_carries_the_time_window(regatta: Assistant) -> None:
    answer = regatta.ask("Which crew won the Saltmere harbour regatta this week?", as_of=REF)
    assert answer.time_window is not None
    assert answer.time_window.describe().startswith("ranked for the week before 2023-07-12")
    assert answer.citations[0].doc_id == "regatta-2023"
    data = answer.to_json_dict()
    assert data["time_window"]["kind"] == "recent"
    assert data["time_window"]["as_of"] == "2023-07-12"
    assert data["time_window"]["description"] == answer.time_window.describe()


def test_the_query_s_time_priors_reach_retrieval_and_the_answer(regatta: Assistant) -> None:
    """Priors tuned on the query are the ones retrieval ranks with and the answer step
    weighs dates with: both read them off the window, never the module's defaults."""
    q = "Which crew won the Saltmere harbour regatta this week?"
    off = TimePriors(*[Prior(weight=0.0, scale=1.0)] * 3)
    sharp = TimePriors(*[Prior(weight=50.0, scale=1.0)] * 3)
    assert regatta.retrieve(q, as_of=REF, time_priors=off).window.prior == off.recent
    ranked = regatta.retrieve(q, as_of=REF, time_priors=sharp)
    assert ranked.window.prior == sharp.recent
    assert ranked.article_order[0] == "regatta-2023"  # the week's article, far ahead
    answer = regatta.ask(Query(q, as_of=REF, time_priors=sharp))
    assert answer.time_window is not None and answer.time_window.prior == sharp.recent
    assert "priors" not in answer.to_json_dict()["time_window"]


def test_as_of_says_how_many_undated_articles_it_left_out(seeds_assistant: Assistant) -> None:
    # Four of the five seed articles are undated: a future as_of leaves them out, and the
    # abstention says so instead of only "none of the passages answers".
    q = "When do the Russian border guards leave the Armenia-Iran border?"
    answer = seeds_assistant.ask(q, as_of="2030-01-01")
    # Not answered (or only the closest passages quoted, no short answer).
    assert not answer.short
    assert answer.undated_excluded == 4
    assert "4 undated articles were left out by the date filter" in answer.text
    answer = seeds_assistant.ask(q, as_of="2020-01-01")  # before the one dated article
    assert answer.abstained and not answer.citations
    assert answer.text.startswith("No indexed article with a known date falls in the searched")
    assert "4 undated articles were left out" in answer.text
    answer = seeds_assistant.ask(q, as_of="2030-01-01", include_undated=True)
    assert not answer.abstained
    assert answer.undated_excluded == 0
    assert "January 1, 2025" in answer.text


# ---------------------------------------------------------------- CLI


@pytest.fixture
def _shared_model(cli_model: None) -> None:
    """The CLI runs with the session's model (conftest's `cli_model`)."""


@pytest.mark.usefixtures("_shared_model")
def test_cli_ranges_and_the_window_line(capsys, regatta: Assistant) -> None:
    store = str(regatta.settings.store)
    q = "Which crew won the Saltmere harbour regatta this week?"
    assert main(["ask", q, "--store", store, "--as-of", "2023-07-12"]) == 0
    out = capsys.readouterr().out
    assert "ranked for the week before 2023-07-12" in out
    argv = ["ask", q, "--store", store, "--json", "--since", "2020-01-01", "--until", "2020-12-31"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert {c["doc_id"] for c in data["citations"]} == {"regatta-2020"}
    assert data["time_window"]["since"] == "2020-01-01"


@pytest.mark.usefixtures("_shared_model")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2024-13-01"], "--since must be a date like 2025-01-31, not '2024-13-01'"),
        (["--until", "soon"], "--until must be a date like 2025-01-31, not 'soon'"),
        (["--since", "2024-05-01", "--until", "2024-01-01"], "--since 2024-05-01 is after --until"),
        (["--since", "2024-05-01", "--as-of", "2024-01-01"], "--since 2024-05-01 is after --as-of"),
    ],
)
def test_cli_bad_dates_exit_2_naming_the_option(
    capsys, tmp_path: Path, args: list[str], message: str
) -> None:
    assert main(["ask", "Who won?", "--store", str(tmp_path / "store"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.usefixtures("_shared_model")
@pytest.mark.parametrize("as_of", ["0001-01-03", "9999-12-31"])
def test_cli_as_of_at_the_ends_of_the_calendar(capsys, regatta: Assistant, as_of: str) -> None:
    store = str(regatta.settings.store)
    for phrase in ("this week", "next month", "in December"):
        q = f"Which crew won the Saltmere harbour regatta {phrase}?"
        assert main(["ask", q, "--store", store, "--as-of", as_of]) == 0, capsys.readouterr()
        assert f"published by {as_of}" in capsys.readouterr().out


# ---------------------------------------------------------------- UI


def test_ui_sources_panel_says_the_time_window(regatta: Assistant) -> None:
    from assistant.ui.render import sources_html

    answer = regatta.ask("Which crew won the Saltmere harbour regatta this week?", as_of=REF)
    html = sources_html(answer, {})
    assert 'class="time-window"' in html
    assert "ranked for the week before 2023-07-12" in html


def test_ui_api_takes_a_range_and_refuses_a_bad_one(regatta: Assistant, tmp_path: Path) -> None:
    import gradio as gr

    from assistant.ui.app import _Backend

    be = _Backend(regatta, tmp_path / "uploads", max_upload_mb=1.0)
    q = "Which crew won the Saltmere harbour regatta?"
    out = be.ask_api(q, [], "", "2020-01-01", "2020-12-31")
    assert {c["doc_id"] for c in out["citations"]} == {"regatta-2020"}
    assert out["time_window"]["until"] == "2020-12-31"
    # The API names its own parameters (one Query, one set of messages: issue 26).
    with pytest.raises(gr.Error, match="since 2021-01-01 is after until 2020-12-31"):
        be.ask_api(q, [], "", "2021-01-01", "2020-12-31")
    with pytest.raises(gr.Error, match="until"):
        be.ask_api(q, [], "", "", "last year")
    for as_of in ("0001-01-02", "9999-12-31"):  # a time phrase at the calendar's ends
        out = be.ask_api(f"{q[:-1]} next month?", [], as_of)
        assert out["time_window"]["description"].endswith(f"published by {as_of}")
