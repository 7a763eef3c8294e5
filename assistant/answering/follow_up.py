"""Offline follow-ups: resolve "it", "he", "them", "there" and ellipsis from the previous turn.

"Who will replace them?" after "When do the Russian border guards leave?" becomes "Who will
replace the Russian border guards?": each referring pronoun is replaced by the previous
turn's entity or noun phrase of the matching kind (a person for "he", a plural phrase or a
group for "they", a place for "there"), read off the parse. A question with no verb ("On
what date?") borrows the rest of the previous question. The standalone question is what
retrieval and the answerer see, and what the UI and API show.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant import nlp
from assistant.answering.base import ABSTENTION, PASSAGES_LEAD
from assistant.answering.condense import offline_condense
from assistant.answering.spans import names_a_date

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = ["resolve_follow_up"]

_PERSON_PRON = frozenset(["he", "she", "him", "her", "his", "hers"])
_PLURAL_PRON = frozenset(["they", "them", "their", "theirs"])
_THING_PRON = frozenset(["it", "its", "this", "that"])
_PLACE_PRON = frozenset(["there"])
_POSSESSIVE = frozenset(["his", "her", "its", "their"])
_BE = frozenset(["is", "was", "are", "were"])
_MARKER = re.compile(r"\s*\[\d{1,3}\]")
_WH = frozenset(["who", "whom", "whose", "what", "which", "when", "where", "why", "how"])


def _answer_line(answer: str) -> str:
    """The previous answer's first line (its short answer), without citation markers."""
    first = answer.strip().split("\n")[0]
    if first.startswith(ABSTENTION) or first.startswith(PASSAGES_LEAD):
        return ""  # no short answer to refer back to
    return _MARKER.sub("", first).strip()


def _phrases(doc: Doc) -> list[Span]:
    """Entities and noun chunks of a previous turn. Left out: pronouns, the wh-phrase itself
    ("which province"), what a "what was X" asked for (X is its answer, not its topic), and,
    in an answer that is a value ("1,240 homes"), everything."""
    if doc.user_data.get("answer") and any(t.like_num for t in doc):
        return []
    asked = {t.head.i for t in doc if t.lower_ in _WH and t.head.lower_ in _BE}
    out: list[Span] = list(doc.ents)
    for chunk in doc.noun_chunks:
        if chunk.root.pos_ == "PRON" or any(t.lower_ in _WH for t in chunk):
            continue
        if chunk.root.head.i in asked:
            continue
        out.append(chunk)
    return out


def _pick(pron: Token, turns: Sequence[Doc]) -> str:
    """The antecedent of `pron` in the previous turns (newest first), or ""."""
    low = pron.lower_
    for doc in turns:
        spans = _phrases(doc)
        if low in _PERSON_PRON:
            found = [s for s in spans if s.label_ == "PERSON"]
        elif low in _PLACE_PRON:
            found = [s for s in spans if s.label_ in ("GPE", "LOC", "FAC")]
        elif low in _PLURAL_PRON:
            found = [
                s
                for s in spans
                if s.label_ == "ORG" or (s.label_ == "NP" and s.root.tag_ in ("NNS", "NNPS"))
            ]
        else:
            # "it", "that": the previous short answer itself when it names a thing ("Aras
            # 2025" for "who took part in it"), else a thing the turn mentions.
            if (
                doc.user_data.get("answer")
                and not names_a_date(doc.text)
                and not any(t.like_num for t in doc)  # "2006", "1,240 homes": values
                and not any(e.label_ == "PERSON" for e in doc.ents)
            ):
                return doc.text
            found = [
                s
                for s in spans
                if s.label_ not in ("PERSON", "DATE", "TIME", "CARDINAL", "ORDINAL")
            ]
        if found:
            # The longest mention says most ("the Russian border guards", not "guards").
            best = max(found, key=lambda s: (len(s), -s.start))
            text = best.text
            if best[0].pos_ == "DET" and best[0].lower_ in ("a", "an"):
                text = best[1:].text
            return text
    return ""


def resolve_follow_up(question: str, history: Sequence[tuple[str, str]]) -> str:
    """`question` made to stand alone from `history` ((question, answer) pairs, oldest first)."""
    if not history:
        return question
    doc = nlp.parse(question.strip())
    # Newest first: the last answer's short line, then the last question, then older turns.
    texts: list[tuple[str, bool]] = []
    for prev_q, prev_a in reversed(history):
        texts.extend([(_answer_line(prev_a), True), (prev_q, False)])
    texts = [(t, is_answer) for t, is_answer in texts if t]
    turns = [d.copy() for d in nlp.parse_many([t for t, _ in texts])]
    for d, (_, is_answer) in zip(turns, texts, strict=True):
        # A short answer line may stand for "it" whole (copies: the parse cache is shared).
        d.user_data["answer"] = is_answer and len(d) <= 6
    pronouns = [
        t
        for t in doc
        if t.lower_ in _PERSON_PRON | _PLURAL_PRON | _THING_PRON | _PLACE_PRON
        and (t.pos_ in ("PRON", "ADV") or t.tag_ in ("PRP$", "DT", "WDT"))
        # "that" as a determiner ("that day") or a conjunction refers to nothing by itself.
        and not (t.lower_ in ("this", "that") and t.dep_ in ("det", "mark", "nsubj"))
    ]
    has_verb = any(t.pos_ in ("VERB", "AUX") for t in doc)
    if not pronouns and has_verb:
        return question
    if not has_verb:
        # Ellipsis: "On what date?" after "Where did Erdogan meet Pashinyan?" becomes "On
        # what date did Erdogan meet Pashinyan?" (the previous question minus its wh-word).
        prev = nlp.parse(history[-1][0].strip())
        wh_phrase: set[int] = set()
        for tok in prev:
            if tok.lower_ in _WH:
                wh_phrase.add(tok.i)
                if tok.dep_ == "det":  # "which province": the whole noun phrase
                    wh_phrase |= {t.i for t in tok.head.subtree}
                if tok.dep_ == "pobj":  # "in which": the preposition too
                    wh_phrase.add(tok.head.i)
        rest = [t for t in prev if t.i not in wh_phrase]
        tail = "".join(t.text_with_ws for t in rest).strip()
        if not tail:
            return offline_condense(question, history)
        return f"{question.strip().rstrip('?').strip()} {tail}"
    out: list[str] = []
    changed = False
    for tok in doc:
        if tok in pronouns:
            antecedent = _pick(tok, turns)
            if antecedent:
                suffix = "'s" if tok.lower_ in _POSSESSIVE and tok.tag_ == "PRP$" else ""
                out.append(antecedent + suffix + tok.whitespace_)
                changed = True
                continue
        out.append(tok.text_with_ws)
    if not changed:
        return offline_condense(question, history)
    return "".join(out).strip()
