"""`Query`: one question with its options, checked once where it is built, with the same
messages on every surface (each names the options its own way)."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant import Query
from assistant.conversation import Turn
from assistant.errors import ConfigError
from assistant.query import CLI_NAMES, UI_NAMES
from assistant.temporal import DEFAULT_PRIORS, Prior, TimePriors

DAY = dt.date(2025, 1, 31)


def test_dates_are_parsed_once_and_carried_as_dates() -> None:
    q = Query.build("Who won?", as_of="2025-01-31", since=" 2024-12-01 ", until=None)
    assert (q.as_of, q.since, q.until) == (DAY, dt.date(2024, 12, 1), None)
    assert Query("Who won?", as_of="2025-01-31").as_of == DAY  # type: ignore[arg-type]
    assert Query.build("Who won?", as_of=dt.datetime(2025, 1, 31, 9, 30)).as_of == DAY
    assert Query.build("Who won?", as_of="", since="  ").since is None


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (None, "until must be a date like 2025-01-31, not 'July'"),
        (CLI_NAMES, "--until must be a date like 2025-01-31, not 'July'"),
        (UI_NAMES, "“Until” must be a date like 2025-01-31, not “July”"),
    ],
)
def test_a_bad_date_is_named_as_the_surface_names_it(names, expected: str) -> None:
    kwargs = {} if names is None else {"names": names}
    with pytest.raises(ConfigError) as info:
        Query.build("Who won?", until="July", **kwargs)
    assert str(info.value) == expected


def test_a_value_of_the_wrong_type_gets_the_same_message() -> None:
    with pytest.raises(ConfigError, match="since must be a date like 2025-01-31, not 123"):
        Query.build("Who won?", since=123)
    with pytest.raises(ConfigError, match=r"“Since” must be a date like 2025-01-31, not “\['x'\]”"):
        Query.build("Who won?", since=["x"], names=UI_NAMES)


def test_a_long_bad_date_is_clipped() -> None:
    with pytest.raises(ConfigError) as info:
        Query.build("Who won?", as_of="9" * 100_000, names=UI_NAMES)
    assert len(str(info.value)) < 200 and str(info.value).endswith("…”")


def test_ranges_that_leave_no_day_are_refused() -> None:
    with pytest.raises(ConfigError, match="--since 2025-02-01 is after --until 2025-01-31"):
        Query.build("Who won?", since="2025-02-01", until="2025-01-31", names=CLI_NAMES)
    with pytest.raises(ConfigError, match="since 2025-02-01 is after as_of 2025-01-31"):
        Query("Who won?", since=dt.date(2025, 2, 1), as_of=DAY)


def test_other_options_are_checked_too() -> None:
    with pytest.raises(ConfigError, match="unknown query option 'today'"):
        Query.build("Who won?", today="2025-01-31")
    with pytest.raises(ConfigError, match="top_k must be a whole number of at least 1"):
        Query.build("Who won?", top_k=0)
    with pytest.raises(ConfigError, match="unknown retrieval mode 'fuzzy'"):
        Query.build("Who won?", retrieval_mode="fuzzy")
    with pytest.raises(ConfigError, match="unknown answer mode 'oracle'"):
        Query.build("Who won?", answerer="oracle")
    with pytest.raises(ConfigError, match="include_undated must be true or false"):
        Query.build("Who won?", include_undated="yes")
    with pytest.raises(ConfigError, match="history must be a list of"):
        Query.build("Who won?", history=[("only a question",)])
    with pytest.raises(ConfigError, match="a turn of the history is not valid text"):
        Query.build("Who won?", history=[("Who won\ud800?", "Nobody.")])


def test_sequences_become_tuples_and_one_name_is_a_list_of_one() -> None:
    q = Query.build("Who won?", sources="Harbour Times", doc_ids=["a", "b"], history=[["q", "a"]])
    assert q.sources == ("Harbour Times",) and q.doc_ids == ("a", "b")
    # Turns, so a follow-up is read against whole answers (see assistant.conversation).
    assert q.history == (Turn("q", "a"),) and q.history[0].pair() == ("q", "a")
    assert q.replace(question="And then?").history == (Turn("q", "a"),)


def test_filters_are_the_query_s_options() -> None:
    q = Query.build("Who won?", as_of=DAY, sources=["Harbour Times"], include_undated=True)
    f = q.filters
    assert (f.as_of, f.sources, f.include_undated, f.since) == (DAY, ("Harbour Times",), True, None)


def test_the_window_carries_the_query_s_priors_and_filters() -> None:
    sharp = TimePriors(*[Prior(weight=3.0, scale=2.0)] * 3)
    q = Query.build("Who won this week?", as_of=DAY, since="2025-01-01", time_priors=sharp)
    window = q.time_window()
    assert window.kind == "recent" and window.reference == DAY
    assert window.prior == Prior(weight=3.0, scale=2.0)
    assert (window.as_of, window.since) == (DAY, dt.date(2025, 1, 1))
    assert "priors" not in window.model_dump()  # not part of the answer's JSON
    default = Query.build("Who won in 2020?", as_of=DAY).time_window()
    assert default.prior == DEFAULT_PRIORS.dated
