"""Sentences with exact offsets, and the small text signals the answerers share."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.types import RetrievedChunk

__all__ = [
    "STOPWORDS",
    "ScoredSentence",
    "Sentence",
    "content_words",
    "sentence_score",
    "split_sentences",
]


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offset in the text that was split
    end: int


@dataclass(frozen=True)
class ScoredSentence:
    """A retrieved sentence with how close it is to the question (the extractive answerer's
    unit of evidence)."""

    rc: RetrievedChunk
    text: str
    start: int  # in the article
    end: int
    score: float
    cosine: float
    overlap: float


_SURROGATE = re.compile("[\ud800-\udfff]")


def split_sentences(text: str, base: int = 0) -> list[Sentence]:
    """Sentences of `text` (paragraph by paragraph); offsets are `base` + position.

    Bling Fire's sentence breaker, not nltk's Punkt: importing nltk pulls in scipy and
    scikit-learn, a large part of `assistant ask`'s cold start, and Bling Fire makes fewer
    false breaks after abbreviations ("Gov.", "Rep.", "U.S.").
    """
    import blingfire

    out: list[Sentence] = []
    pos = 0
    for para in text.split("\n"):
        if para.strip():
            # Lone surrogates (from JSON "\ud800" escapes) cannot be UTF-8 encoded for the
            # breaker; one replacement character each keeps every offset where it was.
            safe = _SURROGATE.sub("\ufffd", para)
            _s, offs = blingfire.text_to_sentences_and_offsets(safe)
            for s, e in offs:
                seg = para[s:e]
                lead = len(seg) - len(seg.lstrip())
                seg = seg.strip()
                if seg:
                    out.append(
                        Sentence(seg, base + pos + s + lead, base + pos + s + lead + len(seg))
                    )
        pos += len(para) + 1
    return out


STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "week",
        "weeks",
        "recently",
        "according",
        "said",
        "says",
        "new",
        "one",
        "also",
        "year",
        "years",
        "time",
        "last",
        "next",
        "first",
        "many",
        "much",
        "made",
        "make",
        "did",
        "will",
        "would",
        "could",
        "after",
    ]
)

_WORD = re.compile(r"[\w][\w'’.-]*[\w]|[\w]")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


# Every sentence read is stemmed word by word, thousands of words per question, most of them
# seen before: the cache holds a large vocabulary and bounds the memory it takes.
@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    w = word.casefold().replace("’", "'")
    for suf in ("'s", "ing", "ies", "ed", "es", "s"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            return w[: -len(suf)] + ("y" if suf == "ies" else "")
    return w


def sentence_score(cosine: float, overlap: float) -> float:
    """How well a sentence matches a question or a claim: half meaning (the embeddings'
    cosine), half wording (the share of its content words the sentence has)."""
    return 0.5 * cosine + 0.5 * overlap


def content_words(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w.casefold() not in STOPWORDS and len(w) > 1]
