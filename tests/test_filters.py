"""`Filters`: the catalog mask keeps exactly the rows the filters describe, the Chroma `where`
clause says the same, and undated articles are counted when the dates leave them out."""

from __future__ import annotations

import datetime as dt

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings
from hypothesis import example, given, settings
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


def test_no_filter_is_empty_and_include_undated_alone_filters_nothing() -> None:
    assert Filters().empty and not Filters().dated
    assert (
        Filters(include_undated=True).empty and Filters(include_undated=True).chroma_where() is None
    )
    assert not Filters(sources=("AP",)).empty and not Filters(doc_ids=("a",)).empty
    assert Filters(until=dt.date(2024, 1, 1)).dated
    assert not Filters(until=dt.date(2024, 1, 1), include_undated=True).dated


# Rows at the edges the filters meet: undated, 1970-01-01 (ts 0), both ends of a range.
EDGE_ROWS = [
    {"published_ts": ts, "source": src, "doc_id": doc}
    for ts, src, doc in [
        (-1, "AP", "a"),
        (-1, "Reuters", "b"),
        (0, "AP", "c"),
        (19_723, "World Defense", "d/e.md"),  # 2024-01-01
        (19_724, "", "a"),
        (20_088, "Reuters", "b"),  # 2024-12-31
        (20_089, "AP", "c"),
        (25_000, "World Defense", "a"),
    ]
]


@pytest.fixture(scope="module")
def edge_collection(tmp_path_factory: pytest.TempPathFactory) -> chromadb.Collection:
    client = chromadb.PersistentClient(
        path=str(tmp_path_factory.mktemp("filters-chroma")),
        settings=ChromaSettings(anonymized_telemetry=False),
    )
    col = client.create_collection("rows", embedding_function=None)
    col.add(
        ids=[str(i) for i in range(len(EDGE_ROWS))],
        embeddings=[[1.0, float(i)] for i in range(len(EDGE_ROWS))],
        metadatas=EDGE_ROWS,  # type: ignore[arg-type]
    )
    return col


@settings(max_examples=60)
@given(filters)
def test_chromas_where_clause_keeps_the_rows_the_mask_keeps(
    edge_collection: chromadb.Collection, f: Filters
) -> None:
    """The same filters asked of real Chroma (its `where` clause) and of the catalog."""
    where = f.chroma_where()
    got = edge_collection.get(where=where) if where is not None else edge_collection.get()
    kept = f.mask(Catalog.of(EDGE_ROWS)).tolist()
    assert sorted(int(i) for i in got["ids"]) == [i for i, k in enumerate(kept) if k]
