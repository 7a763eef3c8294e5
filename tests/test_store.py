"""The store: stats, article records, embedder checks, the ingest lock, crash leftovers,
persistence and the retrieval modes and filters on top of it. The BM25 index's own tests
are in test_bm25.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from store_corpus import ALL_IDS, RECORDS, UNDATED, write_corpus, write_single

from assistant import Assistant
from assistant.bm25 import BM25Index
from assistant.errors import ConfigError, EmbedderMismatchError, StoreLockedError
from assistant.testing import ConstantEmbedder, HashEmbedder

# Fictional news, written for these tests (the rest of the corpus: store_corpus.py).
CHOIR_TEXT = (
    "Tollan choir wins national title\n\n"
    "The Tollan community choir won the national amateur title on Saturday with a programme of "
    "folk songs arranged by its conductor, a retired ferry captain.\n"
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("store-corpus") / "articles")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, embedder, corpus: Path) -> Assistant:
    """An Assistant with the corpus indexed; tests using it only read."""
    a = Assistant(
        store=tmp_path_factory.mktemp("store-shared"), embedder=embedder, answerer="extractive"
    )
    report = a.ingest([corpus])
    assert report.ok, report.failures
    assert report.added == len(ALL_IDS)
    return a


# ---------------------------------------------------------------------------- stats, records


def test_stats_reports_counts_embedder_and_location(shared: Assistant, embedder) -> None:
    s = shared.stats()
    infos = shared.store.article_infos()
    assert s["documents"] == len(ALL_IDS) == len(infos)
    assert s["chunks"] == sum(i.n_chunks for i in infos.values()) >= len(ALL_IDS)
    assert s["embedder"] == embedder.name
    assert s["dimension"] == embedder.dimension
    assert Path(s["store"]) == Path(shared.settings.store).resolve()


def test_article_infos_keep_metadata(shared: Assistant, corpus: Path) -> None:
    infos = shared.store.article_infos()
    assert sorted(infos) == ALL_IDS
    assert [i.doc_id for i in shared.articles()] == ALL_IDS
    ferry = infos["ferry-strike-begins"]
    assert ferry.title == "Ferry crews strike in Port Velmar"
    assert ferry.published == dt.date(2024, 2, 12)
    assert ferry.source == "Velmar Gazette"
    assert ferry.url == "https://example.test/velmar/ferry-strike"
    assert ferry.origin == str(corpus.resolve())
    assert ferry.n_chunks >= 1
    frost = infos["orchard-frost"]
    assert frost.url is None
    obs = infos["observatory.txt"]
    assert obs.published is None
    assert obs.title == "Ardent Ridge observatory installs new telescope"
    # The full articles come back with their cleaned text.
    arts = shared.store.get_articles(["orchard-frost", "no-such-article"])
    assert list(arts) == ["orchard-frost"]
    assert "smudge pots" in arts["orchard-frost"].text
    assert arts["orchard-frost"].content_hash == frost.content_hash


def test_empty_store_stats(make_assistant) -> None:
    a = make_assistant()
    assert a.stats()["documents"] == 0
    assert a.stats()["chunks"] == 0
    assert a.articles() == []
    res = a.retrieve("anything at all", mode="hybrid")
    assert res.chunks == [] and res.article_order == []


# ---------------------------------------------------------------------------- embedder checks


@pytest.mark.parametrize(
    "fake",
    [ConstantEmbedder("fake/other", 8), ConstantEmbedder("fake/other", 384)],
    ids=["dim8", "dim384"],
)
def test_embedder_mismatch_is_refused(shared: Assistant, embedder, fake: ConstantEmbedder) -> None:
    with pytest.raises(EmbedderMismatchError) as info:
        Assistant(store=shared.settings.store, embedder=fake)
    msg = str(info.value)
    assert embedder.name in msg
    assert "fake/other" in msg
    # Refusing did not relabel the store: the original embedder still opens it.
    again = Assistant(store=shared.settings.store, embedder=embedder)
    assert again.stats()["documents"] == len(ALL_IDS)


def test_store_built_by_other_embedder_refuses_minilm(
    tmp_path: Path, embedder, write_files
) -> None:
    folder = write_files({"a.txt": UNDATED["observatory.txt"]})
    fake = Assistant(store=tmp_path / "store", embedder=ConstantEmbedder("fake/other", 384))
    assert fake.ingest(folder).added == 1
    with pytest.raises(EmbedderMismatchError, match="fake/other"):
        Assistant(store=tmp_path / "store", embedder=embedder)


# ---------------------------------------------------------------------------- lock


def test_second_ingest_is_refused_while_lock_held(make_assistant, write_files) -> None:
    folder = write_files({"obs.txt": UNDATED["observatory.txt"]})
    first = make_assistant()
    second = make_assistant()  # another Store object on the same folder
    with first.store.ingest_lock():
        with pytest.raises(StoreLockedError, match="another ingest"):
            second.ingest(folder)
        with pytest.raises(StoreLockedError):
            second.delete(["obs.txt"])
    assert second.articles() == []
    # Released: the same call now works.
    assert second.ingest(folder).added == 1
    assert [i.doc_id for i in first.articles()] == ["obs.txt"]


def test_lock_released_after_failed_ingest(make_assistant, write_files, monkeypatch) -> None:
    folder = write_files({"obs.txt": UNDATED["observatory.txt"]})
    a = make_assistant()

    def boom(*args, **kwargs):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(a.store, "write_articles", boom)
    with pytest.raises(RuntimeError, match="simulated crash"):
        a.ingest(folder)
    monkeypatch.undo()
    b = make_assistant()
    assert b.ingest(folder).added == 1


# ---------------------------------------------------------------------------- crash leftovers


def _orphan(embedder, doc_id: str, text: str, article_hash: str):
    cid = hashlib.sha256(f"orphan|{doc_id}|{text}".encode()).hexdigest()[:24]
    meta = {
        "doc_id": doc_id,
        "index": 0,
        "start": 0,
        "end": len(text),
        "article_hash": article_hash,
        "text_hash": hashlib.sha256(text.encode()).hexdigest()[:24],
        "published_ts": 19800,
        "source": "Velmar Gazette",
    }
    return cid, embedder.embed([text])[0].tolist(), text, meta


def test_uncommitted_chunks_are_invisible_and_repaired(
    make_assistant, write_files, embedder
) -> None:
    a = make_assistant()
    folder = write_files({"obs.txt": UNDATED["observatory.txt"]})
    assert a.ingest(folder).added == 1
    committed_chunks = a.stats()["chunks"]
    ghost = _orphan(
        embedder,
        "ghost.txt",
        "The Zorvath lighthouse keeper retired after fifty years on the cliffs.",
        "never-committed",
    )
    stale = _orphan(
        embedder,
        "obs.txt",  # a committed article, but another (unfinished) version of it
        "The Zorvath lighthouse will be demolished, the observatory announced.",
        "another-hash",
    )
    for cid, emb, text, meta in (ghost, stale):
        a.store._chunks.upsert(ids=[cid], embeddings=[emb], documents=[text], metadatas=[meta])
    # `stats` counts committed chunks only, and says what is left over.
    stats = a.stats()
    assert stats["chunks"] == committed_chunks
    assert str(stats["leftover chunks"]).startswith("2 (from an interrupted ingest")
    # Even a BM25 index built over the leftovers must not surface them.
    a.bm25.rebuild()
    bad = {ghost[0], stale[0]}
    for mode in ("dense", "bm25", "hybrid"):
        res = a.retrieve("Zorvath lighthouse keeper retired", mode=mode)
        assert not bad & {c.chunk.chunk_id for c in res.chunks}, mode
        assert "ghost.txt" not in res.article_order
        for c in res.chunks:
            assert c.article.text[c.chunk.start : c.chunk.end] == c.chunk.text
    assert a.store.repair() == 2
    assert a.store._chunks.get(ids=sorted(bad))["ids"] == []
    assert a.stats()["chunks"] == committed_chunks
    assert "leftover chunks" not in a.stats()
    assert a.store.repair() == 0
    assert [i.doc_id for i in a.articles()] == ["obs.txt"]


def test_next_ingest_removes_leftovers(make_assistant, write_files, embedder) -> None:
    a = make_assistant()
    folder = write_files({"obs.txt": UNDATED["observatory.txt"]})
    a.ingest(folder)
    cid, emb, text, meta = _orphan(embedder, "ghost.txt", "A leftover passage.", "x")
    a.store._chunks.upsert(ids=[cid], embeddings=[emb], documents=[text], metadatas=[meta])
    report = make_assistant().ingest(folder)
    assert report.unchanged == 1 and report.chunks_embedded == 0
    assert a.store._chunks.get(ids=[cid])["ids"] == []
    assert a.stats()["chunks"] == sum(i.n_chunks for i in a.articles())


def test_interrupted_commit_leaves_article_invisible_until_reingest(
    make_assistant, write_files, monkeypatch
) -> None:
    a = make_assistant()
    folder = write_files({"obs.txt": UNDATED["observatory.txt"]})

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    # Chunks get written, then the commit (the article record) fails.
    monkeypatch.setattr(a.store._articles, "upsert", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        a.ingest(folder)
    monkeypatch.undo()
    b = make_assistant()
    assert b.articles() == []
    assert b.stats()["chunks"] == 0
    assert "leftover chunks" in b.stats()  # the uncommitted chunks, named as such
    for mode in ("dense", "hybrid"):
        assert b.retrieve("new telescope at the observatory", mode=mode).chunks == []
    report = b.ingest(folder)
    assert report.added == 1 and report.ok
    assert b.stats()["chunks"] == sum(i.n_chunks for i in b.articles())
    res = b.retrieve("new telescope at the observatory")
    assert res.article_order[0] == "obs.txt"


# ---------------------------------------------------------------------------- persistence


def _fail_rebuild(self) -> None:
    raise AssertionError("BM25 index rebuilt although the store did not change")


def test_reopened_store_answers_without_reingest(shared: Assistant, embedder, monkeypatch) -> None:
    stamp_file = Path(shared.settings.store) / "bm25" / "stamp.json"
    assert stamp_file.is_file()
    saved = json.loads(stamp_file.read_text(encoding="utf-8"))
    assert saved["stamp"] == shared.store.stamp()
    assert saved["chunks"] == shared.stats()["chunks"]

    monkeypatch.setattr(BM25Index, "rebuild", _fail_rebuild)
    b = Assistant(store=shared.settings.store, embedder=embedder, answerer="extractive")
    assert [i.doc_id for i in b.articles()] == ALL_IDS
    assert b.stats()["chunks"] == shared.stats()["chunks"]
    for mode in ("bm25", "hybrid", "dense"):
        res = b.retrieve("apple blossom frost in the orchards", mode=mode)
        assert res.article_order[0] == "orchard-frost", mode
    answer = b.ask("What did growers light between the rows of the orchards?")
    assert not answer.abstained
    assert any(c.doc_id == "orchard-frost" for c in answer.citations)


def _retrieved(a: Assistant) -> dict[str, list[tuple[str, str, str]]]:
    """(chunk id, chunk text, article text) of what each mode retrieves for two questions."""
    out = {}
    for mode in ("dense", "bm25", "hybrid"):
        for q in ("apple blossom frost in the orchards", "ferry strike pay rise"):
            res = a.retrieve(q, mode=mode)
            out[f"{mode}:{q}"] = [
                (c.chunk.chunk_id, c.chunk.text, c.article.text) for c in res.chunks
            ]
    return out


def test_chunk_texts_are_kept_in_metadata_not_chroma_documents(shared: Assistant) -> None:
    # Chroma full-text indexes documents, which we never search: half the cost of a write.
    rec = shared.store._chunks.get(include=["documents", "metadatas"])
    assert rec["ids"] and set(rec["documents"] or []) == {None}
    articles = shared.store.get_articles(ALL_IDS)
    for m in rec["metadatas"] or []:
        text = articles[str(m["doc_id"])].text
        assert m["text"] == text[int(m["start"]) : int(m["end"])]
    # Article texts stay documents: reading every article's metadata must not read them.
    arts = shared.store._articles.get(include=["documents", "metadatas"])
    assert all(d for d in arts["documents"] or [])
    assert not any("text" in m for m in arts["metadatas"] or [])


def test_store_with_chunk_texts_as_documents_reads_the_same(
    make_assistant, corpus: Path, embedder
) -> None:
    """Stores written before chunk texts moved into metadata hold them as documents."""
    a = make_assistant()
    a.ingest([corpus])
    before = _retrieved(a)
    answer = a.ask("What did growers light between the rows of the orchards?")
    # Rewrite every chunk record in the old layout.
    col = a.store._chunks
    rec = col.get(include=["embeddings", "metadatas"])
    metas = [dict(m) for m in rec["metadatas"] or []]
    texts = [str(m.pop("text")) for m in metas]
    col.delete(ids=rec["ids"])
    col.add(ids=rec["ids"], embeddings=rec["embeddings"], documents=texts, metadatas=metas)  # type: ignore[arg-type]
    assert not any("text" in m for m in col.get(include=["metadatas"])["metadatas"] or [])

    a.bm25.rebuild()  # reads every chunk's text
    assert _retrieved(a) == before
    reopened = Assistant(store=a.settings.store, embedder=embedder, answerer="extractive")
    assert _retrieved(reopened) == before
    again = reopened.ask("What did growers light between the rows of the orchards?")
    assert again.model_copy(update={"timings": {}}) == answer.model_copy(update={"timings": {}})
    assert answer.citations and not answer.abstained
    # An ingest over it (one article changed) writes the new layout beside the old one.
    edited = RECORDS[2]["text"].replace("smudge pots", "braziers")
    reopened.ingest([write_single(corpus.parent / "edit", {**RECORDS[2], "text": edited})])
    res = reopened.retrieve("growers lit braziers between the rows", mode="hybrid")
    assert res.article_order[0] == "orchard-frost"
    assert any("braziers" in c.chunk.text for c in res.chunks)


# Another process's writes: a Python of its own, so its Chroma client is not this one's.
OTHER_PROCESS = """
import sys
from assistant import Assistant
from assistant.testing import HashEmbedder

a = Assistant(store=sys.argv[1], embedder=HashEmbedder())
a.delete([sys.argv[2]])
assert a.ingest([sys.argv[3]]).added == 1
"""


@pytest.mark.slow  # starts another Python
def test_writes_of_another_process_are_seen(tmp_path: Path, write_files) -> None:
    # An open embedded Chroma client does not see another process's writes by itself: it
    # kept answering from the index it loaded, and chunks deleted elsewhere came back
    # without their records (a TypeError on every question). The store reloads instead.
    import subprocess
    import sys

    quarry = (
        "Quarry blasting paused in Holloway\n\n"
        "Blasting at the Holloway granite quarry was paused after residents reported "
        "cracked windows, the council said on Wednesday.\n"
    )
    folder = write_files({"obs.txt": UNDATED["observatory.txt"], "choir.txt": CHOIR_TEXT})
    more = write_files({"quarry.txt": quarry}, folder="more")
    emb = HashEmbedder()
    a = Assistant(store=tmp_path / "store", embedder=emb, answerer="extractive")
    twin = Assistant(store=tmp_path / "store", embedder=emb)  # a second Store in this process
    assert a.ingest(folder).added == 2
    obs_chunks = {t: cid for cid, t, m in a.store.iter_chunks() if m["doc_id"] == "obs.txt"}
    (obs_text,) = obs_chunks
    assert a.store.dense_query(emb.embed([obs_text])[0], 5)[0].doc_id == "obs.txt"

    subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, str(tmp_path / "store"), "obs.txt", str(more)],
        check=True,
        timeout=120,
    )  # fmt: skip

    for who in (a, twin):
        assert [i.doc_id for i in who.articles()] == ["choir.txt", "quarry.txt"]
        hits = who.store.dense_query(emb.embed([obs_text])[0], 5)
        assert "obs.txt" not in {h.doc_id for h in hits}
        for mode in ("dense", "bm25", "hybrid"):
            res = who.retrieve("Ardent Ridge observatory telescope", mode=mode)
            assert "obs.txt" not in res.article_order, mode
        (quarry_text,) = [t for _c, t, m in who.store.iter_chunks() if m["doc_id"] == "quarry.txt"]
        hits = who.store.dense_query(emb.embed([quarry_text])[0], 5)
        assert hits[0].doc_id == "quarry.txt"  # found by vector search, not only by BM25
    assert a.retrieve("granite quarry blasting", mode="bm25").article_order[0] == "quarry.txt"
    # This process writes again: the other Store of this process sees it too.
    assert a.ingest(folder).added == 1
    assert "obs.txt" in {i.doc_id for i in twin.articles()}
    assert twin.store.dense_query(emb.embed([obs_text])[0], 5)[0].doc_id == "obs.txt"


def test_delete_removes_article_everywhere(make_assistant, corpus) -> None:
    a = make_assistant()
    a.ingest([corpus])
    before = a.stats()["chunks"]
    n = a.store.article_infos()["library-reopens"].n_chunks
    assert a.delete(["library-reopens"]) == 1
    assert "library-reopens" not in a.store.article_infos()
    assert a.stats()["chunks"] == before - n
    for mode in ("bm25", "dense", "hybrid"):
        res = a.retrieve("Dunmore library rooftop reading garden", mode=mode)
        assert "library-reopens" not in res.article_order, mode
        assert all(c.chunk.doc_id != "library-reopens" for c in res.chunks)


# ---------------------------------------------------------------------------- retrieval


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("frost damage to apple blossom in Kessel valley", "orchard-frost"),
        ("Dunmore library renovation children's wing", "library-reopens"),
        ("new telescope at Ardent Ridge observatory", "observatory.txt"),
    ],
)
def test_retrieval_modes_rank_the_right_article_first(
    shared: Assistant, mode: str, question: str, expected: str
) -> None:
    res = shared.retrieve(question, mode=mode)
    assert res.article_order[0] == expected
    assert res.chunks and res.chunks[0].article.doc_id == expected
    assert len(res.article_order) == len(set(res.article_order))
    for c in res.chunks:
        assert c.chunk.doc_id == c.article.doc_id
        assert c.rank == res.article_order.index(c.article.doc_id) + 1
        assert c.article.text[c.chunk.start : c.chunk.end] == c.chunk.text
    assert res.chunks[0].score > 0


def test_top_k_limits_articles(shared: Assistant) -> None:
    res = shared.retrieve("ferry strike in Port Velmar", top_k=1, mode="hybrid")
    assert len(res.article_order) == 1
    assert res.article_order[0].startswith("ferry-strike")
    assert {c.article.doc_id for c in res.chunks} == set(res.article_order)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_as_of_excludes_later_and_undated_articles(shared: Assistant, mode: str) -> None:
    q = "Port Velmar ferry strike crews pay"
    full = shared.retrieve(q, mode=mode, top_k=10)
    assert {"ferry-strike-begins", "ferry-strike-ends"} <= set(full.article_order)
    res = shared.retrieve(q, mode=mode, as_of="2024-03-01", top_k=10)
    assert res.article_order[0] == "ferry-strike-begins"
    assert "ferry-strike-ends" not in res.article_order
    for c in res.chunks:
        assert c.article.published is not None
        assert c.article.published <= dt.date(2024, 3, 1)
    # Undated articles are left out too: nobody can tell whether they existed that day.
    obs = shared.retrieve("telescope observatory", mode=mode, as_of=dt.date(2030, 1, 1), top_k=10)
    assert "observatory.txt" not in obs.article_order
    # The day itself is included.
    same_day = shared.retrieve(q, mode=mode, as_of="2024-04-20", top_k=10)
    assert "ferry-strike-ends" in same_day.article_order


def test_as_of_before_everything_returns_nothing(shared: Assistant) -> None:
    res = shared.retrieve("ferry strike", as_of="2000-01-01")
    assert res.chunks == [] and res.article_order == []


def test_bad_as_of_is_a_config_error(shared: Assistant) -> None:
    with pytest.raises(ConfigError, match="as_of must be a date like 2025-01-31"):
        shared.retrieve("ferry strike", as_of="last Tuesday")


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_source_and_doc_id_filters(shared: Assistant, mode: str) -> None:
    q = "Port Velmar ferry strike, apple harvest and the library"
    res = shared.retrieve(q, mode=mode, sources=["Valley Herald", "Dunmore Post"], top_k=10)
    assert set(res.article_order) == {"orchard-frost", "library-reopens"}
    assert all(c.article.source in ("Valley Herald", "Dunmore Post") for c in res.chunks)

    res = shared.retrieve(q, mode=mode, doc_ids=["ferry-strike-ends"], top_k=10)
    assert res.article_order == ["ferry-strike-ends"]
    assert {c.chunk.doc_id for c in res.chunks} == {"ferry-strike-ends"}

    res = shared.retrieve(q, mode=mode, sources=["Velmar Gazette"], as_of="2024-03-01", top_k=10)
    assert res.article_order == ["ferry-strike-begins"]


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"as_of": dt.date(2024, 4, 20)},
        {"as_of": dt.date(2024, 4, 20), "include_undated": True},
        {"since": dt.date(2024, 3, 1), "until": dt.date(2024, 4, 20)},
        {"since": dt.date(2024, 3, 1), "as_of": dt.date(2024, 6, 1), "include_undated": True},
        {"doc_ids": ("ferry-strike-ends",)},  # few survive: Chroma's filtered search decides
        {"sources": ("No Such Paper",)},
    ],
)
@pytest.mark.parametrize("overfetch", [1, 4])  # 1: few survive, so the fallback runs too
def test_nearest_equals_chromas_filtered_search(
    shared: Assistant,
    filters: dict,  # type: ignore[type-arg]
    overfetch: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import assistant.retrieval
    from assistant.filters import Filters

    monkeypatch.setattr(assistant.retrieval, "OVERFETCH", overfetch)
    f = Filters(**filters)
    vec = shared.embedder.embed(["ferry strike crews pay talks"])[0]
    for k in (1, 3, 8):
        exact = shared.store.dense_query(vec, k, f.chroma_where())
        ours = shared.retriever.nearest(vec, k, f)
        assert [cid for cid, _ in ours] == [h.chunk_id for h in exact]
        assert [round(s, 5) for _, s in ours] == [round(h.score, 5) for h in exact]
        exact_docs = shared.store.dense_articles(vec, k, f.chroma_where())
        assert [d for d, _ in shared.retriever.nearest(vec, k, f, articles=True)] == exact_docs


def _read_only_0444(store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`store` with every file mode 0444 and folders 0555, as a user without write access
    sees it (root could write anyway, so this process is told it cannot); returns the folder
    private copies go to."""
    import os

    import assistant.chroma.embedded

    for p in sorted(store.rglob("*"), reverse=True):
        p.chmod(0o555 if p.is_dir() else 0o444)
    store.chmod(0o555)
    real = os.access
    monkeypatch.setattr(
        assistant.chroma.embedded.os,
        "access",
        lambda p, mode: (
            False if mode == os.W_OK and str(p).startswith(str(store)) else real(p, mode)
        ),
    )
    tmp = store.parent / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(assistant.chroma.embedded.tempfile, "tempdir", str(tmp))
    return tmp


def test_a_store_of_0444_files_is_read_from_a_writable_copy_removed_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    a = Assistant(store=store, embedder=HashEmbedder(), answerer="extractive")
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "museum.txt").write_text(
        "Velmar museum to reopen\n\nThe museum in Velmar will reopen on May 3, 2026 after "
        "repairs to its roof, the council said on Monday.\n",
        encoding="utf-8",
    )
    a.ingest([folder])
    copies = _read_only_0444(store, monkeypatch)
    try:
        reader = Assistant(
            store=store, embedder=HashEmbedder(), answerer="extractive", create_store=False
        )
        assert reader.store.read_only
        (copy,) = copies.iterdir()
        modes = {p.stat().st_mode & 0o200 for p in copy.rglob("*")}
        assert modes == {0o200}, "the private copy must be writable by its owner"
        answer = reader.ask("When will the Velmar museum reopen?")
        assert "May 3, 2026" in answer.text
        # A store that fails to open (another embedder) leaves no copy behind.
        with pytest.raises(EmbedderMismatchError):
            Assistant(store=store, embedder=ConstantEmbedder(dimension=7), create_store=False)
        assert len(list(copies.iterdir())) == 1  # the reader's own, still in use
    finally:
        for p in [store, *store.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
