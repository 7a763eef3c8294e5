"""The BM25 index: persisted beside the store, reused while the store is unchanged, rebuilt
when it changed or its files are damaged or foreign, and kept fresh across processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from store_corpus import ALL_IDS, RECORDS, UNDATED, indexed, write_corpus, write_single

from assistant import Assistant
from assistant.bm25 import BM25Index, write_json_atomic
from assistant.catalog import Catalog
from assistant.testing import HashEmbedder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("bm25-corpus") / "articles")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, embedder, corpus: Path) -> Assistant:
    """An Assistant with the corpus indexed; tests using it only read."""
    return indexed(tmp_path_factory.mktemp("bm25-shared"), embedder, corpus)


def _fail_rebuild(self) -> None:
    raise AssertionError("BM25 index rebuilt although the store did not change")


def test_unchanged_reingest_reuses_bm25_cache(
    tmp_path: Path, embedder, corpus, monkeypatch
) -> None:
    a = Assistant(store=tmp_path / "store", embedder=embedder)
    a.ingest([corpus])
    monkeypatch.setattr(BM25Index, "rebuild", _fail_rebuild)
    b = Assistant(store=tmp_path / "store", embedder=embedder)
    report = b.ingest([corpus])
    assert report.unchanged == len(ALL_IDS) and report.added == report.updated == 0
    assert report.chunks_embedded == 0 and report.chunks_written == 0
    assert b.retrieve("Dunmore library", mode="bm25").article_order[0] == "library-reopens"


def test_bm25_cache_rebuilt_when_stale_or_damaged(
    tmp_path: Path, embedder, corpus, monkeypatch
) -> None:
    a = Assistant(store=tmp_path / "store", embedder=embedder)
    a.ingest([corpus])
    stamp_file = tmp_path / "store" / "bm25" / "stamp.json"
    calls: list[int] = []
    real = BM25Index.rebuild

    def counting(self) -> None:
        calls.append(1)
        real(self)

    monkeypatch.setattr(BM25Index, "rebuild", counting)
    stamp_file.write_text(json.dumps({"stamp": "something else", "chunks": 1}), encoding="utf-8")
    b = Assistant(store=tmp_path / "store", embedder=embedder)
    assert b.retrieve("Dunmore library", mode="bm25").article_order[0] == "library-reopens"
    assert calls == [1]
    assert json.loads(stamp_file.read_text(encoding="utf-8"))["stamp"] == b.store.stamp()

    stamp_file.unlink()
    c = Assistant(store=tmp_path / "store", embedder=embedder)
    assert c.retrieve("Kessel valley frost", mode="bm25").article_order[0] == "orchard-frost"
    assert calls == [1, 1]
    assert stamp_file.is_file()


def test_bm25_index_files_of_another_store_are_rebuilt(
    tmp_path: Path, embedder, corpus, caplog: pytest.LogCaptureFixture
) -> None:
    """A store copied together with another store's BM25 index files (its stamp and
    corpus kept): the arrays do not fit the corpus, which bm25s only finds on a question.
    The index is rebuilt, with a warning naming the folder and the file, and every question
    (filtered ones included) is answered."""
    a = Assistant(store=tmp_path / "store", embedder=embedder)
    a.ingest([corpus])
    other = Assistant(store=tmp_path / "other", embedder=embedder)
    other.ingest([write_single(tmp_path / "one", RECORDS[0])])
    folder = tmp_path / "store" / "bm25"
    for f in (tmp_path / "other" / "bm25").glob("*.index.*"):
        f.replace(folder / f.name)
    b = Assistant(store=tmp_path / "store", embedder=embedder)
    with caplog.at_level("WARNING", logger="assistant.bm25"):
        res = b.retrieve("Dunmore library", mode="bm25")
    assert res.article_order[0] == "library-reopens"
    assert [r.getMessage() for r in caplog.records if "params.index.json" in r.getMessage()]
    assert str(folder) in caplog.text
    found = b.retrieve("Kessel valley frost", mode="bm25", doc_ids=["orchard-frost"])
    assert found.article_order == ["orchard-frost"]
    # Rebuilt and saved: the next process loads it without a warning.
    caplog.clear()
    c = Assistant(store=tmp_path / "store", embedder=embedder)
    with caplog.at_level("WARNING", logger="assistant.bm25"):
        assert c.retrieve("Dunmore library", mode="bm25").article_order[0] == "library-reopens"
    assert "rebuilding" not in caplog.text


def test_reopened_bm25_index_reads_its_saved_catalog(
    shared: Assistant, embedder, monkeypatch
) -> None:
    catalog_file = Path(shared.settings.store) / "bm25" / "catalog.npz"
    assert catalog_file.is_file()
    shared.bm25.ensure_fresh()
    want = shared.bm25.catalog

    def columns(c: Catalog) -> tuple[object, ...]:
        return (
            c.ids,
            c.ts.tolist(),
            c.sources.tolist(),
            c.doc_ids.tolist(),
            dict(c.row),
            dict(c.article_row),
        )

    # Read from the file: parsing the index's node JSON would fail here.
    monkeypatch.setattr(Catalog, "of_corpus", _fail_of_corpus)
    b = Assistant(store=shared.settings.store, embedder=embedder)
    b.bm25.ensure_fresh()
    assert columns(b.bm25.catalog) == columns(want) and len(want.ids) == shared.stats()["chunks"]
    monkeypatch.undo()

    # A damaged (or missing) catalog is not trusted: the columns are read from the index
    # itself, and saved again for the next start.
    saved = catalog_file.read_bytes()
    try:
        catalog_file.write_bytes(b"not a catalog")
        c = Assistant(store=shared.settings.store, embedder=embedder)
        c.bm25.ensure_fresh()
        assert columns(c.bm25.catalog) == columns(want)
        catalog_file.unlink()
        d = Assistant(store=shared.settings.store, embedder=embedder)
        d.bm25.ensure_fresh()
        assert columns(d.bm25.catalog) == columns(want)
        again = Catalog.load(catalog_file, len(want.ids))
        assert again is not None and columns(again) == columns(want)
    finally:
        catalog_file.write_bytes(saved)


def _fail_of_corpus(corpus: object) -> Catalog:
    raise AssertionError("catalog rebuilt from the index although its file was saved")


def test_other_instance_sees_new_articles_in_bm25(tmp_path: Path, embedder, write_files) -> None:
    folder = write_files({"obs.txt": UNDATED["observatory.txt"]})
    reader = Assistant(store=tmp_path / "store", embedder=embedder)
    writer = Assistant(store=tmp_path / "store", embedder=embedder)
    writer.ingest(folder)
    assert reader.retrieve("telescope mirror", mode="bm25").article_order == ["obs.txt"]
    write_files(
        {
            "quarry.txt": "Quarry blasting paused in Holloway\n\n"
            "Blasting at the Holloway granite quarry was paused after residents reported "
            "cracked windows, the council said on Wednesday.\n"
        }
    )
    assert writer.ingest(folder).added == 1
    # The reader's in-memory index is stale: it must notice and pick up the change.
    res = reader.retrieve("granite quarry blasting cracked windows", mode="bm25")
    assert res.article_order[0] == "quarry.txt"


def test_bm25_freshness_check_skips_the_stamp_while_nothing_was_written(
    tmp_path: Path, embedder, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = Assistant(store=tmp_path / "store", embedder=embedder, answerer="extractive")
    a.ingest([corpus])
    a.retrieve("ferry strike")
    calls = 0
    real = a.store.stamp

    def counting() -> str:
        nonlocal calls
        calls += 1
        return real()

    monkeypatch.setattr(a.store, "stamp", counting)
    for _ in range(3):
        a.retrieve("ferry strike")
    assert calls == 0  # nothing written: the generation token says the index is fresh
    (corpus.parent / "extra").mkdir(exist_ok=True)
    extra = corpus.parent / "extra" / "lighthouse.txt"
    extra.write_text(
        "Lighthouse keepers return to Port Velmar\n\nThe old lighthouse at Port Velmar will "
        "be staffed again from June, the harbour board said on Tuesday.\n",
        encoding="utf-8",
    )
    a.ingest([extra])
    res = a.retrieve("lighthouse keepers Port Velmar", mode="bm25")
    assert calls >= 1 and res.article_order[0] == "lighthouse.txt"


def test_bm25_finds_nothing_for_unknown_words(shared: Assistant) -> None:
    res = shared.retrieve("xylophone quokka", mode="bm25")
    assert res.chunks == [] and res.article_order == []


def test_an_index_built_once_is_loaded_by_the_next_instance_and_filtered_per_question(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BM25 needs no vectors: a hash embedder stands in for the model."""
    store = tmp_path / "store"
    Assistant(store=store, embedder=HashEmbedder()).ingest([corpus])
    saved = json.loads((store / "bm25" / "stamp.json").read_text(encoding="utf-8"))
    assert saved["chunks"] > 0 and (store / "bm25" / "catalog.npz").is_file()

    monkeypatch.setattr(BM25Index, "rebuild", _fail_rebuild)
    b = Assistant(store=store, embedder=HashEmbedder())
    assert b.retrieve("smudge pots apple blossom", mode="bm25").article_order[0] == "orchard-frost"
    # The filters apply inside BM25's own search: outlets, articles and dates.
    velmar = b.retrieve("frost ferry strike", mode="bm25", sources=["Velmar Gazette"])
    assert velmar.article_order
    assert set(velmar.article_order) <= {"ferry-strike-begins", "ferry-strike-ends"}
    ends = b.retrieve("ferry strike", mode="bm25", doc_ids=["ferry-strike-ends"])
    assert ends.article_order == ["ferry-strike-ends"]
    before = b.retrieve("ferry strike", mode="bm25", as_of="2024-03-01")
    assert "ferry-strike-ends" not in before.article_order  # published 2024-04-20
    assert "ferry-strike-begins" in before.article_order


def test_write_json_atomic_replaces_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "stamp.json"
    write_json_atomic(path, {"stamp": "a", "chunks": 1})
    write_json_atomic(path, {"stamp": "b", "chunks": 2})
    assert json.loads(path.read_text(encoding="utf-8")) == {"stamp": "b", "chunks": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["stamp.json"]


@pytest.mark.parametrize(
    "question",
    [
        "ferry strike",
        "Who keeps the lighthouse at Port Velmar?",
        "smudge pots against the apple blossom frost",
        "xylophone quokka",
    ],
)
def test_a_question_ranks_chunks_as_llama_index_bm25_retriever_does(
    shared: Assistant, question: str
) -> None:
    """The index is read and searched with bm25s, not through llama-index's package (whose
    import is most of a question's cold start); the ranking is the retriever's own."""
    from llama_index.core.schema import QueryBundle
    from llama_index.retrievers.bm25 import BM25Retriever

    from assistant.filters import Filters

    index = shared.bm25
    index.ensure_fresh()
    stock = BM25Retriever.from_persist_dir(str(index.folder), show_progress=False)
    k = min(8, len(index.catalog.ts))
    stock.similarity_top_k = k
    expected = [
        (n.node.node_id, float(n.score or 0.0))
        for n in stock.retrieve(QueryBundle(question))
        if (n.score or 0.0) > 0.0
    ]
    assert index.retrieve(question, k, Filters()) == expected
