"""The offline (extractive) answerer end to end, over small fictional articles."""

from __future__ import annotations

import pytest
from news_fixture import harbor_articles, write_feed

from assistant import Answer, Assistant

# Invented stories (tests/fixtures/news/harbor.jsonl).
ARTICLES = harbor_articles("bridge", "festival", "storm", "museum")
# Two reports of the same event that disagree on its date.
TRAM_EARLY = {
    "id": "tram-early",
    "title": "Orchard Line tram extension gets an opening date",
    "source": "Metro Ledger",
    "published": "2026-01-10",
    "text": (
        "Transit officials in Kellsmouth gave a date for the new stops on Tuesday. The Orchard "
        "Line tram extension will open on May 12, 2027, the transit authority said. Four new "
        "stations are being built along the river."
    ),
}
TRAM_LATE = {
    "id": "tram-late",
    "title": "Orchard Line tram extension delayed",
    "source": "Kellsmouth Daily",
    "published": "2026-08-21",
    "text": (
        "Delays in the delivery of rails have pushed back the project. The Orchard Line tram "
        "extension will open on September 8, 2027, the transit authority said. Contractors "
        "blamed a shortage of steel."
    ),
}


# One invented article, for the tests of the `make_assistant` fixture.
PIER = {
    "pier.txt": (
        "Old pier to be rebuilt\n\nThe old pier in Saltmarsh Bay collapsed in a gale. "
        "The council voted to rebuild the pier by the summer of 2028. Fishermen "
        "welcomed the decision.\n"
    )
}


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory, embedder) -> Assistant:
    root = tmp_path_factory.mktemp("extractive")
    a = Assistant(store=root / "store", embedder=embedder, answerer="extractive")
    report = a.ingest([write_feed(root / "articles", ARTICLES)])
    assert report.ok and report.added == len(ARTICLES)
    return a


@pytest.fixture(scope="module")
def trams(tmp_path_factory: pytest.TempPathFactory, embedder) -> Assistant:
    root = tmp_path_factory.mktemp("trams")
    a = Assistant(store=root / "store", embedder=embedder, answerer="extractive")
    report = a.ingest([write_feed(root / "articles", [TRAM_EARLY, TRAM_LATE])])
    assert report.ok and report.added == 2
    return a


def assert_citations_verbatim(a: Assistant, answer: Answer) -> None:
    """Every citation quotes its article exactly at its offsets, numbered 1..n."""
    assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    arts = a.store.get_articles(sorted({c.doc_id for c in answer.citations}))
    for c in answer.citations:
        text = arts[c.doc_id].text
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start : c.end] == c.quote
        assert f"[{c.number}]" in answer.text


@pytest.mark.parametrize(
    ("question", "expected", "doc_id"),
    [
        ("When will the bridge reopen?", "March 3, 2027", "bridge"),
        ("Who founded the festival?", "Marta Oyelaran", "festival"),
        pytest.param(
            "Who founded the Lantern Festival?",
            "Marta Oyelaran",
            "festival",
            marks=pytest.mark.xfail(
                strict=True,
                reason="issue 19: en_core_web_sm tags the invented 'Marta Oyelaran' GPE and "
                "'Brennick' PERSON, so the town wins a who-question",
            ),
        ),
        ("How many homes did the storm destroy?", "1,240", "storm"),
        ("Which country will the museum move to?", "Portugal", "museum"),
    ],
)
def test_answers_with_short_value_and_verbatim_citations(
    news: Assistant, question: str, expected: str, doc_id: str
) -> None:
    answer = news.ask(question)
    assert not answer.abstained, answer.text
    assert answer.mode == "extractive"
    assert expected in answer.short
    assert expected in answer.text
    assert answer.citations
    assert answer.citations[0].doc_id == doc_id
    assert expected in answer.citations[0].quote
    assert_citations_verbatim(news, answer)


def test_citation_carries_article_metadata(news: Assistant) -> None:
    answer = news.ask("When will the bridge reopen?")
    first = answer.citations[0]
    assert first.title == "Harbor Bridge repairs near completion"
    assert first.source == "Coastline Courier"
    assert first.url == "https://example.test/bridge"
    assert first.published is not None and first.published.isoformat() == "2026-11-02"
    assert first.quote == "The bridge will reopen on March 3, 2027."


def test_short_answer_leads_the_text(news: Assistant) -> None:
    answer = news.ask("How many homes did the storm destroy?")
    first_line = answer.text.splitlines()[0]
    assert answer.short in first_line
    assert "[1]" in first_line


@pytest.mark.parametrize(
    "question",
    [
        "What is the price of wheat futures in Chicago?",
        "Who won the chess championship in Oslo?",
    ],
)
def test_abstains_when_articles_do_not_answer(news: Assistant, question: str) -> None:
    answer = news.ask(question)
    assert answer.abstained
    assert "don't say" in answer.text
    assert answer.citations == ()
    assert answer.short == ""


def test_conflicting_dates_are_both_shown_with_markers(trams: Assistant) -> None:
    answer = trams.ask("When will the Orchard Line tram extension open?")
    assert not answer.abstained
    assert "disagree" in answer.text
    by_doc = {c.doc_id: c for c in answer.citations}
    assert {"tram-early", "tram-late"} <= by_doc.keys()
    for doc_id, value in (("tram-early", "May 12, 2027"), ("tram-late", "September 8, 2027")):
        cite = by_doc[doc_id]
        assert value in cite.quote
        # The value is listed on a line that carries its own citation marker.
        assert any(
            value in line and f"[{cite.number}]" in line for line in answer.text.splitlines()
        ), answer.text
    assert_citations_verbatim(trams, answer)


def test_as_of_excludes_later_articles(trams: Assistant) -> None:
    question = "When will the Orchard Line tram extension open?"
    answer = trams.ask(question, as_of="2026-03-01")
    assert not answer.abstained
    assert answer.citations
    assert {c.doc_id for c in answer.citations} == {"tram-early"}
    assert "May 12, 2027" in answer.short
    assert "September 8, 2027" not in answer.text
    assert "disagree" not in answer.text


def test_as_of_accepts_a_date_object(trams: Assistant) -> None:
    import datetime as dt

    answer = trams.ask("When will the Orchard Line tram extension open?", as_of=dt.date(2026, 9, 1))
    assert {c.doc_id for c in answer.citations} >= {"tram-early", "tram-late"}


def test_as_of_before_every_article_abstains(trams: Assistant) -> None:
    answer = trams.ask("When will the Orchard Line tram extension open?", as_of="2025-01-01")
    assert answer.abstained
    assert answer.citations == ()


def test_doc_ids_filter_limits_citations(trams: Assistant) -> None:
    answer = trams.ask("When will the Orchard Line tram extension open?", doc_ids=["tram-late"])
    assert {c.doc_id for c in answer.citations} == {"tram-late"}
    assert "September 8, 2027" in answer.short


def test_stream_yields_text_then_answer(news: Assistant) -> None:
    items = list(news.stream("Who founded the festival?"))
    assert isinstance(items[-1], Answer)
    deltas = items[:-1]
    assert deltas and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == items[-1].text


def test_make_assistant_fixture_store(make_assistant, write_files) -> None:
    folder = write_files(PIER)
    a = make_assistant(answerer="extractive")
    assert a.ingest([folder]).added == 1
    answer = a.ask("Who won the chess championship in Oslo?")
    assert answer.abstained and not answer.citations
    answer = a.ask("When will the pier be rebuilt?")
    assert not answer.abstained
    assert "2028" in answer.text
    assert answer.citations[0].doc_id == "pier.txt"
    assert_citations_verbatim(a, answer)


def test_a_what_did_they_do_question_is_answered_from_its_passage(
    make_assistant, write_files
) -> None:
    folder = write_files(PIER)
    a = make_assistant(answerer="extractive")
    assert a.ingest([folder]).added == 1
    answer = a.ask("What did the council vote to do with the pier?")
    assert not answer.abstained
    assert "rebuild the pier" in answer.text


def test_follow_up_pronoun_is_resolved_and_returned(make_assistant, write_files) -> None:
    folder = write_files(
        {
            "regatta.txt": (
                "Regatta founder honoured\n\nThe Port Velling regatta was founded by Anna "
                "Kowalski in 1998. Anna Kowalski started the race with six small boats. The "
                "town council gave her a medal on Friday.\n"
            )
        }
    )
    a = make_assistant(answerer="extractive")
    assert a.ingest([folder]).added == 1
    first = a.ask("Who founded the Port Velling regatta?")
    assert "Anna Kowalski" in first.short
    second = a.ask(
        "How many boats did she start the race with?", history=[(first.question, first.text)]
    )
    # The standalone question names her; it is what the UI shows and the API returns.
    assert "Anna Kowalski" in second.standalone_question
    assert "six" in second.short
    assert_citations_verbatim(a, second)


def test_why_question_answers_with_the_reason(make_assistant, write_files) -> None:
    folder = write_files(
        {
            "ferry.txt": (
                "Ferry service suspended\n\nThe Kellsmouth ferry was suspended on Monday "
                "because the harbor wall cracked during the storm. Engineers will inspect the "
                "wall this week.\n"
            )
        }
    )
    a = make_assistant(answerer="extractive")
    assert a.ingest([folder]).added == 1
    answer = a.ask("Why was the Kellsmouth ferry suspended?")
    assert not answer.abstained
    assert "harbor wall cracked" in answer.short
    assert answer.short in answer.citations[0].quote


def _feed_assistant(make_assistant, tmp_path, articles: list[dict]) -> Assistant:
    a = make_assistant(answerer="extractive")
    assert a.ingest([write_feed(tmp_path / "feed", articles)]).added == len(articles)
    return a


FERRY_2020 = {
    "id": "ferry-2020",
    "title": "Kellsmouth ferry line suspended",
    "source": "Kellsmouth Daily",
    "published": "2020-03-02",
    "text": (
        "The Kellsmouth ferry line was suspended this week after the harbor wall cracked. "
        "Engineers from Portland will inspect the wall before the line reopens."
    ),
}


def test_this_week_is_not_answered_from_an_old_article(make_assistant, tmp_path) -> None:
    a = _feed_assistant(make_assistant, tmp_path, [FERRY_2020])
    question = "Which ferry line was suspended this week?"
    old = a.ask(question, as_of="2026-06-01")
    assert old.abstained
    assert "more than 365 days before" in old.text
    assert "2020-03-02" in old.text
    # The same question asked in the week of the article is answered from it.
    timely = a.ask(question, as_of="2020-03-05")
    assert not timely.abstained
    assert "Kellsmouth" in timely.text


def test_recently_is_answered_from_the_latest_article_however_old(make_assistant, tmp_path) -> None:
    a = _feed_assistant(make_assistant, tmp_path, [FERRY_2020])
    answer = a.ask("Which ferry line was recently suspended?", as_of="2026-06-01")
    assert not answer.abstained


def test_a_choice_question_answers_with_the_alternative_stated(make_assistant, tmp_path) -> None:
    a = _feed_assistant(
        make_assistant,
        tmp_path,
        [
            {
                "id": "bridge",
                "title": "Harbor Bridge repaired",
                "source": "Kellsmouth Daily",
                "published": "2026-05-02",
                "text": (
                    "The old Harbor Bridge in Kellsmouth was repaired over the winter and "
                    "reopened to traffic on Friday, the council said."
                ),
            }
        ],
    )
    answer = a.ask("Was the Harbor Bridge in Kellsmouth repaired or demolished?")
    assert answer.short == "repaired"
    assert_citations_verbatim(a, answer)


def test_a_two_part_question_is_answered_part_by_part(make_assistant, tmp_path) -> None:
    a = _feed_assistant(
        make_assistant,
        tmp_path,
        [
            {
                "id": "tour",
                "title": "Mayor Varga's spring tour",
                "source": "Kellsmouth Daily",
                "published": "2026-05-02",
                "text": (
                    "Mayor Ines Varga travelled to Portland on Monday to sign a port agreement. "
                    "On Thursday she met the transport minister in Saltmarsh to discuss the "
                    "tram line."
                ),
            }
        ],
    )
    answer = a.ask(
        "Where did Mayor Varga travel on Monday, and where did she meet the transport minister?"
    )
    assert "Portland" in answer.short and "Saltmarsh" in answer.short
    assert answer.short.index("Portland") < answer.short.index("Saltmarsh")
    assert_citations_verbatim(a, answer)
