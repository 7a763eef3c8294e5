"""`Catalog`: the indexed chunks' metadata as columns, built from metadata or a BM25 corpus,
saved beside the index and read back as it was built (or not at all)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.catalog import CATALOG_FILE, Catalog, save_catalog_beside
from assistant.store import article_key

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


ROWS = [
    {"published_ts": 19_723, "source": "Velmar Gazette", "doc_id": "ferry.txt"},
    {"published_ts": -1, "source": "", "doc_id": "observatory.txt"},
    {"published_ts": 19_800, "source": "Velmar Gazette", "doc_id": "ferry.txt"},
]


def test_columns_map_each_chunk_and_each_article_to_a_row() -> None:
    cat = Catalog.of(ROWS, ["ferry#0", "obs#0", "ferry#1"])
    assert cat.ts.tolist() == [19_723, -1, 19_800]
    assert cat.sources.tolist() == ["Velmar Gazette", "", "Velmar Gazette"]
    assert dict(cat.row) == {"ferry#0": 0, "obs#0": 1, "ferry#1": 2}
    # An article's row is its first chunk's, keyed as its Chroma record is.
    assert dict(cat.article_row) == {article_key("ferry.txt"): 0, article_key("observatory.txt"): 1}
    # Missing metadata reads as undated, from no outlet.
    assert Catalog.of([{"doc_id": "x"}]).ts.tolist() == [-1]


def test_a_bm25_corpus_gives_the_same_columns_as_its_metadata() -> None:
    """A BM25 retriever's corpus holds each node's metadata inside its JSON content."""
    ids = ["ferry#0", "obs#0", "ferry#1"]
    corpus = [
        {"node_id": i, "_node_content": json.dumps({"metadata": m, "text": "…"})}
        for i, m in zip(ids, ROWS, strict=True)
    ]
    got, want = Catalog.of_corpus(corpus), Catalog.of(ROWS, ids)
    assert got.ids == want.ids and got.ts.tolist() == want.ts.tolist()
    assert got.doc_ids.tolist() == want.doc_ids.tolist() and dict(got.row) == dict(want.row)


def test_saved_beside_an_index_it_loads_back_and_a_failed_save_leaves_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cat = Catalog.of(ROWS, ["ferry#0", "obs#0", "ferry#1"])
    save_catalog_beside(cat, tmp_path)
    loaded = Catalog.load(tmp_path / CATALOG_FILE, 3)
    assert loaded is not None and loaded.ids == cat.ids
    assert [p.name for p in tmp_path.iterdir()] == [CATALOG_FILE]  # no temporary file left
    # A folder it cannot write (here: one that does not exist) costs only the next start's
    # speed: logged, not raised.
    with caplog.at_level("INFO", logger="assistant.catalog"):
        save_catalog_beside(cat, tmp_path / "missing")
    assert "could not save the BM25 catalog" in caplog.text
    assert not (tmp_path / "missing").exists()
