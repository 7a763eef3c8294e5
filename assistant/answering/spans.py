"""Candidate answer spans in a parsed sentence: entities, noun chunks, dates and numbers.

Each span carries its type fit (how well its spaCy label matches what the question wants)
and its distance in tokens to the nearest word the question shares with the sentence: the
answer to "who signed the treaty" sits next to "signed" and "treaty", not at the other end
of a long sentence.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from assistant.answering.lexicon import LEXICON
from assistant.answering.question import Analysis
from assistant.answering.sentences import STOPWORDS, stem

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = [
    "ROLE_FLAGS",
    "VALUE_LABELS",
    "SpanCandidate",
    "candidates",
    "could_hold",
    "fuller",
    "names_a_date",
    "norm_value",
]

# Labels that are values, never the answer to a "what"/"which" phrase question.
VALUE_LABELS = frozenset(["DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"])
# Fit of the first, second, ... wanted label; further ones keep the last.
_RANK_FIT = (1.0, 0.75, 0.6, 0.5)
# Untyped spans of a "what"/"which X" question: an entity is likelier than a noun chunk.
_PHRASE_ENTITY_FIT = 0.8
_PHRASE_CHUNK_FIT = 0.6
_MODIFIER_FIT = 0.5
_WHO_GROUP_FIT = 0.5
_SAME_ROLE_FIT = 1.3
_PLACE_PREPOSITIONS = frozenset(["in", "at", "to", "from", "near", "into", "outside"])
_PLACE_BY_PREPOSITION_FIT = 0.6
# A span the sentence links to the question's focus noun ("the spokesman, Dmitri Peskov").
_FOCUS_FIT = 2.0
# A name the sentence describes with the question's own words ("Armenian Prime Minister
# Nikol Pashinyan" for "which Turkish president met the Armenian prime minister") is who the
# question already points at, not who it asks for.
_REFERENT_FIT = 0.3
# A name holding one of the question's proper nouns ("Suren Papikyan" for "when Papikyan
# visited") restates the question.
_QUESTION_NAME_FIT = 0.2
# An entity of a label the question does not ask for (`broad` candidates): the prior is low,
# the learned model decides from its other features.
_OTHER_LABEL_FIT = 0.1
_NO_ANCHOR = 12.0  # distance used when the sentence shares no word with the question
_OTHER_UNIT_FIT = 0.5  # a number that counts something else than the question asks
_COUNTRY_FOCUS = frozenset(["country", "nation", "state", "continent", "republic", "kingdom"])
_CITY_FOCUS = frozenset(["city", "town", "capital", "village"])
_OTHER_PLACE_FIT = 0.5
_TIME_UNITS = LEXICON.time_units


def _known_place(text: str) -> bool:
    """A country, US state or continent (data/lexicon.json): a type signal for "where"."""
    return text.strip().casefold() in LEXICON.places


_PREFIX = 6  # shortest stem that matches by prefix
# A quotation: its opening mark not glued to a word or `=` (`id="7" title="x"` holds no
# quotation `" title="`), no markup characters inside, no space just inside the marks.
_QUOTED = re.compile(r"(?<![\w=])[“\"](?!\s)([^”\"<>=]{2,60}?)(?<!\s)[”\"](?![\w=])")
_NUMERIC = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|dozens?|half)\b",
    re.IGNORECASE,
)
_DATE_WORD = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|yesterday|"
    r"tomorrow|week|month|year|decade|spring|summer|fall|autumn|winter)s?\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SpanCandidate:
    text: str
    start: int  # character offsets in the sentence
    end: int
    label: str  # the entity label, "NP" for a noun chunk, "QUOTE" for a quoted title
    fit: float
    distance: float
    # False for a number that counts something else than the "how many X" asks for.
    counts_unit: bool = True
    # The roles the parse gave the span (`ROLE_FLAGS`): the answer model's features.
    flags: frozenset[str] = frozenset()


# What the sentence's parse says of a span, beyond its label: each is a feature of the
# learned answer model (features.py), which weighs them; `fit` is their hand-set prior.
ROLE_FLAGS: tuple[str, ...] = (
    "focus_link",  # the sentence links it to the question's focus noun
    "same_role",  # a subject, as the question's wh-phrase is
    "referent",  # described by the question's own words: what the question points at
    "question_name",  # holds one of the question's proper nouns
    "modifier",  # only modifies a noun ("Armenian" in "Armenian customs")
    "who_group",  # a nationality or country for "who"
    "other_unit",  # a number counting something else than the question's unit
    "place_by_prep",  # "in/at/to X" for "where", whatever the recogniser's label
    "other_place",  # a country for "which city" or a city for "which country"
    "quoted",  # a quoted title
    "joined",  # coordinated names answering a plural question
    # Its place in the sentence's dependency tree, read for every span:
    "shares_verb",  # the verb it depends on is one of the question's words ("founded")
    "near_focus",  # the question's focus noun is within a few words of it
    "dep_subject",  # a subject of its clause
    "dep_object",  # an object, or the object of a preposition
    "dep_modifier",  # a modifier or compound of another noun
)
# The focus noun counts as near a span within this many tokens.
_NEAR_FOCUS = 4


# Labels of names, which a sentence often gives in a fuller form than the recogniser's span.
_NAME_LABELS = frozenset(
    [
        "PERSON",
        "ORG",
        "GPE",
        "LOC",
        "FAC",
        "NORP",
        "EVENT",
        "WORK_OF_ART",
        "PRODUCT",
        "LAW",
        "FOCUS",
    ]
)
# The longest name `fuller` makes, in tokens: beyond it a phrase is a description.
_FULL_NAME_TOKENS = 8
# Tokens that join the parts of one name ("Three 6 Mafia", "Bed Bath & Beyond", "Bank of
# America") when a proper noun follows them.
_NAME_JOINERS = frozenset(["&", "of", "and", "de", "la", "van", "von", "al", "bin"])


def fuller(text: str, label: str, sentence: str) -> str:
    """A name as its sentence gives it in full: the proper nouns and capitalised titles
    around the recogniser's span ("Pope Benedict XVI" for "Benedict XVI", "Homeland
    Security Secretary Alejandro Mayorkas" for "Mayorkas"). Other values as they are."""
    at = sentence.find(text)
    if label not in _NAME_LABELS or at < 0:
        return text
    from assistant import nlp

    doc = nlp.parse(sentence)
    span = doc.char_span(at, at + len(text), alignment_mode="expand")
    if span is None:
        return text
    start, end = span.start, span.end

    def named(tok: Token) -> bool:
        return tok.pos_ == "PROPN" or (tok.pos_ == "NOUN" and tok.is_title and tok.i > 0)

    while start > 0 and end - start < _FULL_NAME_TOKENS:
        prev = doc[start - 1]
        if named(prev) or (
            (prev.lower_ in _NAME_JOINERS or prev.like_num) and start > 1 and named(doc[start - 2])
        ):
            start -= 1
        else:
            break
    while end < len(doc) and end - start < _FULL_NAME_TOKENS:
        nxt = doc[end]
        if named(nxt) or (
            (nxt.lower_ in _NAME_JOINERS or nxt.like_num)
            and end + 1 < len(doc)
            and named(doc[end + 1])
        ):
            end += 1
        else:
            break
    while start < end and doc[start].lower_ in _NAME_JOINERS:
        start += 1
    while end > start and doc[end - 1].lower_ in _NAME_JOINERS:
        end -= 1
    return doc[start:end].text if end > start else text


def could_hold(sentence: str, kind: str) -> bool:
    """A cheap test, before any parsing: can `sentence` hold a value of `kind` at all?"""
    if kind == "number":
        return bool(_NUMERIC.search(sentence))
    if kind == "date":
        return bool(_NUMERIC.search(sentence) or _DATE_WORD.search(sentence))
    return True


def names_a_date(text: str) -> bool:
    """A month, weekday or calendar word: `text` is (or holds) a date."""
    return bool(_DATE_WORD.search(text))


def norm_value(text: str) -> str:
    """The span's comparison key: case, punctuation and a leading "the" do not count."""
    words = re.sub(r"[^\w]", " ", text.casefold()).split()
    while words and words[0] in ("the", "a", "an", "about", "around", "some", "nearly"):
        words = words[1:]
    return " ".join(words)


def _repeats_question(span: Span, q_stems: Collection[str]) -> bool:
    """Every word of the span is in the question: it restates, it does not answer. A number
    the question does not hold is new ("12-day" answers "how many days")."""
    if any(t.like_num and t.lower_ not in q_stems for t in span):
        return False
    content = [stem(t.lower_) for t in span if t.is_alpha and t.lower_ not in STOPWORDS]
    return all(_matches(c, q_stems) for c in content)


def _matches(word_stem: str, q_stems: Collection[str]) -> bool:
    """Same stem, or one a prefix of the other ("codenamed" and "codename"): the light
    stemmer leaves such pairs apart."""
    if word_stem in q_stems:
        return True
    if len(word_stem) < _PREFIX:
        return False
    return any(
        len(q) >= _PREFIX and (q.startswith(word_stem) or word_stem.startswith(q)) for q in q_stems
    )


def _trim(span: Span) -> Span | None:
    """Drop leading determiners, possessives ("Armenia's") and pronouns, and a trailing
    possessive."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and doc[start].pos_ in ("DET", "PRON", "PUNCT", "CCONJ", "ADP", "PART"):
        start += 1
    for i in range(start + 1, end - 1):
        if doc[i].tag_ == "POS":
            start = i + 1  # "Armenia's Syunik": Syunik; whose it is was not asked
            break
    for i in range(start, end):
        if doc[i].text == "(":  # "Tarlow Group (TRLW": the name ends where the aside begins
            end = i
            break
    while end > start and (doc[end - 1].tag_ == "POS" or doc[end - 1].pos_ == "PUNCT"):
        end -= 1
    if start >= end:
        return None
    return doc[start:end]


_DASHES = frozenset(["-", "–", "—", "--"])


def _dateline_end(doc: Doc) -> int:
    """Where a dateline ends ("WASHINGTON –", "LONDON, England (Reuters) —"), 0 without
    one: the place a story was filed from is not what the story is about."""
    for i, tok in enumerate(doc[:8]):
        if tok.text in _DASHES and i > 0 and tok.whitespace_ and doc[i - 1].whitespace_:
            words = [t for t in doc[:i] if t.is_alpha]
            return i + 1 if words and words[0].is_upper and len(words[0]) > 1 else 0
    return 0


def _with_title(span: Span) -> Span:
    """A person's name with the abbreviated title just before it ("Rep. Ana Ruiz",
    "Gen. Tomas Brandt"), which the recogniser leaves out and readers expect."""
    i = span.start - 1
    if i >= 0:
        tok = span.doc[i]
        if tok.text.endswith(".") and tok.text[:1].isupper() and 3 <= len(tok.text) <= 5:
            return span.doc[i : span.end]
    return span


def _is_subject(ent: Span) -> bool:
    tok = ent.root
    while tok.dep_ in ("compound", "appos", "conj") and tok.head.i != tok.i:
        tok = tok.head
    return tok.dep_ in ("nsubj", "nsubjpass")


def _place_fit(focus: str, text: str) -> float:
    """spaCy's GPE is any country, state or city: "which country" prefers a known country
    or state (places.py), "which city" anything else."""
    if focus in _COUNTRY_FOCUS:
        return 1.0 if _known_place(text) else _OTHER_PLACE_FIT
    if focus in _CITY_FOCUS:
        return _OTHER_PLACE_FIT if _known_place(text) else 1.0
    return 1.0


def _counts(ent: Span, unit: str) -> bool:
    """The number `ent` counts `unit` ("three soldiers", "12-day"): the unit is in the span or
    is the noun the number modifies."""
    toks = [*ent, ent.root.head]
    return any(stem(t.lower_) == unit for t in toks)


def candidates(
    doc: Doc, analysis: Analysis, q_stems: Collection[str], broad: bool = False
) -> list[SpanCandidate]:
    """Spans of the parsed sentence `doc` that could answer, with their type fit. `broad`:
    also every other entity, at a low fit, for a learned model to weigh (the recogniser's
    label is often wrong on rare names, and the rules' type filter then loses the answer)."""
    anchors = [
        t.i
        for t in doc
        if t.is_alpha and t.lower_ not in STOPWORDS and _matches(stem(t.lower_), q_stems)
    ]

    def distance(span: Span) -> float:
        gaps = [
            min(abs(a - span.start), abs(a - (span.end - 1)))
            for a in anchors
            if not span.start <= a < span.end
        ]
        return float(min(gaps)) if gaps else _NO_ANCHOR

    out: list[SpanCandidate] = []
    seen: set[tuple[int, int]] = set()

    lead = _dateline_end(doc)

    def add(
        span: Span | None,
        label: str,
        fit: float,
        counts_unit: bool = True,
        flags: Collection[str] = (),
    ) -> None:
        if span is None or fit <= 0 or (span.start, span.end) in seen or span.start < lead:
            return
        if _repeats_question(span, q_stems):
            return
        seen.add((span.start, span.end))
        out.append(
            SpanCandidate(
                span.text,
                span.start_char,
                span.end_char,
                label,
                fit,
                distance(span),
                counts_unit,
                frozenset(flags) | _tree_flags(span, q_stems, focus_stem),
            )
        )

    wanted = analysis.labels
    unit = stem(analysis.focus) if analysis.kind in ("number", "date") else ""
    focus_stem = stem(analysis.focus) if analysis.focus else ""
    for ent in doc.ents:
        if analysis.kind in ("entity", "phrase") and ent.label_ not in VALUE_LABELS:
            penalty = _role_fit(ent, analysis, focus_stem, q_stems)
            if penalty < 1.0:
                # Added first, at the lower fit, so the typed pass below skips the span.
                role = "question_name" if penalty == _QUESTION_NAME_FIT else "referent"
                add(_trim(ent) or ent, ent.label_, _base_fit(ent, analysis) * penalty, True, [role])
                continue
        if wanted:
            if ent.label_ in wanted:
                rank = wanted.index(ent.label_)
                fit = _RANK_FIT[min(rank, len(_RANK_FIT) - 1)]
                flags: list[str] = []
                counted = not unit or _counts(ent, unit)
                if not counted:
                    # "How many soldiers": "three soldiers" answers, "2,000 kilometers" less so.
                    fit *= _OTHER_UNIT_FIT
                    flags.append("other_unit")
                if ent.label_ in ("GPE", "LOC"):
                    place = _place_fit(analysis.focus, ent.text)
                    fit *= place
                    if place < 1.0:
                        flags.append("other_place")
                if analysis.wh == "who" and ent.label_ in ("NORP", "GPE"):
                    # "Who threatened ...": "Azerbaijan" or "the Azerbaijanis" can be who,
                    # but a news sentence names the person or body doing it far more often;
                    # and "Azerbaijani" in "Azerbaijani President Ilham Aliyev" only says
                    # where the one who did it is from.
                    fit *= _WHO_GROUP_FIT
                    flags.append("who_group")
                    if ent.root.dep_ in ("amod", "compound", "nmod"):
                        fit *= _MODIFIER_FIT
                        flags.append("modifier")
                elif (
                    rank > 0
                    and ent.label_ in ("NORP", "GPE")
                    and ent.root.dep_ in ("amod", "compound", "nmod")
                    and ent.root.head.pos_ == "NOUN"
                ):
                    # "Armenian customs inspections" for "which company": the name only
                    # says whose inspections, and a company was asked for, not a people.
                    continue
                if (
                    analysis.wh == "how long"
                    and ent.label_ in ("DATE", "TIME")
                    and not any(stem(t.lower_) in _TIME_UNITS for t in ent)
                ):
                    # A duration ("44 days", "six weeks"), not a point in time ("September").
                    fit *= _OTHER_UNIT_FIT
                    counted = False
                    flags.append("other_unit")
                if analysis.role == "subject" and _is_subject(ent):
                    # "Which company said it will seek approval": the one that said it, a
                    # subject, not the agency approval is sought from.
                    fit *= _SAME_ROLE_FIT
                    flags.append("same_role")
                name = _trim(ent) or ent
                add(
                    _with_title(name) if ent.label_ == "PERSON" else name,
                    ent.label_,
                    fit,
                    counted,
                    flags,
                )
            elif (
                analysis.wh == "where"
                and ent.label_ in ("ORG", "PERSON", "NORP")
                and ent.root.dep_ == "pobj"
                and ent.root.head.lower_ in _PLACE_PREPOSITIONS
            ):
                # "met the minister in Saltmarsh": the small model often calls a place it
                # does not know an organisation, but "in" says it is where.
                add(_trim(ent) or ent, "GPE", _PLACE_BY_PREPOSITION_FIT, True, ["place_by_prep"])
        elif analysis.kind == "phrase" and ent.label_ not in VALUE_LABELS:
            # A name that only modifies a common noun ("Kellish" in "Kellish crown") tells
            # which kind of thing, the noun phrase is the thing.
            modifier = ent.root.dep_ in ("amod", "compound", "nmod") and (
                ent.root.head.pos_ == "NOUN"
            )
            add(
                _trim(ent),
                ent.label_,
                _MODIFIER_FIT if modifier else _PHRASE_ENTITY_FIT,
                True,
                ["modifier"] if modifier else [],
            )
    if analysis.kind == "phrase" or (wanted and wanted[0] == "WORK_OF_ART"):
        # Titles are often quoted and often missed by the recogniser.
        for m in _QUOTED.finditer(doc.text):
            if len(m.group(1).split()) <= 8:
                span = doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
                add(span, "QUOTE", _RANK_FIT[0] if wanted else _PHRASE_ENTITY_FIT, True, ["quoted"])
    if analysis.kind == "phrase":
        for chunk in doc.noun_chunks:
            if chunk.root.pos_ == "PRON" or chunk.root.ent_type_ in VALUE_LABELS:
                continue  # "it"; "Sunday" (a date is not a "what")
            trimmed = _trim(chunk)
            named = trimmed is not None and any(
                t.lower_ in analysis.proper for t in trimmed if t.pos_ == "PROPN"
            )
            # "Erdogan's statement" for a question about what Erdogan said: not the answer.
            add(
                trimmed,
                "NP",
                _PHRASE_CHUNK_FIT * (_QUESTION_NAME_FIT if named else 1.0),
                True,
                ["question_name"] if named else [],
            )
    if analysis.focus and analysis.kind in ("entity", "phrase"):
        for linked in _linked_to_focus(doc, stem(analysis.focus)):
            span = _trim(linked) or linked
            ent_label = span.root.ent_type_
            if wanted and ent_label in VALUE_LABELS and ent_label not in wanted:
                continue  # "the 2020 agreement" is no answer to "which agreement"
            # Otherwise the sentence's own link beats the recogniser's label, which is least
            # reliable on the rare names ("Syunik" as an ORG) such links introduce.
            key = (span.start, span.end)
            if key in seen:
                # Already a candidate: the link to the focus noun makes it the likelier one.
                out = [
                    c
                    if (c.start, c.end) != (span.start_char, span.end_char)
                    else replace(
                        c, fit=_FOCUS_FIT, counts_unit=True, flags=c.flags | {"focus_link"}
                    )
                    for c in out
                ]
                continue
            add(span, "FOCUS", _FOCUS_FIT, True, ["focus_link"])
    if broad:
        for ent in doc.ents:
            add(_trim(ent) or ent, ent.label_, _OTHER_LABEL_FIT)
    if analysis.plural:
        out.extend(_joined(doc, out, analysis, distance))
    return out


def _tree_flags(span: Span, q_stems: Collection[str], focus_stem: str) -> frozenset[str]:
    """Where the span sits in its sentence's dependency tree (`ROLE_FLAGS`)."""
    out: set[str] = set()
    root = span.root
    dep = root.dep_
    if dep in ("nsubj", "nsubjpass", "agent"):
        out.add("dep_subject")
    elif dep in ("dobj", "pobj", "attr", "oprd", "dative"):
        out.add("dep_object")
    elif dep in ("compound", "amod", "nmod", "poss", "npadvmod"):
        out.add("dep_modifier")
    head = root
    for _ in range(4):  # up to the verb the span belongs to ("founded by X": X <- by <- founded)
        if head.pos_ in ("VERB", "AUX") or head.head.i == head.i:
            break
        head = head.head
    if head.pos_ == "VERB" and (
        _matches(stem(head.lower_), q_stems) or _matches(stem(head.lemma_.lower()), q_stems)
    ):
        out.add("shares_verb")
    if focus_stem:
        doc = span.doc
        lo, hi = max(0, span.start - _NEAR_FOCUS), min(len(doc), span.end + _NEAR_FOCUS)
        if any(
            stem(t.lower_) == focus_stem for t in doc[lo:hi] if not span.start <= t.i < span.end
        ):
            out.add("near_focus")
    return frozenset(out)


def _base_fit(ent: Span, analysis: Analysis) -> float:
    """The type fit `candidates` gives an entity before any other evidence."""
    if analysis.labels:
        if ent.label_ not in analysis.labels:
            return 0.0
        rank = analysis.labels.index(ent.label_)
        fit = _RANK_FIT[min(rank, len(_RANK_FIT) - 1)]
        if ent.label_ in ("GPE", "LOC"):
            fit *= _place_fit(analysis.focus, ent.text)
        return fit
    return _PHRASE_ENTITY_FIT


def _descriptors(ent: Span) -> list[Token]:
    """The words the sentence describes `ent` with: its modifiers just before it ("Armenian
    Prime Minister" before "Nikol Pashinyan") and its apposition ("Peskov, the Kremlin's
    spokesman")."""
    doc = ent.doc
    out: list[Token] = []
    i = ent.start - 1
    while i >= 0 and doc[i].dep_ in ("compound", "amod", "nmod", "poss", "case", "punct"):
        if doc[i].pos_ == "PUNCT" and doc[i].text not in ("-", "’s", "'s"):
            break
        out.append(doc[i])
        i -= 1
    for tok in ent:
        for child in tok.children:
            if child.dep_ == "appos" and not ent.start <= child.i < ent.end:
                out.extend(t for t in child.subtree if not ent.start <= t.i < ent.end)
    if ent.root.dep_ == "appos" and not ent.start <= ent.root.head.i < ent.end:
        head = ent.root.head
        out.extend(t for t in head.subtree if t.i < ent.start and t.i >= head.left_edge.i)
    return out


def _role_fit(ent: Span, analysis: Analysis, focus_stem: str, q_stems: Collection[str]) -> float:
    """Below 1 when the sentence shows `ent` is what the question already names: it holds a
    proper noun of the question, or is described by the question's words but not by its
    focus noun."""
    words = [t.lower_ for t in ent if t.is_alpha]
    if any(w in analysis.proper for w in words):
        return _QUESTION_NAME_FIT
    head = ent.root.head
    if (
        ent.root.dep_ in ("compound", "amod", "poss")
        and not ent.start <= head.i < ent.end
        and head.is_alpha
        and _matches(stem(head.lower_), q_stems)
        and not _matches(stem(head.lower_), analysis.focus_words)
    ):
        # "the Zangezur corridor" for "who threatened to seize a corridor": the name says
        # which corridor, the thing the question already names.
        return _REFERENT_FIT
    desc = [stem(t.lower_) for t in _descriptors(ent) if t.is_alpha and t.lower_ not in STOPWORDS]
    if not desc or any(_matches(d, analysis.focus_words) for d in desc):
        return 1.0
    if any(_matches(d, q_stems) for d in desc):
        return _REFERENT_FIT
    return 1.0


def _linked_to_focus(doc: Doc, focus: str) -> list[Span]:
    """Names the sentence itself links to the question's focus noun: "the Harlow virus"
    (its noun modifiers), "the spokesman, Dmitri Peskov" (its apposition), "Marrow Sands
    National Park" (a name the focus noun is part of)."""
    out: list[Span] = []
    for tok in doc:
        if tok.pos_ not in ("NOUN", "PROPN") or stem(tok.lower_) != focus:
            continue
        if tok.ent_type_:
            out.append(_entity_of(doc[tok.i : tok.i + 1]))
            continue
        mods = [c for c in tok.children if c.dep_ == "compound" and c.pos_ in ("NOUN", "PROPN")]
        if mods:
            # A name ("the Zangezur corridor", "Tarlow vans") is the answer alone; a
            # common noun keeps the focus noun: "the ceasefire agreement", "a spruce tree".
            span = _trim(doc[min(m.i for m in mods) : tok.i + 1])
            if span is not None:
                named = span[:-1].root.ent_type_ or span[:-1].root.pos_ == "PROPN"
                out.append(_entity_of(span[:-1]) if named else span)
        for c in tok.children:
            if c.dep_ == "appos" and (c.ent_type_ or c.pos_ == "PROPN"):
                out.append(_entity_of(doc[c.i : c.i + 1]))
        if tok.dep_ == "appos" and (tok.head.ent_type_ or tok.head.pos_ == "PROPN"):
            out.append(_entity_of(doc[tok.head.i : tok.head.i + 1]))
    return out


def _entity_of(span: Span) -> Span:
    """The entity that `span`'s root belongs to, when it is one ("Dmitri Peskov, who ..."
    -> "Dmitri Peskov"), else the span."""
    for ent in span.doc.ents:
        if ent.start <= span.root.i < ent.end:
            return ent
    return span


def _joined(doc: Doc, found: list[SpanCandidate], analysis: Analysis, distance: Any) -> list:
    """ "Which two countries": the coordinated names ("Sweden and Finland") as one answer."""
    by_start = {c.start: c for c in found}
    out: list[SpanCandidate] = []
    for ent in doc.ents:
        first = by_start.get(ent.start_char)
        if first is None:
            continue
        conj = [
            e
            for e in doc.ents
            if e.label_ == ent.label_
            and e.start > ent.end
            and e.root.head.i == ent.root.i
            and e.root.dep_ == "conj"
        ]
        if conj:
            last = conj[-1]
            span = doc[ent.start : last.end]
            out.append(
                SpanCandidate(
                    span.text,
                    span.start_char,
                    span.end_char,
                    ent.label_,
                    first.fit,
                    distance(span),
                    flags=first.flags | {"joined"},
                )
            )
    return out
