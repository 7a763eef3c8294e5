"""Dated sentences about a topic, read from the passages retrieval found for it.

Each retrieved passage is split into sentences (with their offsets in the article); the
sentences close enough in meaning to the topic are kept, and each is dated by the first date
it names (`assistant.dates.mentions`: spaCy's DATE entities read by dateparser, relative
ones against the article's publication date). An article's lead sentence that names no date
is dated by the article's publication ("reported on"): a news report's lead is what happened
then. An undated article contributes only sentences naming a date in full.

The work is ordered cheapest first, because parsing and embedding are nearly all of a
timeline's time: sentences that cannot be about the topic (none of its words, in a passage
far from it) and sentences that cannot name a date are dropped before spaCy parses the rest;
only the sentences found dated are embedded, each text once (`vectors`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assistant import dates, nlp
from assistant.answering.sentences import Sentence, content_words, split_sentences
from assistant.embeddings import Embedder
from assistant.timeline.types import EventCitation, EventDate
from assistant.timeline.vectors import sentence_vectors
from assistant.types import Article, RetrievedChunk

__all__ = ["Candidate", "dated_sentences"]

logger = logging.getLogger(__name__)

# A sentence shorter than this many words is a heading, a byline or a caption, not an event.
MIN_WORDS = 6
# Longer ones are run-on paragraphs the sentence breaker could not split: no one event.
MAX_CHARS = 600
# The most dated sentences embedded per timeline (embedding is most of its time).
MAX_EMBEDDED = 96
# How far into an article its lead sentence may start (a title, a dateline and a byline
# come first in scraped text).
LEAD_WINDOW = 600


@dataclass(frozen=True)
class Candidate:
    """One article's dated sentence about the topic: its citation, meaning and relevance."""

    citation: EventCitation
    vector: np.ndarray
    relevance: float
    lead: bool


@dataclass(frozen=True)
class _Found:
    article: Article
    chunk_id: str
    sentence: Sentence
    lead: bool


def _lead(article: Article) -> Sentence | None:
    """The article's first sentence that reads as one (not its title or dateline)."""
    title = article.title.strip().casefold()
    head = article.text[:LEAD_WINDOW]
    for s in split_sentences(head):
        if s.end >= len(head) and len(article.text) > len(head):
            return None  # the window ends inside it: no lead sentence within reach
        if len(s.text.split()) >= MIN_WORDS and s.text.strip().casefold() != title:
            return s
    return None


def _sentences(chunks: Sequence[RetrievedChunk]) -> list[_Found]:
    """The retrieved passages' sentences, each once (chunks overlap), plus each article's
    lead sentence."""
    seen: set[tuple[str, int]] = set()
    out: list[_Found] = []
    leads: dict[str, int] = {}
    for rc in chunks:
        art = rc.article
        if art.doc_id not in leads:
            lead = _lead(art)
            leads[art.doc_id] = lead.start if lead is not None else -1
            if lead is not None and (art.doc_id, lead.start) not in seen:
                seen.add((art.doc_id, lead.start))
                out.append(_Found(art, _chunk_of(chunks, art.doc_id, lead), lead, True))
        for s in split_sentences(rc.chunk.text, base=rc.chunk.start):
            if s.end > rc.chunk.end or (art.doc_id, s.start) in seen:
                continue
            # A sentence cut by the chunk's edge is found whole in the next chunk.
            seen.add((art.doc_id, s.start))
            out.append(_Found(art, rc.chunk.chunk_id, s, leads[art.doc_id] == s.start))
    # A photo caption repeated in one article is one thing it says.
    said: set[tuple[str, str]] = set()
    kept = []
    for f in out:
        key = (f.article.doc_id, " ".join(f.sentence.text.split()).casefold())
        words = len(f.sentence.text.split())
        if key not in said and words >= MIN_WORDS and len(f.sentence.text) <= MAX_CHARS:
            said.add(key)
            kept.append(f)
    return kept


def _chunk_of(chunks: Sequence[RetrievedChunk], doc_id: str, s: Sentence) -> str:
    """The retrieved chunk holding `s`, else the article's first retrieved one."""
    mine = [rc.chunk for rc in chunks if rc.chunk.doc_id == doc_id]
    inside = [c for c in mine if c.start <= s.start and s.end <= c.end]
    return (inside or mine)[0].chunk_id


def _event_date(found: _Found, names_a_date: bool = True) -> EventDate | None:
    art, s = found.article, found.sentence
    for m in dates.mentions(s.text, art.published) if names_a_date else ():
        return EventDate.of(m.date, m.text)
    if found.lead and art.published is not None:
        return EventDate(start=art.published, precision="day", reported_on=True)
    return None


def _about_topic(
    found: Sequence[_Found],
    topic: str,
    topic_vec: np.ndarray,
    passages: Mapping[str, np.ndarray],
    min_relevance: float,
) -> list[_Found]:
    """The sentences that may be about the topic: those sharing one of its words, and the
    others only in a passage (a stored chunk vector) as close to the topic as a sentence
    must be. A sentence naming nothing of the topic is about it only through its passage
    ("the storm", "she said on Monday"); in a passage far from the topic, it is not."""
    words = set(content_words(topic))
    q = np.asarray(topic_vec, dtype=np.float32)
    close: dict[str, bool] = {}
    out = []
    for f in found:
        if words & set(content_words(f.sentence.text)):
            out.append(f)
            continue
        if f.chunk_id not in close:
            vec = passages.get(f.chunk_id)
            # No stored vector (a chunk written since retrieval): no reason to leave it out.
            close[f.chunk_id] = vec is None or float(vec @ q) >= min_relevance
        if close[f.chunk_id]:
            out.append(f)
    return out


def dated_sentences(
    chunks: Sequence[RetrievedChunk],
    topic_vec: np.ndarray,
    embedder: Embedder,
    *,
    min_relevance: float,
    topic: str = "",
    passages: Mapping[str, np.ndarray] | None = None,
    timings: dict[str, float] | None = None,
) -> list[Candidate]:
    """The sentences of `chunks` that can be dated and are about the topic (cosine to
    `topic_vec` at least `min_relevance`), most relevant first. `passages`: the chunks'
    stored vectors, by chunk id; with them and the `topic`'s text, sentences that cannot
    be about the topic are dropped before they are parsed or embedded. `timings` gets the
    seconds of each step and the counts of sentences read, parsed and embedded."""
    clock = {} if timings is None else timings
    t = time.perf_counter()
    found = _sentences(chunks)
    clock["sentences_read"] = float(len(found))
    if passages is not None and topic.strip():
        found = _about_topic(found, topic, topic_vec, passages, min_relevance)
    # A lead is dated by its article when it names no date, so it is always read.
    found = [f for f in found if f.lead or dates.may_name_a_date(f.sentence.text)]
    clock["split"] = time.perf_counter() - t
    t = time.perf_counter()
    # Dated first, embedded second: parsing is cheaper than embedding, and most sentences
    # name no date. One spaCy batch, parsing whole only what names a date; `mentions` then
    # reads each parse from its cache.
    names_a_date = nlp.parse_dated([f.sentence.text for f in found])
    clock["parse"] = time.perf_counter() - t
    t = time.perf_counter()
    dated: list[tuple[_Found, EventDate]] = []
    for f, named in zip(found, names_a_date, strict=True):
        when = _event_date(f, named)
        art, s = f.article, f.sentence
        if when is None:
            continue
        if art.text[s.start : s.end] != s.text:  # never cite what the article does not say
            logger.warning("sentence offsets do not match article %s; skipped", art.doc_id)
            continue
        dated.append((f, when))
    clock["dates"] = time.perf_counter() - t
    clock["sentences_parsed"] = float(len(found))
    if not dated:
        return []
    # The passages come best first: beyond the cap, only the least relevant are left out.
    dated = dated[:MAX_EMBEDDED]
    t = time.perf_counter()
    vectors, embedded = sentence_vectors(embedder).embed([f.sentence.text for f, _ in dated])
    clock["embed"] = time.perf_counter() - t
    clock["sentences_dated"] = float(len(dated))
    clock["sentences_embedded"] = float(embedded)
    relevance = vectors @ np.asarray(topic_vec, dtype=np.float32)
    out: list[Candidate] = []
    for i in np.argsort(-relevance, kind="stable"):
        if relevance[i] < min_relevance:
            break
        f, when = dated[i]
        art, s = f.article, f.sentence
        citation = EventCitation(
            doc_id=art.doc_id,
            title=art.title,
            source=art.source,
            url=art.url,
            published=art.published,
            chunk_id=f.chunk_id,
            quote=s.text,
            start=s.start,
            end=s.end,
            date=when,
        )
        out.append(Candidate(citation, vectors[i], float(relevance[i]), f.lead))
    return out
