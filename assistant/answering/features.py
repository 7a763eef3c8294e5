"""Named features of candidate answers and of a question's evidence, for the learned model.

One extractor for the three decisions the offline answerer makes (model.py weighs them):
which candidate value answers (`candidate_features`), how likely the best one is right
(`confidence_features`), and whether the passages found say anything about what the
question asks (`evidence_features`). Every feature has a name, so a fitted weight can be read
next to what it weighs (`python evals/fit_answer_model.py --show`).

The question analysis (answer type, focus noun) and the parse (the span's role: linked to the
focus noun, a subject as the wh-phrase is, described by the question's own words) stay the
core of it; similarity and counts alone rank far worse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant import nlp
from assistant.answering.alignment import ALIGNMENT_FEATURES, Slot, align
from assistant.answering.qtypes import date_specificity
from assistant.answering.question import Analysis
from assistant.answering.sentences import content_words, stem
from assistant.answering.spans import ROLE_FLAGS, norm_value

if TYPE_CHECKING:
    from assistant.answering.sentences import ScoredSentence

__all__ = [
    "CANDIDATE_FEATURES",
    "CONFIDENCE_FEATURES",
    "EVIDENCE_FEATURES",
    "KINDS",
    "CandidateView",
    "candidate_features",
    "confidence_features",
    "evidence_features",
]

KINDS: tuple[str, ...] = ("date", "number", "entity", "phrase", "explain", "choice")
_LABEL_GROUPS: dict[str, tuple[str, ...]] = {
    "person": ("PERSON",),
    "org": ("ORG",),
    "place": ("GPE", "LOC", "FAC"),
    "norp": ("NORP",),
    "date": ("DATE", "TIME"),
    "number": ("CARDINAL", "QUANTITY", "MONEY", "PERCENT", "ORDINAL"),
    "np": ("NP",),
    "focus": ("FOCUS",),
    "quote": ("QUOTE",),
}
# Where a candidate came from: the best sentences, the sentence before one of them, one hop
# through a name the best sentence gives, or any span when no typed one was found.
SOURCES: tuple[str, ...] = ("context", "bridge", "untyped")
_PROXIMITY = 8.0  # words at which the closeness feature halves (same scale as the votes')
# The margin of a lone candidate, and the most any margin counts: beyond a clear lead, more
# lead says little more (and an unbounded feature would dominate the fit).
_MAX_MARGIN = 5.0

CANDIDATE_FEATURES: tuple[str, ...] = (
    "support_share",
    "support_top_ratio",
    "support_first",
    "log_docs",
    "log_sentences",
    "chunk_mentions",
    "article_share",
    "fit",
    "wanted_first",
    "wanted_other",
    "unwanted",
    "type_affinity",
    "type_best",
    *(f"label_{g}" for g in _LABEL_GROUPS),
    "label_other",
    "phrase_np",
    "phrase_name",
    "sentence_score",
    "sentence_relative",
    "sentence_rank_inv",
    "sentence_cosine",
    "sentence_overlap",
    "article_rank_inv",
    "article_first",
    "proximity",
    "words",
    "one_word",
    "in_title",
    "timely",
    "counts_unit",
    "question_words",
    "capitalised",
    "has_digit",
    "date_specific",
    *(f"role_{f}" for f in ROLE_FLAGS),
    *(f"from_{s}" for s in SOURCES),
    *ALIGNMENT_FEATURES,
)

CONFIDENCE_FEATURES: tuple[str, ...] = (
    "top_logit",
    "margin",
    "top_share",
    "log_candidates",
    "best_score",
    "top_sentence_relative",
    "top_docs",
    "top_mentions",
    "top_wanted",
    "top_affinity",
    "top_article_first",
    "coverage",
    "names_covered",
    "top_slot",
    "top_clause",
    *(f"kind_{k}" for k in KINDS),
)

EVIDENCE_FEATURES: tuple[str, ...] = (
    "best_score",
    "best_cosine",
    "coverage",
    "coverage_top3",
    "names_covered",
    "rare_covered",
    "within_window",
    "has_candidate",
    "top_prob",
    "log_sentences",
    *(f"kind_{k}" for k in KINDS),
)


@dataclass(frozen=True)
class CandidateView:
    """What the features read of one candidate value (a vote of the extractive answerer)."""

    text: str
    label: str
    support: float
    fit: float
    docs: int
    sentences: int
    sentence: ScoredSentence  # the sentence that gives it with the most weight
    distance: float  # tokens to the nearest question word, over its mentions
    counts_unit: bool
    flags: frozenset[str]
    source: str = ""  # "" for the best sentences, else one of SOURCES
    timely: float = 1.0


def candidate_features(
    cands: Sequence[CandidateView],
    analysis: Analysis,
    scored: Sequence[ScoredSentence],
    q_stems: set[str],
    passages: Mapping[str, str] | None = None,
    affinity: Mapping[str, float] | None = None,
    slot: Slot | None = None,
) -> list[dict[str, float]]:
    """One feature mapping per candidate, in `cands` order (the vote order: best support
    first). `passages`: doc id -> the retrieved text of that article, where a candidate's
    mentions are counted (an answer tends to recur in the articles that report it).
    `affinity`: entity label -> how close its description is to what the question asks for
    ("superstar" and "a person"), for focus nouns no word list names. `slot`: where the
    question's wh-phrase hangs (`Analysis.slot`), for the alignment features."""
    if not cands:
        return []
    normed = {d: f" {norm_value(t)} " for d, t in (passages or {}).items()}
    total = sum(c.support for c in cands) or 1.0
    top = max(c.support for c in cands) or 1.0
    best = scored[0].score if scored else 1.0
    rank_of = {(s.rc.article.doc_id, s.start): i for i, s in enumerate(scored)}
    out: list[dict[str, float]] = []
    for i, c in enumerate(cands):
        s = c.sentence
        words = c.text.split()
        stems = [stem(w) for w in content_words(c.text)]
        in_q = sum(1 for w in stems if w in q_stems) / len(stems) if stems else 0.0
        f: dict[str, float] = dict.fromkeys(CANDIDATE_FEATURES, 0.0)
        f["support_share"] = c.support / total
        f["support_top_ratio"] = c.support / top
        f["support_first"] = float(i == 0)
        f["log_docs"] = math.log1p(c.docs)
        f["log_sentences"] = math.log1p(c.sentences)
        key = f" {norm_value(c.text)} "
        if normed and key.strip():
            counts = [t.count(key) for t in normed.values()]
            f["chunk_mentions"] = math.log1p(sum(counts))
            f["article_share"] = sum(1 for n in counts if n) / len(counts)
        f["fit"] = c.fit
        wanted = analysis.labels
        f["wanted_first"] = float(bool(wanted) and c.label == wanted[0])
        f["wanted_other"] = float(bool(wanted) and c.label in wanted[1:])
        f["unwanted"] = float(bool(wanted) and c.label not in wanted)
        if affinity:
            f["type_affinity"] = affinity.get(c.label, 0.0)
            f["type_best"] = float(c.label == max(affinity, key=lambda k: affinity[k]))
        group = next((g for g, labels in _LABEL_GROUPS.items() if c.label in labels), "")
        f[f"label_{group}" if group else "label_other"] = 1.0
        f["phrase_np"] = float(analysis.kind == "phrase" and c.label == "NP")
        f["phrase_name"] = float(analysis.kind == "phrase" and c.label not in ("NP", "FOCUS"))
        f["sentence_score"] = s.score
        f["sentence_relative"] = s.score / best if best else 0.0
        f["sentence_rank_inv"] = 1.0 / (1 + rank_of.get((s.rc.article.doc_id, s.start), 50))
        f["sentence_cosine"] = s.cosine
        f["sentence_overlap"] = s.overlap
        f["article_rank_inv"] = 1.0 / max(1, s.rc.rank)
        f["article_first"] = float(s.rc.rank == 1)
        f["proximity"] = 1.0 / (1.0 + c.distance / _PROXIMITY)
        f["words"] = min(len(words), 10) / 10
        f["one_word"] = float(len(words) == 1)
        f["in_title"] = float(
            bool(norm_value(c.text)) and norm_value(c.text) in norm_value(s.rc.article.title)
        )
        f["timely"] = c.timely
        f["counts_unit"] = float(c.counts_unit)
        f["question_words"] = in_q
        caps = [w for w in words if w[:1].isalpha()]
        f["capitalised"] = sum(1 for w in caps if w[0].isupper()) / len(caps) if caps else 0.0
        f["has_digit"] = float(any(ch.isdigit() for ch in c.text))
        f["date_specific"] = date_specificity(c.text) if c.label in ("DATE", "TIME") else 0.0
        for flag in c.flags:
            f[f"role_{flag}"] = 1.0
        if c.source:
            f[f"from_{c.source}"] = 1.0
        if slot is not None:
            f.update(_aligned(c, slot, q_stems))
        # Not weighed by the ranking; the confidence reads them of the best-ranked candidate.
        context = f"{s.rc.article.title}\n{s.text}"
        f["ctx_coverage"] = _coverage(context, q_stems)
        f["ctx_names"] = _names_covered(context, analysis.names)
        out.append(f)
    return out


def _aligned(c: CandidateView, slot: Slot, q_stems: set[str]) -> dict[str, float]:
    """The alignment features of the candidate's first mention in its sentence (the parse
    is the one the candidates were read from: nlp's cache)."""
    text = c.sentence.text
    at = text.find(c.text)
    if at < 0:
        at = text.casefold().find(c.text.casefold())
    if at < 0:
        return {}
    doc = nlp.parse(text)
    span = doc.char_span(at, at + len(c.text), alignment_mode="expand")
    return align(doc, span, slot, q_stems) if span is not None else {}


def _coverage(text: str, q_stems: set[str]) -> float:
    """The share of the question's content words that `text` holds."""
    if not q_stems:
        return 1.0
    have = {stem(w) for w in content_words(text)}
    return sum(1 for w in q_stems if w in have) / len(q_stems)


def _names_covered(text: str, names: Sequence[str]) -> float:
    """The share of the question's named things that `text` names (up to an ending:
    "Russia"/"Russian")."""
    if not names:
        return 1.0
    low = text.casefold()
    parts = [p for n in names for p in n.split("-") if p]
    if not parts:
        return 1.0
    return sum(1 for p in parts if p.casefold()[: max(4, len(p) - 3)] in low) / len(parts)


def _kind(analysis: Analysis) -> dict[str, float]:
    return {f"kind_{k}": float(analysis.kind == k) for k in KINDS}


def confidence_features(
    logits: Sequence[float],
    rows: Sequence[Mapping[str, float]],
    analysis: Analysis,
    best_score: float,
) -> dict[str, float]:
    """What the confidence in the best-ranked candidate reads: `logits` and `rows` (from
    `candidate_features`) in ranked order, best first."""
    f = dict.fromkeys(CONFIDENCE_FEATURES, 0.0)
    f.update(_kind(analysis))
    f["best_score"] = best_score
    if not rows:
        return f
    f["top_logit"] = logits[0]
    # A lone candidate has no rival: its margin is capped where a clear lead would be.
    f["margin"] = min(logits[0] - logits[1], _MAX_MARGIN) if len(logits) > 1 else _MAX_MARGIN
    exps = [math.exp(max(-60.0, x - logits[0])) for x in logits]
    f["top_share"] = exps[0] / sum(exps)
    f["log_candidates"] = math.log1p(len(rows))
    f["top_sentence_relative"] = rows[0]["sentence_relative"]
    f["top_docs"] = rows[0]["log_docs"]
    f["top_mentions"] = rows[0]["chunk_mentions"]
    f["top_wanted"] = rows[0]["wanted_first"]
    f["top_affinity"] = rows[0]["type_affinity"]
    f["top_article_first"] = rows[0]["article_first"]
    f["coverage"] = rows[0]["ctx_coverage"]
    f["names_covered"] = rows[0]["ctx_names"]
    # The best candidate stands where the question's wh-phrase stands, in a clause that
    # restates the question: the plainest case of a sentence answering a question.
    f["top_slot"] = rows[0].get("slot_head", 0.0) + rows[0].get("slot_relation", 0.0)
    f["top_clause"] = rows[0].get("clause_cover", 0.0)
    return f


def evidence_features(
    analysis: Analysis,
    scored: Sequence[ScoredSentence],
    q_stems: set[str],
    rare: set[str],
    has_candidate: bool,
    within_window: bool,
) -> dict[str, float]:
    """Whether the best passages speak to what the question asks: its words, its names and
    its rarest words (`rare`: the question words fewest retrieved chunks hold). `top_prob`,
    the confidence in the best candidate, is the caller's to fill in."""
    f = dict.fromkeys(EVIDENCE_FEATURES, 0.0)
    f.update(_kind(analysis))
    if not scored:
        return f
    first = scored[0]
    f["best_score"] = first.score
    f["best_cosine"] = first.cosine
    f["coverage"] = _coverage(f"{first.rc.article.title}\n{first.text}", q_stems)
    top3 = "\n".join(f"{s.rc.article.title}\n{s.text}" for s in scored[:3])
    f["coverage_top3"] = _coverage(top3, q_stems)
    chunk = "\n".join(f"{s.rc.article.title}\n{s.rc.chunk.text}" for s in scored[:3])
    f["names_covered"] = _names_covered(chunk, analysis.names)
    f["rare_covered"] = _coverage(chunk, rare) if rare else 1.0
    f["within_window"] = float(within_window)
    f["has_candidate"] = float(has_candidate)
    f["log_sentences"] = math.log1p(len(scored))
    return f
