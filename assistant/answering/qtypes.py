"""What kind of answer a question wants, and candidate answer spans of that kind in a sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.answering.sentences import STOPWORDS, stem

__all__ = [
    "QType",
    "Span",
    "candidate_spans",
    "date_specificity",
    "question_type",
    "wants_title",
]

QType = Literal["date", "number", "person", "place", "explain", "entity"]

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_DATE_RE = re.compile(
    rf"(?:\b(?:by|until|before|after|since|from|through)\s+)?"
    rf"(?:(?:early|mid|late|end of|the end of)[ -])?"
    rf"(?:{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?|{_DAY}\s+{_MONTH}(?:,?\s+{_YEAR})?|{_MONTH},?\s+{_YEAR}"
    rf"|{_MONTH}\b|\b{_YEAR}\b"
    r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    r"|\b(?:next|last|this|later this|early next)\s+(?:week|month|year|spring|summer|fall|autumn|"
    r"winter)\b|\b(?:a few|several|two|three)\s+(?:days|weeks|months)\b)",
)
_NUM_WORDS = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundred|dozens?|hundreds|thousands|millions)"
)
_NUMBER_RE = re.compile(
    rf"(?:\b(?:about|around|approximately|nearly|almost|more than|over|at least|some|up to)\s+)?"
    rf"(?:\$\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?|\b{_NUM_WORDS}\b)"
    r"(?:\s*(?:million|billion|trillion|thousand|percent|%))?"
    r"(?:[ -](?!of\b|in\b|and\b|the\b|to\b|a\b)[a-z][a-z-]+)?",
    re.IGNORECASE,
)
_MARKER_RE = re.compile(r"\[\d{1,3}\]")
_CAP = r"(?<![\w'’])(?:[A-Z][\w'’.&-]*[\w.]|[A-Z])"
_NAME_RE = re.compile(
    rf"{_CAP}(?:\s+(?:(?:of|the|de|del|da|la|le|von|van|al|bin|and|for|on)\s+)?{_CAP})*"
)
# A quotation: its opening mark not glued to a word or `=` (`id="7" title="x"` holds no
# quotation `" title="`), no markup characters inside, no space just inside the marks.
_QUOTED_RE = re.compile(r"(?<![\w=])[“\"](?!\s)([^”\"<>=]{2,60}?)(?<!\s)[”\"](?![\w=])")
_CALENDAR = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)
# Capitalised only because they open a sentence: never an answer on their own.
_OPENERS = frozenset(
    [
        "still",
        "meanwhile",
        "however",
        "now",
        "today",
        "yesterday",
        "tomorrow",
        "earlier",
        "later",
        "also",
        "instead",
        "despite",
        "although",
        "though",
        "yet",
        "since",
        "because",
        "while",
        "after",
        "before",
        "during",
        "many",
        "most",
        "some",
        "several",
        "few",
        "more",
        "other",
        "others",
        "another",
        "one",
        "two",
        "three",
        "four",
        "five",
        "first",
        "last",
        "next",
        "new",
    ]
)
_SHOW_Q = re.compile(
    r"(show|series|movie|film|song|album|book|novel|play|game|musical|documentary|title)\b",
    re.IGNORECASE,
)
_TITLE_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "in",
        "on",
        "at",
        "but",
        "and",
        "or",
        "as",
        "after",
        "before",
        "when",
        "while",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "he",
        "she",
        "they",
        "we",
        "his",
        "her",
        "their",
        "our",
        "there",
        "here",
        "if",
        "so",
        "for",
        "with",
        "by",
        "from",
        "of",
        "to",
    ]
)


def question_type(question: str) -> QType:
    q = question.casefold()
    if re.search(
        r"\b(when|what (date|day|year|month|time)|which (year|month|day|date)|"
        r"by when|how soon)\b",
        q,
    ):
        return "date"
    if re.search(
        r"\b(how (many|much|long|old|far|big|large|tall|often)|what (number|"
        r"percentage|share|amount|price|age)|what percent)\b",
        q,
    ):
        return "number"
    if re.search(
        r"\bwhy\b|\bhow (did|does|do|can|could|will|would|is|are|was|were|has|have)\b"
        r"|\bwhat (happened|caused|led)\b|\bexplain\b",
        q,
    ):
        return "explain"
    if re.search(
        r"\b(who|whom|whose)\b|\bwhich (person|man|woman|leader|official|president|"
        r"minister|player|athlete|star|celebrity|singer|actor|actress|author|ceo)\b",
        q,
    ):
        return "person"
    if re.search(
        r"\bwhere\b|\b(which|what) (country|countries|state|city|region|province|"
        r"continent|nation|island|area|place|town|capital)\b",
        q,
    ):
        return "place"
    return "entity"


@dataclass(frozen=True)
class Span:
    text: str
    start: int  # in the sentence
    end: int
    kind: str  # date | number | name | quoted | phrase


def _strip_leading_function_words(text: str, start: int) -> tuple[str, int]:
    parts = text.split(" ")
    while len(parts) > 1 and parts[0].casefold() in _TITLE_WORDS:
        start += len(parts[0]) + 1
        parts = parts[1:]
    return " ".join(parts), start


def candidate_spans(sentence: str, qtype: QType, question_stems: set[str]) -> list[Span]:
    """Spans of `sentence` that could be the short answer, not repeating the question."""
    spans: list[Span] = []

    def novel(text: str) -> bool:
        toks = [stem(t) for t in re.findall(r"[\w'’-]+", text)]
        content = [t for t in toks if t not in STOPWORDS]
        return bool(content) and not all(t in question_stems for t in content)

    if qtype == "date":
        for m in _DATE_RE.finditer(sentence):
            if novel(m.group(0)):
                spans.append(Span(m.group(0), m.start(), m.end(), "date"))
    if qtype == "number":
        # "[5]" in an article is a footnote or a planted citation marker, never a quantity.
        markers = [(mk.start(), mk.end()) for mk in _MARKER_RE.finditer(sentence)]
        for m in _NUMBER_RE.finditer(sentence):
            txt = m.group(0).strip()
            if any(a <= m.start() < b for a, b in markers):
                continue
            if novel(txt) and not re.fullmatch(_YEAR, txt):
                spans.append(Span(txt, m.start(), m.start() + len(txt), "number"))
    for m in _QUOTED_RE.finditer(sentence):
        if novel(m.group(1)) and len(m.group(1).split()) <= 6:
            spans.append(Span(m.group(0), m.start(), m.end(), "quoted"))
    for m in _NAME_RE.finditer(sentence):
        text, start = _strip_leading_function_words(m.group(0), m.start())
        text = re.sub(r"['’]s?$", "", text)  # possessive: "Italy’s" -> "Italy"
        toks = text.split()
        # Weekdays and months are dates, not names; drop them from the ends of a name.
        while toks and toks[-1].casefold().strip(".,") in _CALENDAR:
            toks.pop()
        while toks and toks[0].casefold().strip(".,") in _CALENDAR:
            start += len(toks[0]) + 1
            toks.pop(0)
        text = " ".join(toks)
        if not text or text.casefold() in _TITLE_WORDS or not novel(text):
            continue
        if len(toks) == 1 and (toks[0].casefold() in _OPENERS or toks[0].endswith("ly")):
            continue
        letters = [c for c in text if c.isalpha()]
        if len(letters) > 4 and all(c.isupper() for c in letters) and start == 0:
            continue  # a dateline such as "WASHINGTON", not the answer
        spans.append(Span(text, start, start + len(text), "name"))
    if qtype in ("entity", "place", "person"):
        # Lower-case noun phrases ("climate change", "baby wipes"): runs of content words.
        for m in re.finditer(r"(?:\b[a-z][a-z-]{2,}\b(?:\s+|$)){1,3}", sentence):
            text = m.group(0).strip()
            toks = text.split()
            while toks and toks[0] in STOPWORDS:
                toks = toks[1:]
            while toks and toks[-1] in STOPWORDS:
                toks = toks[:-1]
            if not toks or any(t in STOPWORDS for t in toks):
                continue
            text = " ".join(toks)
            start = sentence.find(text, m.start())
            if novel(text):
                spans.append(Span(text, start, start + len(text), "phrase"))
    return spans


def date_specificity(text: str) -> float:
    """1.0 for a full date, less for a month and day, a month and year, a bare year."""
    has_year = bool(re.search(_YEAR, text))
    has_day = bool(re.search(rf"{_MONTH}\s+{_DAY}\b|\b{_DAY}\s+{_MONTH}", text))
    if has_day and has_year:
        return 1.0
    if has_day:
        return 0.85
    if has_year and re.search(_MONTH, text):
        return 0.75
    return 0.5


def wants_title(question: str) -> bool:
    """Questions about a show, film, book... are usually answered by a quoted title."""
    return bool(_SHOW_Q.search(question))
