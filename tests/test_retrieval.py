"""Retrieval filters: the vectorised mask and the per-hit check never disagree."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from assistant.retrieval import Catalog, Filters

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
filters = st.builds(
    Filters,
    as_of=st.none() | st.dates(min_value=dt.date(1960, 1, 1), max_value=dt.date(2040, 1, 1)),
    sources=st.lists(st.sampled_from(SOURCES), max_size=2).map(tuple),
    doc_ids=st.lists(st.sampled_from(DOCS), max_size=2).map(tuple),
)


@given(metas, filters)
def test_mask_equals_accepts_row_by_row(rows: list[dict[str, object]], f: Filters) -> None:
    assert f.mask(Catalog.of(rows)).tolist() == [f.accepts(m) for m in rows]


def test_undated_articles_are_outside_every_as_of() -> None:
    cat = Catalog.of([{"published_ts": -1, "source": "AP", "doc_id": "a"}])
    assert not Filters(as_of=dt.date(2030, 1, 1)).mask(cat).any()
    assert Filters().mask(cat).all()
