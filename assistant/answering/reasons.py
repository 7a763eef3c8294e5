"""The reason a sentence gives, read off its dependency parse: the short answer to "why".

"Recalled because of a fire risk", "a note over 'illegal crossings'", "criticised Russia for
its failure to protect ...", "justified the incursion by the need to ...", "cited the bloc's
failure to support ...", "invoked the pact after troops penetrated ...". Only the reason
clause is returned; the sentence itself is quoted under the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = ["reason"]

# Subordinating words that open a reason clause ("because they ...", "after troops ...").
_CAUSAL_MARKS = frozenset(["because", "since", "as", "after", "so"])
# Prepositions whose object is a reason ("because of", "due to", "over", "amid").
_CAUSAL_PREPS = frozenset(["because", "due", "owing", "thanks", "over", "amid", "following"])
# Verbs whose "for"/"by"/"over" phrase is the reason ("criticised Russia for its failure").
_REASON_VERBS = frozenset(
    [
        "criticize",
        "criticise",
        "blame",
        "accuse",
        "praise",
        "thank",
        "sanction",
        "punish",
        "arrest",
        "charge",
        "fine",
        "sue",
        "condemn",
        "recall",
        "apologize",
        "apologise",
        "justify",
        "explain",
        "fire",
        "ban",
        "suspend",
    ]
)
# Verbs whose object is the reason given ("cited the bloc's failure", "citing concerns").
_CITING_VERBS = frozenset(["cite", "blame", "attribute"])
_MIN_TOKENS = 2
_MAX_TOKENS = 25


def _text(span: Span) -> str:
    return span.text.strip(" ,.;:\"'“”‘’")


def _clause(doc: Doc, head: Token) -> Span:
    return doc[head.left_edge.i : head.right_edge.i + 1]


def _ok(span: Span) -> bool:
    return _MIN_TOKENS <= len(span) <= _MAX_TOKENS


def reason(doc: Doc) -> str:
    """The reason clause of the parsed sentence `doc`, or "" when it states none."""
    for tok in doc:
        low = tok.lower_
        lemma = tok.lemma_.lower() if tok.lemma_ else low
        if low in _CAUSAL_MARKS and tok.dep_ == "mark" and tok.head.pos_ in ("VERB", "AUX"):
            if low == "as" and not any(c.dep_ in ("nsubj", "nsubjpass") for c in tok.head.children):
                continue  # "as part of", "as expected": not a reason
            span = _clause(doc, tok.head)
            if _ok(span):
                return _text(span)
        if low in _CAUSAL_PREPS and tok.dep_ in ("prep", "amod", "advmod", "mark"):
            end = tok.right_edge.i + 1
            if end - tok.i >= _MIN_TOKENS + 1:
                span = doc[tok.i : end]
                if _ok(span):
                    return _text(span)
        if low in ("for", "by", "over") and tok.dep_ in ("prep", "agent"):
            verb = tok.head
            verb_word = verb.lemma_.lower() if verb.lemma_ else verb.lower_
            if verb.pos_ == "VERB" and _base(verb_word) in _REASON_VERBS:
                span = doc[tok.i + 1 : tok.right_edge.i + 1]
                if _ok(span):
                    return _text(span)
        if _base(lemma) in _CITING_VERBS and tok.pos_ == "VERB":
            for child in tok.children:
                if child.dep_ == "dobj":
                    span = _clause(doc, child)
                    if _ok(span):
                        return _text(span)
        if low == "to" and tok.dep_ == "aux" and tok.head.dep_ == "advcl":
            # "... to protect its interests": a purpose clause.
            span = doc[tok.i : tok.head.right_edge.i + 1]
            if _ok(span):
                return _text(span)
    return ""


def _base(word: str) -> str:
    """Inflections the lemmatizer-free pipeline leaves ("criticized" -> "criticize")."""
    for suffix, repl in (("ied", "y"), ("ized", "ize"), ("ised", "ise"), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stemmed = word[: -len(suffix)] + repl
            if stemmed in _REASON_VERBS or stemmed in _CITING_VERBS:
                return stemmed
            if stemmed + "e" in _REASON_VERBS or stemmed + "e" in _CITING_VERBS:
                return stemmed + "e"
    if word.endswith("s") and word[:-1] in _REASON_VERBS | _CITING_VERBS:
        return word[:-1]
    return word
