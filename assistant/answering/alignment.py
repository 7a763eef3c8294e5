"""Where a candidate sits in its sentence against where the wh-phrase sits in the question.

A question and the sentence that answers it usually say the same thing with the answer in the
wh-phrase's place: "Harbor owners approved the sale of *which ferry company*?" and "owners
approved the sale of *Bluewater Ferries* on Monday from the Tessel Trust". Both names are
organisations in the same sentence; only the first hangs from "sale of", as the wh-phrase
does. These features read that off the two parses (spaCy's dependency trees):

- `slot_head`: the content word the candidate hangs from (through a preposition) is the one
  the wh-phrase hangs from ("sale");
- `slot_relation`: and in the same relation (subject, object, "of", ...);
- `tree_closeness`: how few dependency arcs separate the candidate from the nearest of the
  question's words in the sentence (arcs, unlike words, skip a long apposition);
- `clause_cover`: the share of the question's words in the candidate's clause (the verb it
  belongs to and everything under it), so a value in the clause that restates the question
  beats one in a side clause of the same sentence.

No word list and no weight here: the answer model weighs them (features.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.answering.sentences import STOPWORDS, stem

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = ["ALIGNMENT_FEATURES", "WH_TAGS", "Slot", "align", "slot_of"]

ALIGNMENT_FEATURES: tuple[str, ...] = (
    "slot_head",
    "slot_relation",
    "tree_closeness",
    "clause_cover",
)

# The Penn tags of wh-words ("which", "what", "who", "whose", "when", "where", "how", "why").
WH_TAGS = frozenset(["WDT", "WP", "WP$", "WRB"])
_CONTENT_POS = frozenset(["NOUN", "PROPN", "VERB", "ADJ", "NUM"])
# Relations grouped as a reader would: "the sale of X" and "X's sale" differ; "X founded it"
# and "it was founded by X" (an agent) agree, and a passive subject is what was acted on.
_RELATION = {
    "nsubj": "subject",
    "nsubjpass": "object",  # "X was founded": X is what was founded
    "csubj": "subject",
    "agent": "subject",
    "dobj": "object",
    "attr": "object",
    "oprd": "object",
    "dative": "object",
    "nummod": "modifier",
    "amod": "modifier",
    "compound": "modifier",
    "nmod": "modifier",
    "poss": "owner",
    "npadvmod": "adverbial",
    "advmod": "adverbial",
}
# Arcs beyond which a question word says nothing of the candidate (the feature is then 0).
_FAR = 8


@dataclass(frozen=True)
class Slot:
    """Where the wh-phrase hangs in the question: the stem of the content word it depends on
    (through a preposition) and the relation, e.g. ("sale", "of") for "the sale of which
    team"; empty when the question has no wh-phrase the parse can place."""

    head: str = ""
    relation: str = ""


def _attachment(tok: Token) -> tuple[str, str]:
    """(stem of the content word `tok` depends on, relation), climbing through names'
    inner words, appositions and coordinations first ("X, the company, said": X said)."""
    seen = 0
    while tok.dep_ in ("compound", "flat", "appos", "conj") and tok.head.i != tok.i and seen < 4:
        tok = tok.head
        seen += 1
    head = tok.head
    if head.i == tok.i:
        return "", "root"
    relation = _RELATION.get(tok.dep_, tok.dep_)
    if head.pos_ == "ADP" or tok.dep_ == "pobj":
        # "founded by X" says who founded it, as "X founded it" does.
        relation = "subject" if head.dep_ == "agent" else head.lower_
        if head.head.i != head.i:
            head = head.head
    if head.pos_ not in _CONTENT_POS:
        return "", relation
    return stem(head.lower_), relation


def slot_of(doc: Doc, skip: Collection[int] = ()) -> Slot:
    """The wh-phrase's `Slot` in a parsed question ("how many X": where X hangs), its
    wh-word the first not in `skip` (those that only open a clause); `question.analyse`
    keeps it as `Analysis.slot`."""
    for tok in doc:
        if tok.tag_ not in WH_TAGS or tok.i in skip:
            continue
        root = tok
        if tok.dep_ in ("det", "poss") or tok.lower_ == "how":
            # "which team", "whose car", "how many people": the phrase is its noun's.
            up = tok.head
            while up.pos_ in ("ADJ", "ADV", "DET") and up.head.i != up.i:
                up = up.head
            if up.pos_ in ("NOUN", "PROPN"):
                root = up
        head, relation = _attachment(root)
        return Slot(head, relation)
    return Slot()


def align(doc: Doc, span: Span, slot: Slot, q_stems: Collection[str]) -> dict[str, float]:
    """The `ALIGNMENT_FEATURES` of `span` (a candidate in the parsed sentence `doc`)."""
    f = dict.fromkeys(ALIGNMENT_FEATURES, 0.0)
    head, relation = _attachment(span.root)
    if slot.head and head == slot.head:
        f["slot_head"] = 1.0
        f["slot_relation"] = float(relation == slot.relation)
    anchors = [
        t
        for t in doc
        if t.is_alpha
        and t.lower_ not in STOPWORDS
        and not span.start <= t.i < span.end
        and stem(t.lower_) in q_stems
    ]
    if anchors:
        arcs = min(_arcs(span.root, a) for a in anchors)
        f["tree_closeness"] = max(0.0, 1.0 - arcs / _FAR)
    if q_stems:
        verb = span.root
        while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
            verb = verb.head
        clause = {stem(t.lower_) for t in verb.subtree}
        f["clause_cover"] = sum(1 for w in q_stems if w in clause) / len(q_stems)
    return f


def _arcs(a: Token, b: Token) -> int:
    """Dependency arcs between two tokens of one sentence."""
    up: dict[int, int] = {}
    tok, n = a, 0
    while True:
        up[tok.i] = n
        if tok.head.i == tok.i:
            break
        tok, n = tok.head, n + 1
    tok, n = b, 0
    while tok.i not in up:
        if tok.head.i == tok.i:
            return _FAR
        tok, n = tok.head, n + 1
    return n + up[tok.i]
