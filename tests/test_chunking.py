"""Chunking: exact offsets, full coverage, stable content-derived ids, MiniLM-sized pieces.

All article text here is invented for these tests (fictional towns and events).
"""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.chunking import Chunker, chunk_id_for, minilm_token_counter
from assistant.types import Article, Chunk

MAX_PIECES = 254  # MiniLM reads 256 word pieces, two of them [CLS] and [SEP]


def _word_list(words: str) -> list[str]:
    return words.split()


TOWNS = _word_list(
    "Vellan Grelle Kelby Ostbury Ormsby Tollan Saltmere Brackwater Greywick Dunmarrow "
    "Ambleford Harrowmere Sorrin Fenwold Lowick Marrish Penhallow Quenby Ravelstone "
    "Selby"
)
WORDS = _word_list(
    "harbour ferry crews council island town board union night week spring morning river "
    "bridge market traders fishermen school bakery weather road quay station agreed "
    "voted said warned rebuilt opened closed repaired counted visited planned old new "
    "small busy quiet early late second third local several many most the a of to and in "
    "on"
)


def _paragraph(town: str, n: int = 6) -> str:
    """A paragraph of n distinct sentences about one town."""
    return " ".join(
        f"In {town}, the {WORDS[(i * 7) % 30]} {WORDS[(i * 11 + 3) % 30]} met the "
        f"{WORDS[(i * 5 + 1) % 30]} for the {i + 1}th time on the old quay road, and the "
        f"{WORDS[(i * 3 + 2) % 30]} said the {WORDS[(i * 13 + 4) % 30]} would be {town} news."
        for i in range(n)
    )


LONG_TEXT = "\n\n".join(_paragraph(t) for t in TOWNS[:10])


def _article(text: str, doc_id: str = "story.txt") -> Article:
    return Article(doc_id=doc_id, title="A test article", text=text, content_hash="x")


@pytest.fixture(scope="module")
def default_chunker() -> Chunker:
    return Chunker()


@pytest.fixture(scope="module")
def small_chunker() -> Chunker:
    return Chunker(chunk_size=48, chunk_overlap=8)


@pytest.fixture(scope="module")
def count_pieces():
    encode = minilm_token_counter()
    return lambda text: len(encode(text))


def _check_invariants(article: Article, chunks: list[Chunk]) -> None:
    """The promises every split keeps, whatever the text."""
    text = article.text
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for c in chunks:
        assert c.doc_id == article.doc_id
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start : c.end] == c.text
        assert re.fullmatch(r"[0-9a-f]{24}", c.chunk_id)
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)
    # Coverage: every non-whitespace character lies in some chunk.
    covered = bytearray(len(text))
    for c in chunks:
        covered[c.start : c.end] = b"\x01" * (c.end - c.start)
    lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert not lost, (
        f"{len(lost)} characters in no chunk, first at {lost[0]}: {text[lost[0] :][:40]!r}"
    )
    # Consecutive chunks leave nothing but whitespace between them.
    for a, b in itertools.pairwise(chunks):
        assert b.start <= a.end or not text[a.end : b.start].strip()


# --------------------------------------------------------------------------- basics


def test_short_article_is_one_chunk(default_chunker: Chunker) -> None:
    text = "Ferry crews at Port Vellan stopped work at dawn on Thursday."
    art = _article(text)
    (chunk,) = default_chunker.split(art)
    assert (chunk.index, chunk.start, chunk.end, chunk.text) == (0, 0, len(text), text)
    assert chunk.chunk_id == chunk_id_for("story.txt", text, art.content_hash)
    _check_invariants(art, [chunk])


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_empty_article_has_no_chunks(default_chunker: Chunker, text: str) -> None:
    assert default_chunker.split(_article(text)) == []


def test_long_article_invariants(default_chunker: Chunker, count_pieces) -> None:
    art = _article(LONG_TEXT)
    chunks = default_chunker.split(art)
    assert len(chunks) > 3
    _check_invariants(art, chunks)
    for c in chunks:
        assert count_pieces(c.text) <= MAX_PIECES
        assert count_pieces(c.text) <= default_chunker.chunk_size + 8


def test_consecutive_chunks_advance_and_touch(default_chunker: Chunker) -> None:
    text = " ".join(_paragraph(t) for t in TOWNS[:8])
    chunks = default_chunker.split(_article(text))
    assert len(chunks) > 2
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for a, b in itertools.pairwise(chunks):
        assert a.start < b.start and a.end < b.end
        assert b.start <= a.end + 1  # overlapping, or one space apart


def test_small_chunks_respect_their_size(small_chunker: Chunker, count_pieces) -> None:
    art = _article(LONG_TEXT)
    chunks = small_chunker.split(art)
    _check_invariants(art, chunks)
    assert max(count_pieces(c.text) for c in chunks) <= 48 + 4


def test_one_enormous_word_is_still_chunked(default_chunker: Chunker, count_pieces) -> None:
    text = "Kelby " + "ab1" * 3000 + " harbour"
    art = _article(text)
    chunks = default_chunker.split(art)
    _check_invariants(art, chunks)
    assert all(count_pieces(c.text) <= MAX_PIECES for c in chunks)


def test_unpunctuated_run_of_words_is_split_to_size(default_chunker: Chunker, count_pieces):
    text = " ".join(WORDS[i % len(WORDS)] + str(i) for i in range(1500))
    art = _article(text)
    chunks = default_chunker.split(art)
    assert len(chunks) > 5
    _check_invariants(art, chunks)
    assert max(count_pieces(c.text) for c in chunks) <= MAX_PIECES


def test_config_key_and_overlap_clamp() -> None:
    assert Chunker().config_key == "sentence-splitter:192:32"
    clamped = Chunker(chunk_size=40, chunk_overlap=100)
    assert clamped.chunk_overlap == 20
    assert clamped.config_key == "sentence-splitter:40:20"


def test_minilm_counter_counts_word_pieces() -> None:
    encode = minilm_token_counter()
    assert encode is minilm_token_counter()  # loaded once
    assert encode("") == []
    ids = encode("The ferry left Port Vellan at dawn.")
    assert 7 <= len(ids) <= 14
    assert all(isinstance(i, int) for i in ids)


# --------------------------------------------------------------------------- stable ids


def test_ids_are_stable_across_runs_and_chunkers(default_chunker: Chunker) -> None:
    art = _article(LONG_TEXT)
    first = default_chunker.split(art)
    again = default_chunker.split(art)
    fresh = Chunker().split(_article(LONG_TEXT))
    assert first == again == fresh


def test_ids_depend_on_doc_and_text(default_chunker: Chunker) -> None:
    a = default_chunker.split(_article(LONG_TEXT, doc_id="a.txt"))
    b = default_chunker.split(_article(LONG_TEXT, doc_id="b.txt"))
    assert [c.text for c in a] == [c.text for c in b]
    assert not {c.chunk_id for c in a} & {c.chunk_id for c in b}
    assert chunk_id_for("a.txt", "x") != chunk_id_for("a.txt", "y")
    assert chunk_id_for("a.txt", "x") == chunk_id_for("a.txt", "x")
    # Another version of the article: its chunks never take the committed version's ids.
    assert chunk_id_for("a.txt", "x", "v1") != chunk_id_for("a.txt", "x", "v2")


def test_editing_one_paragraph_keeps_other_ids(small_chunker: Chunker) -> None:
    # Each paragraph is longer than half a 48-piece chunk, so each is its own chunk(s).
    paragraphs = [_paragraph(t, n=2) for t in TOWNS[:6]]
    before = small_chunker.split(_article("\n\n".join(paragraphs)))
    edited = list(paragraphs)
    edited[3] = edited[3].replace("old quay road", "new ferry bridge")
    after = small_chunker.split(_article("\n\n".join(edited)))

    def ids_for(chunks: list[Chunk], para: str) -> set[str]:
        return {c.chunk_id for c in chunks if c.text in para}

    for i, para in enumerate(paragraphs):
        if i == 3:
            assert ids_for(before, para).isdisjoint({c.chunk_id for c in after})
        else:
            assert ids_for(before, para), f"paragraph {i} not chunked on its own"
            assert ids_for(before, para) == ids_for(after, para)
    assert len({c.chunk_id for c in before} - {c.chunk_id for c in after}) < len(before)


def test_repeated_paragraphs_get_distinct_ids_and_right_offsets(small_chunker: Chunker) -> None:
    para = _paragraph("Sorrin", n=2)
    text = "\n\n".join([para, _paragraph("Kelby", n=2), para])
    art = _article(text)
    chunks = small_chunker.split(art)
    _check_invariants(art, chunks)
    again = small_chunker.split(art)
    assert [c.chunk_id for c in chunks] == [c.chunk_id for c in again]
    assert chunks[-1].end == len(text)


def test_repeated_text_is_fully_covered(default_chunker: Chunker) -> None:
    # A wire story that repeats one sentence (a refrain, a recurring quote): every copy must be
    # in some chunk, or retrieval can never cite the later ones.
    sentence = "The ferry left Port Vellan at dawn and the crews walked out over the new rotas."
    text = "\n\n".join([sentence] * 30)
    art = _article(text)
    chunks = default_chunker.split(art)
    _check_invariants(art, chunks)
    assert chunks[-1].end == len(text)


# --------------------------------------------------------------------------- properties

_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789      .,;:!?'\"-()\n\n\t"
_TOKENS = ["é", "…", "—", "\n\n", " the ", "Vellan"]
_ALPHABET = st.sampled_from([*_CHARS, *_TOKENS])
_arbitrary = st.lists(_ALPHABET, max_size=1500).map("".join).filter(str.strip)


@st.composite
def _sentences_text(draw: st.DrawFn) -> str:
    """Articles built from generated sentences and paragraphs (sentences may repeat)."""
    sentence = st.builds(
        lambda town, words, end: f"{town} {' '.join(words)}{end}",
        st.sampled_from(TOWNS),
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=30),
        st.sampled_from([".", "!", "?", '."', ""]),
    )
    paragraphs = draw(st.lists(st.lists(sentence, min_size=1, max_size=6), min_size=1, max_size=6))
    sep = draw(st.sampled_from(["\n\n", "\n", "\n\n\n"]))
    return sep.join(" ".join(p) for p in paragraphs)


_PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_PROPERTY
@given(text=_arbitrary)
def test_property_arbitrary_text(small_chunker: Chunker, count_pieces, text: str) -> None:
    art = _article(text)
    chunks = small_chunker.split(art)
    _check_invariants(art, chunks)
    assert all(count_pieces(c.text) <= MAX_PIECES for c in chunks)
    assert small_chunker.split(art) == chunks  # same text, same chunks and ids


@_PROPERTY
@given(text=_sentences_text())
# Sentences repeat in real articles (quotes, refrains); hypothesis finds this shape too.
@example(text="\n\n".join(["Kelby said the ferry left the quay on time."] * 40))
def test_property_generated_articles(
    default_chunker: Chunker, small_chunker: Chunker, count_pieces, text: str
) -> None:
    for chunker in (default_chunker, small_chunker):
        art = _article(text)
        chunks = chunker.split(art)
        _check_invariants(art, chunks)
        assert all(count_pieces(c.text) <= MAX_PIECES for c in chunks)
        assert chunker.split(_article(text)) == chunks


@_PROPERTY
@given(
    towns=st.lists(st.sampled_from(TOWNS), min_size=2, max_size=6, unique=True),
    data=st.data(),
)
def test_property_unchanged_paragraphs_keep_ids(
    small_chunker: Chunker, towns: list[str], data: st.DataObject
) -> None:
    paragraphs = [_paragraph(t, n=2) for t in towns]
    i = data.draw(st.integers(0, len(paragraphs) - 1))
    edited = list(paragraphs)
    edited[i] = edited[i].replace("quay", "bridge")
    before = small_chunker.split(_article("\n\n".join(paragraphs)))
    after_ids = {c.chunk_id for c in small_chunker.split(_article("\n\n".join(edited)))}
    for j, para in enumerate(paragraphs):
        if j != i:
            assert {c.chunk_id for c in before if c.text in para} <= after_ids


# ------------------------------------------------- fast word-piece counting (same chunks)

# Characters MiniLM's tokenizer drops, treats as space, or splits apart (control and format
# characters, non-breaking and ideographic spaces, CJK, combining marks, symbols): the cheap
# lower bound on word pieces must hold with all of them.
_ODD = ["\x00", "\x0b", "\x1c", "\u200b", "\u00a0", "\u3000", "\u0301", "北京", "©", "ﬁ", "😀"]
_odd_text = st.lists(st.sampled_from([*_CHARS, *_TOKENS, *_ODD]), max_size=1500).map("".join)


def _plain(chunk_size: int, overlap: int) -> Chunker:
    """The reference: every piece the splitter considers is encoded, one at a time."""
    return Chunker(chunk_size, overlap, tokenizer=minilm_token_counter())


@_PROPERTY
@given(texts=st.lists(st.one_of(_odd_text, _sentences_text()), min_size=1, max_size=4))
@example(texts=["Kelby " + "ab1" * 3000 + " harbour", "\n\n".join([LONG_TEXT] * 2)])
@example(texts=["x" + "\u0301 " * 400, "\x1c".join(["a"] * 300)])
def test_property_split_many_equals_encoding_every_piece(texts: list[str]) -> None:
    # The examples pin shapes that break a looser bound: runs that lose all their characters
    # to the tokenizer, and characters Python splits on but MiniLM's tokenizer drops.
    for size, overlap in ((48, 8), (192, 32)):
        articles = [_article(t, doc_id=f"a{i}.txt") for i, t in enumerate(texts)]
        reference = [_plain(size, overlap).split(a) for a in articles]
        fast = Chunker(size, overlap)
        assert fast.split_many(articles) == reference
        assert [fast.split(a) for a in articles] == reference


def test_split_many_of_nothing_and_of_repeats(default_chunker: Chunker) -> None:
    assert default_chunker.split_many([]) == []
    art = _article(LONG_TEXT)
    assert default_chunker.split_many([art, art]) == [default_chunker.split(art)] * 2
