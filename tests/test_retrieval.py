"""Retrieval filters: the vectorised mask and the per-hit check never disagree; the saved
catalog reads back as it was built."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from assistant.catalog import Catalog
from assistant.filters import Filters

SOURCES = ["Reuters", "AP", "", "World Defense"]
DOCS = ["a", "b", "c", "d/e.md"]

metas = st.lists(
    st.fixed_dictionaries(
        {
            "published_ts": st.integers(min_value=-1, max_value=25_000),
            "source": st.sampled_from(SOURCES),
            "doc_id": st.sampled_from(DOCS),
        }
    ),
    max_size=40,
)
days = st.none() | st.dates(min_value=dt.date(1960, 1, 1), max_value=dt.date(2040, 1, 1))
filters = st.builds(
    Filters,
    as_of=days,
    sources=st.lists(st.sampled_from(SOURCES), max_size=2).map(tuple),
    doc_ids=st.lists(st.sampled_from(DOCS), max_size=2).map(tuple),
    since=days,
    until=days,
    include_undated=st.booleans(),
)


def _passes(f: Filters, meta: dict[str, object]) -> bool:
    """The filters' meaning, stated with dates: the specification the mask must meet."""
    ts = int(meta["published_ts"])  # type: ignore[call-overload]
    day = None if ts < 0 else dt.date(1970, 1, 1) + dt.timedelta(days=ts)
    if day is None:
        bounded = f.as_of is not None or f.since is not None or f.until is not None
        date_ok = f.include_undated or not bounded
    else:
        date_ok = (
            (f.since is None or day >= f.since)
            and (f.until is None or day <= f.until)
            and (f.as_of is None or day <= f.as_of)
        )
    return (
        date_ok
        and (not f.sources or meta["source"] in f.sources)
        and (not f.doc_ids or meta["doc_id"] in f.doc_ids)
    )


@given(metas, filters)
@example(  # a `since` before 1970 once let undated articles (ts -1) through
    [{"published_ts": -1, "source": "AP", "doc_id": "a"}], Filters(since=dt.date(1969, 1, 1))
)
def test_mask_keeps_exactly_the_rows_the_filters_describe(
    rows: list[dict[str, object]], f: Filters
) -> None:
    assert f.mask(Catalog.of(rows)).tolist() == [_passes(f, m) for m in rows]


def test_undated_articles_are_outside_every_as_of() -> None:
    cat = Catalog.of([{"published_ts": -1, "source": "AP", "doc_id": "a"}])
    assert not Filters(as_of=dt.date(2030, 1, 1)).mask(cat).any()
    assert not Filters(since=dt.date(1970, 1, 1)).mask(cat).any()
    assert Filters().mask(cat).all()
    assert Filters(as_of=dt.date(2030, 1, 1), include_undated=True).mask(cat).all()


def test_undated_left_out_counts_articles_not_chunks() -> None:
    rows = [
        {"published_ts": -1, "source": "AP", "doc_id": "a"},
        {"published_ts": -1, "source": "AP", "doc_id": "a"},
        {"published_ts": -1, "source": "Reuters", "doc_id": "b"},
        {"published_ts": 100, "source": "AP", "doc_id": "c"},
    ]
    cat = Catalog.of(rows)
    assert Filters(as_of=dt.date(2030, 1, 1)).undated_left_out(cat) == 2
    assert Filters(as_of=dt.date(2030, 1, 1), sources=("AP",)).undated_left_out(cat) == 1
    assert Filters(as_of=dt.date(2030, 1, 1), include_undated=True).undated_left_out(cat) == 0
    assert Filters(sources=("AP",)).undated_left_out(cat) == 0


text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "published_ts": st.integers(min_value=-1, max_value=2**40),
                "source": text,
                "doc_id": text,
            }
        ),
        min_size=1,
        max_size=30,
    )
)
def test_saved_catalog_loads_back_equal(rows: list[dict[str, object]]) -> None:
    ids = [f"chunk-{i}" for i in range(len(rows))]
    built = Catalog.of(rows, ids)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "catalog.npz"
        built.save(path)
        got = Catalog.load(path, len(rows))
        assert got is not None
        assert got.ids == built.ids and got.ts.tolist() == built.ts.tolist()
        assert got.sources.tolist() == built.sources.tolist()
        assert got.doc_ids.tolist() == built.doc_ids.tolist()
        assert dict(got.row) == dict(built.row)
        assert dict(got.article_row) == dict(built.article_row)
        assert Catalog.load(path, len(rows) + 1) is None  # not the index it was saved with


def test_missing_or_damaged_catalog_loads_as_none(tmp_path: Path) -> None:
    assert Catalog.load(tmp_path / "missing.npz", 1) is None
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    assert Catalog.load(bad, 1) is None
