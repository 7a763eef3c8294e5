"""Question analysis from the parse: the wh-word, the focus noun and the entity types wanted.

"Which country ..." wants a GPE, "who ..." a PERSON (then an ORG or NORP), "how much ..." a
MONEY, QUANTITY or PERCENT, "why ..." a clause. The types are spaCy's OntoNotes labels, so a
candidate span's type is the trained recogniser's, not a guess from capital letters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from importlib.resources import files
from typing import TYPE_CHECKING, Literal

from assistant import nlp
from assistant.answering.alignment import WH_TAGS, Slot, slot_of
from assistant.answering.lexicon import LEXICON
from assistant.answering.sentences import STOPWORDS, stem

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

__all__ = ["FOCUS_TYPES", "Analysis", "analyse", "split_parts"]

# What the answer is: a typed entity, a noun phrase of no fixed type, or a clause (why/how).
Kind = Literal["date", "number", "entity", "phrase", "explain", "choice"]


# Focus noun (lower case, singular) -> wanted labels, best first: a data file
# (data/focus_types.json). Nouns not listed make the question a "phrase" question: any
# entity or noun chunk may answer.
def _focus_types() -> dict[str, tuple[str, ...]]:
    path = files("assistant.answering") / "data" / "focus_types.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return {noun: tuple(g["labels"]) for g in data["groups"] for noun in g["nouns"]}


FOCUS_TYPES: dict[str, tuple[str, ...]] = _focus_types()
_PERSON = ("PERSON",)
_WHO = ("PERSON", "ORG", "NORP", "GPE")
_PLACE = ("GPE", "LOC", "FAC")

# "How X" -> labels ("how long" is a duration: OntoNotes tags "44 days" as DATE) and the
# other word lists: data/lexicon.json.
_HOW = LEXICON.how
_MONEY = ("MONEY", "CARDINAL")
_MEASURE = ("QUANTITY", "CARDINAL", "MONEY", "PERCENT")
_MONEY_WORDS = LEXICON.money_words
_NAME_LABELS = frozenset(
    ["PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "WORK_OF_ART", "PRODUCT", "LAW"]
)
_GENERIC_NOUNS = LEXICON.generic_nouns
_EVENT_VERBS = LEXICON.event_verbs
_ACTION_VERBS = LEXICON.action_verbs
_BE = frozenset(["is", "are", "was", "were", "'s"])
# "How long did/will ... last" asks for a time; "how long is ..." for a length.
_DO_WILL = frozenset(["did", "does", "do", "will", "would", "has", "have", "had", "can"])
_TIME_UNITS = LEXICON.time_units
_DATE = frozenset({"DATE", "TIME"})
_NUMBER = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})


@dataclass(frozen=True)
class Analysis:
    """What a question asks for. `labels` are spaCy entity labels, best first."""

    wh: str  # who, when, where, which, what, why, how, how many, ... ("" for none)
    # The focus noun ("country" in "which country", "soldiers" in "how many soldiers"), or "".
    focus: str
    labels: tuple[str, ...]
    kind: Kind
    plural: bool = False  # "which two countries": coordinated names answer together
    names: tuple[str, ...] = ()  # the named things the question is about ("Turkey", "Aras")
    # The question's proper nouns, lower case ("papikyan" in "when Papikyan visited"): a span
    # holding one names what the question already knows, not what it asks for.
    proper: frozenset[str] = frozenset()
    # Stems of the focus noun and the words before it ("which Turkish president"): what the
    # answer is described as, unlike the question's other words ("the Armenian prime minister").
    focus_words: frozenset[str] = frozenset()
    # "Is it liberated or occupied?": the alternatives the question offers.
    alternatives: tuple[str, ...] = ()
    # "subject" when the wh-phrase is its clause's subject ("which company said ..."): the
    # answer is then most often a subject in the sentence too.
    role: str = ""
    # Where the wh-phrase hangs: the word it depends on and how (alignment.py's features).
    slot: Slot = field(default_factory=Slot)


def _kind(labels: tuple[str, ...]) -> Kind:
    if not labels:
        return "phrase"
    if labels[0] in _DATE:
        return "date"
    if labels[0] in _NUMBER:
        return "number"
    return "entity"


def _singular(word: str) -> str:
    w = word.casefold()
    if w in FOCUS_TYPES:
        return w
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", "")):
        if w.endswith(suffix) and w[: -len(suffix)] + repl in FOCUS_TYPES:
            return w[: -len(suffix)] + repl
    return w


def analyse(question: str) -> Analysis:
    """The wh-word, focus noun and wanted labels of `question`, from its parse."""
    doc = nlp.parse(question.strip())
    # "the Harbor Bridge" is named "Harbor Bridge": headlines and sentences drop the article.
    names = tuple(
        (e[1:] if e[0].pos_ == "DET" and len(e) > 1 else e).text
        for e in doc.ents
        if e.label_ in _NAME_LABELS
    )
    proper = frozenset(
        t.lower_ for t in doc if t.pos_ == "PROPN" and t.is_alpha and t.lower_ not in STOPWORDS
    )
    skip = _subordinate_wh(doc)
    analysis = _analyse(doc, skip)
    if not analysis.wh:
        alternatives = _alternatives(doc)
        if alternatives:
            analysis = Analysis("", "", (), "choice", alternatives=alternatives)
    return replace(
        analysis,
        names=names,
        proper=proper,
        focus_words=_focus_words(doc, analysis.focus),
        role=_role(doc, analysis),
        slot=slot_of(doc, skip),
    )


def _role(doc: Doc, analysis: Analysis) -> str:
    """ "subject" when the wh-word or its focus noun is a subject, else ""."""
    for tok in doc:
        if tok.lower_ in ("who", "which", "what") or (
            analysis.focus and _singular(tok.text) == analysis.focus
        ):
            if tok.dep_ in ("nsubj", "nsubjpass") or (
                tok.dep_ == "det" and tok.head.dep_ in ("nsubj", "nsubjpass")
            ):
                return "subject"
            if tok.lower_ not in ("who", "which", "what"):
                return ""
    return ""


def _alternative(tok: Token) -> str:
    """One side of an "A or B" choice: a preposition's object ("in Paris"), else the word
    with its compound and adjective modifiers."""
    if tok.pos_ == "ADP":
        objs = [c for c in tok.children if c.dep_ == "pobj"]
        if not objs:
            return ""
        tok = objs[0]
    mods = [c for c in tok.children if c.dep_ in ("compound", "amod") and c.i < tok.i]
    start = min([m.i for m in mods] + [tok.i])
    return tok.doc[start : tok.i + 1].text


def _alternatives(doc: Doc) -> tuple[str, ...]:
    """ "Is the territory liberated or occupied?": ("liberated", "occupied"). Only for
    yes/no questions (opening with a verb), where the "or" is what is asked."""
    if not len(doc) or doc[0].pos_ not in ("AUX", "VERB"):
        return ()
    for tok in doc:
        if tok.lower_ == "or" and tok.dep_ == "cc":
            conj = [c for c in tok.head.children if c.dep_ == "conj"]
            if conj:
                pair = (_alternative(tok.head), _alternative(conj[0]))
                if all(pair):
                    return pair
    return ()


def split_parts(question: str) -> list[str]:
    """A question that asks two things ("How many troops were deployed, and for how many
    years?"; "Where did he go ...; where did he meet ...?") as its two questions; a
    one-part question as itself alone. The second part is read on its own, so an
    elliptical one ("and for how many years?") keeps the first part's words after it."""
    doc = nlp.parse(question.strip())
    toks = list(doc)
    for i, tok in enumerate(toks):
        joint = tok.text == ";" or (tok.lower_ == "and" and i > 0 and toks[i - 1].text == ",")
        if not joint or i < 3:
            continue
        rest = doc[i + 1 :]
        if any(t.tag_ in ("WDT", "WP", "WRB", "WP$") for t in rest[:4]):
            first = doc[: i - 1 if toks[i - 1].text == "," else i].text.strip()
            second = rest.text.strip()
            if not any(t.pos_ == "VERB" for t in rest):
                second = f"{second.rstrip('?')} {first}?"
            if not any(t.tag_ in ("WDT", "WP", "WRB", "WP$") for t in doc[:i]):
                return [question]  # "X happened; what ...?": one question with a preamble
            return [first.rstrip(",;") + "?", second]
    return [question]


def _focus_words(doc: Doc, focus: str) -> frozenset[str]:
    """Stems of the words from the wh-word to the focus noun ("which Turkish president")."""
    if not focus:
        return frozenset()
    for wh in doc:
        if wh.lower_ not in ("which", "what", "whose", "many", "much"):
            continue
        for tok in doc[wh.i + 1 : wh.i + 8]:
            if _singular(tok.text) == focus:
                return frozenset(
                    stem(t.lower_)
                    for t in doc[wh.i + 1 : tok.i + 1]
                    if t.is_alpha and t.lower_ not in STOPWORDS
                )
    return frozenset([stem(focus)])


def _asks_action(what: Token) -> bool:
    """Whether "what" is the object of doing or saying: "What did she say?", "What will the
    council do?", "What did they vote to do?" (the parser hangs "what" on "vote" there), but
    not "What did they say caused the delay?" or "What did the report say was the cause?",
    which ask for the thing in the clause that follows."""
    if what.dep_ not in ("dobj", "ccomp"):
        return False
    verb = what.head
    clauses = [c for c in verb.children if c.dep_ in ("xcomp", "ccomp")]
    if verb.lower_ in _ACTION_VERBS:
        return not clauses and verb.dep_ not in ("csubj", "ccomp")
    return any(
        c.dep_ == "xcomp"
        and c.lower_ in _ACTION_VERBS
        and not any(g.dep_ in ("dobj", "ccomp", "xcomp") for g in c.children)
        for c in clauses
    )


def _subordinate_wh(doc: Doc) -> frozenset[int]:
    """Indices of wh-words that only open a clause of a question asked by a later wh-word:
    "Fans cheered this week **when** the trailer came out for which film?", "**In what** may
    be the largest recall ever, how many cars ...?", "**When** the weather warms up, it's
    time for a cookout! How many hot dogs ...?", "A balloon, **which** officials said was
    spying, was shot down off which state?". A wh-word is subordinate when a later one
    follows and it stands in a sentence that does not end with "?" while a later one does,
    or it opens a clause inside its sentence (not its first word, bar a preposition):
    "when", "where", "how", a "what" followed by a verb, a "which" or "who" after a comma.
    "Which actor voices Mario in the film, which was released ...?" keeps its first."""
    whs = [t for t in doc if t.tag_ in WH_TAGS and t.lower_ != "that"]
    out: set[int] = set()
    for n, tok in enumerate(whs):
        later = whs[n + 1 :]
        if not later:
            break
        sent = tok.sent
        asks = sent[-1].text == "?" or sent.text.rstrip().endswith("?")
        if not asks and any(w.sent.text.rstrip().endswith("?") for w in later):
            out.add(tok.i)
            continue
        # A preposition may come first ("In what year ...", "Until when ..."): tagged IN
        # whether the small model reads it as a preposition or a conjunction.
        start = sent.start + (1 if doc[sent.start].tag_ == "IN" else 0)
        nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
        low = tok.lower_
        opens_clause = (
            (
                low in ("when", "where", "how")
                and not (low == "how" and nxt is not None and nxt.lower_ in _HOW)
            )
            or (low == "what" and nxt is not None and nxt.pos_ in ("AUX", "VERB", "PRON", "DET"))
            or (low in ("which", "who", "whom") and tok.i > 0 and doc[tok.i - 1].text == ",")
        )
        if opens_clause and tok.i > start:
            out.add(tok.i)
        elif low == "what" and opens_clause and tok.i == start and start > sent.start:
            out.add(tok.i)  # "In what may be the largest ..., how many ...?"
    return frozenset(out)


def _analyse(doc: Doc, skip: frozenset[int] = frozenset()) -> Analysis:
    toks = list(doc)
    for i, tok in enumerate(toks):
        low = tok.lower_
        if i in skip:
            continue
        if (
            tok.head.dep_ == "relcl"
            and tok.i < tok.head.i
            and low in ("who", "which", "whom")
            and not (i + 1 < len(toks) and toks[i + 1].pos_ in ("NOUN", "ADJ"))
        ):
            # "31 men who were ...": a relative pronoun, not the question's wh-word ("stock
            # which condiment" is a question all the same).
            continue
        if low in ("why",):
            return Analysis("why", "", (), "explain")
        if low == "what" and i + 1 < len(toks) and toks[i + 1].lower_ in _EVENT_VERBS:
            return Analysis("what happened", "", (), "explain")  # "what happened/caused ..."
        if low == "what" and _asks_action(tok):
            # "What did the council vote to do?", "What did she say?": an action or a
            # statement, which the closest passages answer; a value picked from them would
            # be a part of the answer at best.
            return Analysis("what ... do", "", (), "explain")
        if low == "how":
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is not None and (nxt.lower_ in _HOW or nxt.pos_ in ("ADJ", "ADV")):
                # "how wide", "how deep": any measure the table does not list is a quantity.
                labels = _HOW.get(nxt.lower_, _MEASURE)
                unit = ""
                if nxt.lower_ == "many" and nxt.head.pos_ == "NOUN":
                    # "how many soldiers": the counted noun ("how much territory" names what
                    # is measured, rarely the unit the figure comes in).
                    unit = nxt.head.lower_
                if nxt.lower_ == "long" and not any(t.lower_ in _DO_WILL for t in toks):
                    # "How long is the border?" is a length; "how long did it last?" a time.
                    labels = ("QUANTITY", "CARDINAL", "DATE")
                if stem(unit) in _TIME_UNITS:
                    # "How many days ...": OntoNotes tags "12 days" as a DATE.
                    labels = ("DATE", "CARDINAL", "TIME")
                return Analysis(f"how {nxt.lower_}", unit, labels, _kind(labels))
            return Analysis("how", "", (), "explain")
        if low == "when":
            return Analysis("when", "", ("DATE", "TIME"), "date")
        if low == "where":
            return Analysis("where", "", _PLACE, "entity")
        if low in ("who", "whom", "whose"):
            focus = _described_as(tok)
            if focus:
                # "Who is the spokesman for ...?" asks what "Which spokesman ...?" asks.
                labels = FOCUS_TYPES.get(_singular(focus), ()) or _WHO
                return Analysis("who", _singular(focus), labels, "entity")
            return Analysis("who", "", _WHO, "entity")
        if low in ("which", "what") and tok.tag_ in ("WDT", "WP"):
            focus = _focus(tok)
            if focus.casefold() == "name" and _owner_is_person(tok):
                # "What is her name?": a person's.
                return Analysis(low, "person", _PERSON, "entity")
            if focus.casefold() == "one":
                # "Among the companies ..., which one": the plural noun it picks from.
                focus = _earlier_plural(toks[:i]) or focus
            if focus:
                labels = FOCUS_TYPES.get(_singular(focus), ())
                plural = _singular(focus) != focus.casefold() and focus.casefold().endswith("s")
                return Analysis(low, _singular(focus), labels, _kind(labels), plural)
            if low == "what" and any(t.lower_ in _MONEY_WORDS for t in toks[i + 1 :]):
                # "What did the repair cost?", "What was she paid?"
                return Analysis(low, "", _MONEY, "number")
            return Analysis(low, "", (), "phrase")
    return Analysis("", "", (), "phrase")


def _described_as(who: Token) -> str:
    """The common noun a "who" is equated with ("Who is the spokesman ...?", "Who was the
    first player to ...?"), else "" (a name or a pronoun: "Who is Gabriel Attal?" asks for
    a description, not an entity)."""
    verb = who.head
    if who.dep_ not in ("nsubj", "attr") or verb.lower_ not in _BE:
        return ""
    other = [c for c in verb.children if c.dep_ in ("nsubj", "attr") and c.i != who.i]
    return other[0].text if other and other[0].pos_ == "NOUN" else ""


def _owner_is_person(wh: Token) -> bool:
    """ "What is her name", "what was his name": the name asked for is a person's."""
    return any(t.lower_ in ("her", "his") for t in wh.doc[wh.i + 1 : wh.i + 5])


def _earlier_plural(toks: list[Token]) -> str:
    """The plural noun the wh-word picks from ("among the companies"), else the last one
    before it, singular, or ""."""
    for tok in toks:
        if tok.tag_ == "NNS" and tok.head.lower_ in ("among", "of"):
            return _singular(tok.text)
    for tok in reversed(toks):
        if tok.tag_ == "NNS":
            return _singular(tok.text)
    return ""


def _of_object(tok: Token) -> Token | None:
    """The noun after "of" among `tok`'s children ("which of the countries", "kind of tree")."""
    for child in tok.children:
        if child.dep_ == "prep" and child.lower_ == "of":
            objs = [c for c in child.children if c.dep_ == "pobj" and c.pos_ in ("NOUN", "PROPN")]
            if objs:
                return objs[0]
    return None


# Words that end the noun phrase after "which" whatever the tagger made of the words before.
_PHRASE_ENDS = frozenset(["AUX", "ADP", "PUNCT", "DET", "PRON", "PART", "SCONJ", "CCONJ", "ADV"])
_FINITE = frozenset(["VBD", "VBZ", "VBP", "MD"])


def _after_which(wh: Token) -> Token | None:
    """The last word of the phrase right after "which", whatever its tag: a question's
    "which" is followed by its noun, and the small model often tags that noun, or a
    participle before it, as a verb or an adjective ("which racquet sport has", "which
    streaming platform", "which mammal has"). A finite verb after the first word ends the
    phrase ("which awards honor ...")."""
    last: Token | None = None
    for tok in wh.doc[wh.i + 1 : wh.i + 5]:
        if tok.pos_ in _PHRASE_ENDS or (last is not None and tok.tag_ in _FINITE):
            break
        last = tok
    return last


def _focus(wh: Token) -> str:
    """The noun a "which"/"what" asks about: "which country", "which of the countries",
    "what kind of tree", "what is the capital of ...". Read off the dependency tree first;
    the small model parses questions less well than statements, so the noun phrase right
    after the wh-word is the fallback."""
    noun: Token | None = _of_object(wh)
    if noun is None and wh.dep_ == "det" and wh.head.pos_ in ("NOUN", "PROPN"):
        noun = wh.head
    if noun is None:
        # "which Russian-led alliance did ...": the last noun of the run after the wh-word.
        run: Token | None = None
        for tok in wh.doc[wh.i + 1 :]:
            if tok.tag_ == "POS" and run is not None:
                break  # "which famous singer's concert": the singer's
            # The small model tags a participle like "troubled" VBD and "widely" ADV in
            # "which widely praised festival": modifiers all the same.
            if tok.pos_ in ("NOUN", "PROPN", "ADJ", "NUM", "ADV") or tok.tag_ in (
                "HYPH",
                "VBN",
                "VBD",
            ):
                if tok.pos_ == "NOUN":
                    run = tok
                continue
            break
        noun = run
    if noun is None and wh.lower_ == "which":
        noun = _after_which(wh)
    if noun is None and wh.dep_ in ("attr", "nsubj") and wh.head.lower_ in _BE:
        # "What is the capital of France?": the copula's other argument.
        for tok in wh.head.children:
            if tok.i != wh.i and tok.dep_ in ("attr", "nsubj") and tok.pos_ == "NOUN":
                noun = tok
                break
    if noun is None:
        return ""
    owners = [c for c in noun.children if c.dep_ == "poss" and c.pos_ == "NOUN" and c.i > wh.i]
    if owners:
        noun = owners[0]  # "which singer's concert": the singer is asked for
    if _singular(noun.text) not in FOCUS_TYPES:
        # "what kind of tree", "the name of the exclave": the noun after "of" when it is
        # typed, or whatever it is after "kind of", "type of", "name of".
        inner = _of_object(noun)
        if inner is not None and (
            _singular(inner.text) in FOCUS_TYPES or noun.lower_ in _GENERIC_NOUNS
        ):
            return inner.text
    return noun.text
