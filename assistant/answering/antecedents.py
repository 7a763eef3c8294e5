"""What a follow-up's pronoun refers to: the earlier mentions, scored by salience.

Every earlier mention that could be the referent (each earlier turn's answer, the entities
and noun phrases of its question) is a `Mention` with named features: its grammatical role
in its question (an answer takes the role of the wh-phrase it answers), how many turns back
it is, whether it is an answer the answerer stated or only guessed, whether an earlier
pronoun of the same kind already stood for it, whether it was named in more than one turn.
A pronoun takes the best-scoring mention whose type agrees with it (he/she: a person; it: a
thing; they: a plural or a group; there: a place; then: a time). The type of a name read
only by the entity recogniser is soft evidence (it types rare names wrongly), so a mismatch
there costs points instead of ruling the mention out; a type read from a head noun ("the
prime minister"), from what a question asked for ("who", "which airline") or from an
earlier pronoun is hard evidence.

When the best two referents are too close to tell apart, or the best one is an answer the
answerer did not state, `choose` says it is unsure, and the resolver reads the follow-up
together with the previous question rather than substituting a guess.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from assistant import nlp
from assistant.answering.question import FOCUS_TYPES, analyse
from assistant.answering.spans import VALUE_LABELS
from assistant.conversation import Turn

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = [
    "PERSON_PRON",
    "PLURAL_PRON",
    "THING_PRON",
    "Choice",
    "Mention",
    "agrees",
    "answer_text",
    "choose",
    "choose_all",
    "mentions",
    "plain",
    "question_mentions",
    "reliable_answer",
    "wh_phrase",
]

Role = Literal["subject", "object", "oblique", "modifier"]

PERSON_PRON = frozenset(["he", "she", "him", "her", "his", "hers", "himself", "herself"])
PLURAL_PRON = frozenset(["they", "them", "their", "theirs", "themselves"])
THING_PRON = frozenset(["it", "its", "itself"])
READ_TOGETHER = "read together with:"

# ---------------------------------------------------------------- the weights, and why
# The previous question's subject is its topic, the likeliest thing a follow-up goes on
# about; its object next; a phrase after a preposition ("in Fiji", "according to a filing")
# is background. A name inside a longer phrase ("Storm Ciarán" in "the winds of Storm
# Ciarán") counts one point less than that phrase's role (at least MODIFIER_FLOOR).
ROLE_WEIGHT: dict[str, float] = {"subject": 3.0, "object": 2.0, "oblique": 1.0}
MODIFIER_FLOOR = 0.5
# The answer the user has just read is new and in focus; asked about next as often as the
# question's subject when it is a subject itself ("Which airline ...? ... its fleet"), less
# when it answered an object or an adverbial ("Whom did he replace? ... How old is he?").
ANSWER_STATED = 2.0
# A candidate the answerer did not dare state is wrong about half the time: it competes for
# the role its question gives it, but is never substituted (see `Choice.unsure`) unless
# the recogniser reads it as the kind of thing the question asked for ("Apple" for "which
# company", a person's name for "who"): then it is substituted, with less weight than a
# stated answer.
ANSWER_GUESSED = 0.0
ANSWER_VERIFIED = 1.0
# A pronoun chain keeps its referent: "Whom did he replace?" then "How old is he?".
CONTINUED = 3.0
# The same role of the same verb: "Which coach also backed him?" after "Which politician
# backed Donald Trump?" is Trump, not the politician who answered.
PARALLEL = 3.0
# Named in more than one turn (as asked or answered): the conversation's topic.
REPEATED = 1.0
# A name over a description of the same thing ("Tomas Ruud" over "the mayor").
NAMED = 0.5
# Each turn further back: the nearest turn first, the older ones still reachable.
TURN_BACK = 2.5
# A name whose only type is the recogniser's and disagrees with the pronoun ("Nikki Haley"
# read as an organisation, "Rite Aid" as a person): kept, a point down.
SOFT_MISMATCH = 1.0
# "they" for a single organisation ("the FAA ... they") is usual but weaker than a plural.
GROUP_FOR_THEY = 1.0
# Two different referents closer than this are a coin toss: read together instead.
MARGIN = 0.5

_PLACE_LABELS = frozenset(["GPE", "LOC", "FAC"])
_NAME_LABELS = frozenset(
    ["PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"]
)
_THING_LABELS = _NAME_LABELS - {"PERSON", "NORP"}
_GROUP_LABELS = frozenset(["ORG", "NORP"])
_WH = frozenset(["who", "whom", "whose", "what", "which", "when", "where", "why", "how"])
_AUX = frozenset(
    [
        "do",
        "does",
        "did",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "shall",
        "may",
        "might",
        "must",
    ]
)
_BE = frozenset(["is", "was", "are", "were"])
_FINITE = frozenset(["VBD", "VBZ", "VBP", "MD"])
_MARKER = re.compile(r"\s*\[\d{1,3}\]")
_POSSESSIVE = re.compile(r"\s*['’]s?$")


@dataclass(frozen=True)
class Mention:
    """An earlier mention a pronoun may refer to, with the features it is scored on."""

    text: str
    label: str  # an entity label, or PERSON/THING/PLURAL/PLACE for a noun phrase's head
    plural: bool = False
    named: bool = False  # a name (an entity or a proper noun), not a description
    typed: bool = True  # hard type evidence; False: only the recogniser's label of a name
    role: Role = "oblique"
    weight: float = 1.0  # the role's weight (a modifier's is its phrase's minus one)
    back: int = 0  # turns back (0: the previous turn)
    answer: bool = False
    stated: bool = True  # an answer the answerer stated (a question's mention: True)
    verified: bool = False  # a guessed answer whose recognised type is what was asked
    continued: frozenset[str] = frozenset()  # pronoun classes that stood for it earlier
    parallel: bool = False
    turns: int = 1  # in how many turns it was named

    @property
    def key(self) -> str:
        """One referent's identity across turns: a name by its last word ("Attal")."""
        words = re.findall(r"[\w-]+", self.text.lower())
        words = [w for w in words if w not in ("the", "a", "an")]
        if not words:
            return self.text.lower()
        return words[-1] if self.named else " ".join(words)


@dataclass(frozen=True)
class Choice:
    """The chosen referent, or None; `unsure` when it should not be substituted."""

    mention: Mention | None
    score: float = 0.0
    unsure: bool = False


# ---------------------------------------------------------------- agreement and score
def _pron_class(pron: str) -> str:
    if pron in PERSON_PRON:
        return "he"
    if pron in PLURAL_PRON:
        return "they"
    if pron in THING_PRON:
        return "it"
    return pron


def agrees(pron: str, m: Mention) -> bool:
    """Whether the mention's type is what the pronoun stands for."""
    kind = _pron_class(pron)
    if kind == "he":
        return m.label == "PERSON" and not m.plural
    if kind == "they":
        return m.plural or m.label in _GROUP_LABELS or m.label == "PLURAL"
    if kind == "there":
        return m.label in _PLACE_LABELS or m.label == "PLACE"
    if kind == "then":
        return m.label in ("DATE", "TIME")
    return not m.plural and (m.label in _THING_LABELS or m.label == "THING")


def _fit(pron: str, m: Mention) -> float | None:
    """0 when the types agree, a penalty when only the recogniser's label of a name
    disagrees, None when the mention cannot be meant."""
    kind = _pron_class(pron)
    if m.continued and kind in m.continued:
        return 0.0  # an earlier pronoun of the same kind already stood for it
    if agrees(pron, m):
        if kind == "they" and not m.plural and m.label != "PLURAL":
            return -GROUP_FOR_THEY
        return 0.0
    # ("Russian" is an adjective, not a name that could be mistyped; "Marta Oyelaran" read
    # as a nationality is.)
    mistypable = m.label != "NORP" or len(m.text.split()) > 1
    if not m.typed and m.named and mistypable and kind in ("he", "it", "there"):
        if kind == "it" and m.plural:
            return None
        return -SOFT_MISMATCH
    return None


def score(pron: str, m: Mention) -> float | None:
    """The mention's salience for `pron` (None: its type rules it out)."""
    fit = _fit(pron, m)
    if fit is None:
        return None
    s = m.weight + fit - TURN_BACK * m.back
    if m.answer:
        s += ANSWER_STATED if m.stated else ANSWER_VERIFIED if m.verified else ANSWER_GUESSED
    if _pron_class(pron) in m.continued:
        s += CONTINUED
    if m.parallel:
        s += PARALLEL
    if m.turns > 1:
        s += REPEATED
    if m.named:
        s += NAMED
    return s


def choose(pron: str, candidates: Sequence[Mention], taken: frozenset[str] = frozenset()) -> Choice:
    """The best-scoring referent of `pron` among `candidates` (none of the `taken` keys);
    unsure when a different referent scores within `MARGIN` of it, or it is an answer the
    answerer only guessed."""
    scored = [
        (s, m) for m in candidates if m.key not in taken and (s := score(pron, m)) is not None
    ]
    if not scored:
        return Choice(None)
    scored.sort(key=lambda x: -x[0])
    best_score, best = scored[0]
    rival = next((s for s, m in scored[1:] if m.key != best.key), None)
    unsure = (rival is not None and best_score - rival < MARGIN) or (
        best.answer and not best.stated and not best.verified
    )
    return Choice(best, best_score, unsure)


def choose_all(prons: Sequence[tuple[str, Sequence[Mention]]]) -> list[Choice]:
    """Referents for several pronouns of one question: pronouns of different kinds ("When
    did he win it?") never share one, and of the orders tried (as asked, and reversed) the
    one with the higher total score wins."""
    best: list[Choice] = []
    best_total = float("-inf")
    orders = [list(range(len(prons)))]
    if len(prons) > 1:
        orders.append(orders[0][::-1])
    for order in orders:
        picked: dict[int, Choice] = {}
        used: dict[str, str] = {}
        for n in order:
            pron, candidates = prons[n]
            kind = _pron_class(pron)
            taken = frozenset(k for k, c in used.items() if c != kind)
            choice = choose(pron, candidates, taken)
            picked[n] = choice
            if choice.mention is not None:
                used.setdefault(choice.mention.key, kind)
        total = sum(c.score for c in picked.values() if c.mention is not None)
        if total > best_total:
            best_total, best = total, [picked[n] for n in range(len(prons))]
    return best


# ---------------------------------------------------------------- a question's mentions
def plain(question: str) -> str:
    """A shown standalone question without its "read together" note."""
    head, sep, _ = question.partition(f" ({READ_TOGETHER}")
    return head if sep else question


def wh_phrase(doc: Doc) -> set[int]:
    """Token indices of the question's fronted wh-phrase: an optional preposition, the
    wh-word and what follows it up to the first finite verb ("To which older Boeing jets",
    "How many passengers and crew", "Which baking brand"). Read off the surface because the
    small parser often misparses a question's fronted phrase."""
    out: set[int] = set()
    i = 0
    if len(doc) > 1 and doc[0].pos_ in ("ADP", "PART") and doc[1].lower_ in _WH:
        out.add(0)
        i = 1
    if i >= len(doc) or doc[i].lower_ not in _WH:
        return out
    out.add(i)
    if doc[i].lower_ in ("which", "what", "whose", "how"):
        for tok in doc[i + 1 :]:
            if tok.tag_ in _FINITE or tok.lower_ in _AUX or tok.is_punct:
                break
            if tok.pos_ == "PRON":
                break
            out.add(tok.i)
    return out


def _after_wh(doc: Doc, wh: set[int]) -> tuple[int, bool]:
    """Where the clause after the wh-phrase starts, and whether the wh-phrase is its
    subject: no auxiliary inverted before another subject ("Which agency banned ...", "Who
    was picked ...", "How many passengers were aboard ..."), as opposed to "Which film was
    [Nolan] nominated for", "Whom did [he] replace"."""
    start = max(wh) + 1 if wh else 0
    if not wh or start >= len(doc):
        return start, False
    first = doc[start]
    if first.lower_ in _AUX and first.pos_ in ("AUX", "VERB"):
        nxt = doc[start + 1] if start + 1 < len(doc) else None
        return start, (
            nxt is None
            or nxt.is_punct
            or nxt.pos_ in ("ADP", "ADV", "ADJ", "PART")
            or (nxt.pos_ in ("VERB", "AUX") and nxt.tag_ in ("VBN", "VBG"))
        )
    return start, True


def _subject_span(doc: Doc, wh: set[int]) -> tuple[int, int] | None:
    """The clause's subject after an inverted auxiliary ("did [the FAA] expand", "was
    [United Airlines Flight 2434 from Sarasota to Chicago] diverted", "Did [the mayor]
    close"): from after the auxiliary to the next verb that is not finite."""
    start, wh_subject = _after_wh(doc, wh)
    if wh_subject or start >= len(doc):
        return None
    if doc[start].lower_ not in _AUX:
        return None
    i = start + 1
    end = i
    while end < len(doc) and doc[end].text not in ("?", ".", "!", ";", ":"):
        tok = doc[end]
        adjectival = tok.tag_ == "VBG" and end + 1 < len(doc) and doc[end + 1].pos_ == "NOUN"
        if tok.pos_ in ("VERB", "AUX") and tok.tag_ not in _FINITE and end > i and not adjectival:
            break
        if tok.tag_ in _FINITE and end > i:
            break
        end += 1
    return (i, end) if end > i else None


def _dep_role(tok: Token) -> Role:
    """A phrase's role from the dependency parse (for what the surface rule leaves)."""
    while tok.dep_ in ("conj", "appos") and tok.head.i != tok.i:
        tok = tok.head
    if tok.dep_ in ("nsubj", "nsubjpass", "csubj"):
        return "subject" if tok.head.dep_ == "ROOT" else "modifier"
    if tok.dep_ in ("dobj", "attr", "dative", "oprd"):
        return "object" if tok.head.dep_ in ("ROOT", "xcomp", "ccomp") else "modifier"
    if tok.dep_ == "pobj" and tok.head.head.pos_ in ("VERB", "AUX"):
        return "oblique"
    if tok.dep_ in ("npadvmod", "advmod", "ROOT"):
        return "oblique"
    return "modifier"


def _span_label(span: Span) -> tuple[str, bool, bool]:
    """(label, plural, typed) of a noun phrase from its head noun or a title noun in it
    ("the prime minister": PERSON; "Storm Ciarán": an event), else the recogniser's."""
    root = span.root
    # A plural head is plural whatever names modify it ("the Russian border guards"); a
    # name that is the head itself ("the United States") is one thing.
    plural = root.tag_ in ("NNS", "NNPS") and not any(e.root.i == root.i for e in span.ents)
    for tok in [root, *reversed([t for t in span if t.i != root.i])]:
        if tok.pos_ not in ("NOUN", "PROPN"):
            continue
        word = tok.lower_
        if tok.tag_ in ("NNS", "NNPS") and word.endswith("s"):
            word = word[:-1]
        if tok.pos_ == "PROPN" and tok.i == root.i:
            continue  # a name's own last word ("Burning Man") says nothing of its type
        labels = FOCUS_TYPES.get(word, ())
        if labels:
            return labels[0], plural, True
        if tok.i == root.i and tok.pos_ == "NOUN":
            return ("PLURAL" if plural else "THING"), plural, True
    for ent in span.ents:
        whole = ent.start == span.start and ent.end == span.end
        if ent.label_ in VALUE_LABELS and whole:
            return ent.label_, plural, True
        if ent.label_ not in VALUE_LABELS and ent.root.i == root.i:
            return ent.label_, plural, False  # the recogniser's label of a name: soft
    return ("PLURAL" if plural else "THING"), plural, False


def _phrases(doc: Doc, skip: set[int]) -> list[Span]:
    """The question's noun phrases (entities merged into them, a number after a name kept:
    "Alaska Airlines Flight 1282") and the names inside them, outside `skip`."""
    out: list[Span] = []
    for chunk in doc.noun_chunks:
        start, end = chunk.start, chunk.end
        while end < len(doc) and doc[end].like_num and doc[end].head.i in range(start, end):
            end += 1
        for ent in doc.ents:  # an entity cut by the chunk's edge: the chunk takes it whole
            if ent.start < end <= ent.end - 1 and ent.start >= start:
                end = ent.end
        while start < end and (doc[start].is_punct or doc[start].lower_ in ("and", "or")):
            start += 1
        if start >= end or any(i in skip for i in range(start, end)):
            continue
        if doc[start].lower_ in ("a", "an"):
            start += 1
        if start < end:
            out.append(doc[start:end])
    for ent in doc.ents:
        if any(t.i in skip for t in ent) or ent.label_ in ("ORDINAL",):
            continue
        if not any(s.start <= ent.start and ent.end <= s.end for s in out):
            out.append(ent)
        elif not any(s.start == ent.start and s.end == ent.end for s in out):
            out.append(ent)  # a name inside a longer phrase: "Iowa" in "the Iowa caucuses"
    return out


def question_mentions(doc: Doc, back: int = 0) -> list[Mention]:
    """A question's entities and noun phrases with their roles. Left out: the wh-phrase,
    what a "what/who is X" asks for (X is its answer, not its topic), a pronoun, a bare
    noun of an idiom ("take part")."""
    wh = wh_phrase(doc)
    subject = _subject_span(doc, wh)
    _, wh_subject = _after_wh(doc, wh)
    asked: set[int] = set()
    if subject is not None and _copula(doc, wh):
        # "Who is [the chair] of the NTSB", "What was [the codename] of the exercise": that
        # phrase is the answer itself, not a topic; the names around it stay.
        head = next((c for c in doc.noun_chunks if c.start >= subject[0]), None)
        if head is not None and head.start < subject[1]:
            asked = {
                t.i
                for t in head
                if not (t.pos_ == "PROPN" or (t.ent_type_ and t.ent_type_ not in VALUE_LABELS))
                and t.tag_ != "POS"
            }
    out: list[Mention] = []
    phrases = _phrases(doc, wh | asked)
    for span in phrases:
        root = span.root
        if root.pos_ == "PRON" or root.lower_ in ("one", "ones"):
            continue
        if len(span) == 1 and root.pos_ == "NOUN" and root.tag_ == "NN":
            continue  # "take part", "by force"
        inner = next(
            (p for p in phrases if p is not span and p.start <= span.start and span.end <= p.end),
            None,
        )
        if subject is not None and subject[0] <= span.start < subject[1] and inner is None:
            role: Role = (
                "subject"
                if span.start == subject[0]
                or _first_np(doc, subject, span)
                or root.dep_ == "appos"  # "the mayor, Tomas Ruud,": the subject named
                else "modifier"
            )
        elif inner is None and subject is None and wh and wh_subject and span.start > max(wh):
            dep = _dep_role(root)
            role = "object" if dep == "subject" else dep  # after "Which agency banned"
        else:
            role = _dep_role(root) if inner is None else "modifier"
        if role == "modifier":
            container = inner.root if inner is not None else root.head
            parent = _dep_role(container) if inner is not None else "oblique"
            if inner is not None and subject is not None and subject[0] <= inner.start < subject[1]:
                parent = "subject"
            weight = max(MODIFIER_FLOOR, ROLE_WEIGHT.get(parent, 1.0) - 1.0)
        else:
            weight = ROLE_WEIGHT[role]
        label, plural, typed = _span_label(span)
        named = bool(span.ents) or root.pos_ == "PROPN"
        if span.label_:  # an entity span
            label, typed = span.label_, span.label_ in VALUE_LABELS
            plural = False
        text = _POSSESSIVE.sub("", span.text.strip().strip('"“”').strip())
        if not text:
            continue
        out.append(Mention(text, label, plural, named, typed, role, weight, back))
    return out


def _copula(doc: Doc, wh: set[int]) -> bool:
    """Whether the question is "wh + be + phrase" ("Who is the chair of the NTSB?")."""
    after = max(wh) + 1 if wh else 0
    return after < len(doc) and doc[after].lower_ in _BE and doc[after].dep_ == "ROOT"


def _first_np(doc: Doc, subject: tuple[int, int], span: Span) -> bool:
    """Whether `span` opens the subject (only determiners or adjectives before it)."""
    return all(doc[i].pos_ in ("DET", "ADJ", "PUNCT") for i in range(subject[0], span.start))


# ---------------------------------------------------------------- an answer's mention
def answer_text(turn: Turn) -> str:
    """The previous short answer to refer back to ("" after an abstention)."""
    if turn.abstained:
        return ""
    if turn.structured:
        return _MARKER.sub("", turn.short or turn.candidate).strip()
    first = turn.answer.strip().split("\n")[0]
    return _MARKER.sub("", first).strip()


def reliable_answer(turn: Turn) -> str:
    """The turn's answer when it can stand in for the question's wh-phrase (stated and of
    the type asked, or a guess of that type), else ""."""
    doc = nlp.parse(plain(turn.read_as).strip())
    m = next((m for m in _answer_mentions(turn, doc, 0) if m.answer), None)
    return m.text if m is not None and (m.stated or m.verified) else ""


def _answer_role(doc: Doc) -> tuple[Role, float]:
    """The role the previous question's wh-phrase had: its answer's role."""
    wh = wh_phrase(doc)
    if not wh:
        return "oblique", ROLE_WEIGHT["oblique"]
    first = doc[min(wh)]
    word = next(doc[i] for i in sorted(wh) if doc[i].lower_ in _WH)
    _, wh_subject = _after_wh(doc, wh)
    copula = _copula(doc, wh)
    if word.lower_ in ("when", "where", "why") or first.pos_ in ("ADP", "PART"):
        role: Role = "oblique"
    elif word.lower_ == "how" and not any(doc[i].pos_ == "NOUN" for i in wh):
        role = "oblique"  # "how old", "how much does it weigh"
    elif wh_subject or copula:
        role = "subject"
    else:
        role = "object"
    return role, ROLE_WEIGHT[role]


_CLASSES = (
    frozenset(["PERSON"]),
    frozenset(["GPE", "LOC", "FAC", "PLACE"]),
    frozenset(["ORG", "NORP"]),
    frozenset(["WORK_OF_ART", "PRODUCT", "EVENT", "LAW"]),
    frozenset(["DATE", "TIME"]),
    frozenset(["CARDINAL", "QUANTITY", "MONEY", "PERCENT", "ORDINAL"]),
)


def _asked_type(question: str, doc: Doc) -> tuple[str, frozenset[str], bool] | None:
    """What the question asked for, from the question alone: (label, every label its
    focus allows, plural); None when it does not say ("Which body ...")."""
    wh = wh_phrase(doc)
    words = [doc[i].lower_ for i in sorted(wh)]
    heads = [doc[i] for i in sorted(wh) if doc[i].pos_ in ("NOUN", "PROPN")]
    if "where" in words:
        return "PLACE", frozenset(["PLACE", "GPE", "LOC", "FAC"]), False
    if "when" in words:
        return "DATE", frozenset(["DATE", "TIME"]), False
    if "how" in words:
        return "CARDINAL", _CLASSES[-1], False  # how many, how much, how old: a value
    if heads:
        head = heads[-1]
        word = head.lower_
        plural = head.tag_ in ("NNS", "NNPS")
        if plural and word.endswith("s"):
            word = word[:-1]
        labels = FOCUS_TYPES.get(word, ())
        if labels:
            return labels[0], frozenset(labels), plural
    if "who" in words or "whom" in words:
        return "PERSON", frozenset(["PERSON"]), False
    analysis = analyse(question)
    if analysis.focus in FOCUS_TYPES and analysis.labels:
        # "What is Duncan Hines's parent company?": the answer is a company.
        return analysis.labels[0], frozenset(analysis.labels), analysis.plural
    return None


_AGENT = re.compile(r"(?:er|or|ist|ian|ant|ent)$")


def _agent_noun(doc: Doc, wh: set[int]) -> bool:
    """Whether the wh-phrase's noun names a doer ("manager", "director", "comedian")."""
    nouns = [doc[i] for i in sorted(wh) if doc[i].pos_ == "NOUN"]
    return bool(nouns) and bool(_AGENT.search(nouns[-1].lower_))


_CALENDAR = re.compile(
    r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)",
    re.IGNORECASE,
)


def _has_name_word(said: Doc) -> bool:
    """Whether a value-looking answer has a name in it ("Aras 2025", not "May 18")."""
    return any(t.pos_ == "PROPN" and not _CALENDAR.match(t.text) for t in said)


def _text_type(said: Doc) -> str:
    """The recogniser's label of an answer's text: the entity that ends it, else ""."""
    words = [t for t in said if not t.is_punct]
    if not words:
        return ""
    last = words[-1].i
    return next((e.label_ for e in said.ents if e.start <= last < e.end), "")


def _classes(labels: frozenset[str]) -> set[int]:
    return {n for n, c in enumerate(_CLASSES) for label in labels if label in c}


def _answer_mentions(turn: Turn, doc: Doc, back: int) -> list[Mention]:
    """The turn's answer as one mention in the role of the wh-phrase it answers, typed by
    what the question asked for; for a "how many N" question, also "the N" (what "them"
    may then mean). An answer whose own recognised type contradicts what was asked ("Boeing
    CEO Dave Calhoun" for "which agency") counts as a guess even when it was stated; a
    guess whose type agrees ("Apple" for "which company") counts as `verified`."""
    out: list[Mention] = []
    wh = wh_phrase(doc)
    role, weight = _answer_role(doc)
    if wh and doc[min(wh)].lower_ == "how":
        nouns = [doc[i] for i in sorted(wh) if doc[i].pos_ == "NOUN" and doc[i].tag_ == "NNS"]
        if nouns:
            first = min(i for i in wh if doc[i].lower_ not in ("how", "many", "much"))
            phrase = doc[first : nouns[0].i + 1].text
            out.append(Mention(f"the {phrase}", "PLURAL", True, False, True, role, weight, back))
    text = answer_text(turn)
    if not text:
        return out
    said = nlp.parse(text)
    if any(t.pos_ in ("VERB", "AUX") for t in said) or len(said) > 10:
        return out  # a sentence (an unstructured answer's text, an abstention): no mention
    has_digit = any(ch.isdigit() for ch in text)
    found = _text_type(said)
    asked = _asked_type(plain(turn.read_as), doc)
    if asked is not None and asked[0] in VALUE_LABELS and not has_digit and found:
        asked = None  # "Which 16-year-old ...?" asks for a person, not a number
    named = bool(said.ents) or any(t.pos_ == "PROPN" for t in said)
    if asked is not None:
        label, allowed, plural = asked
        typed = True
        agree = not found or bool(_classes(frozenset([found])) & _classes(allowed))
        single = " and " not in text or plural
        verified = bool(found) and agree and named and single
        if not found and single:
            # No label from the recogniser: a proper name where a place, an organisation or
            # a work was asked for ("Syunik" for "which province"; person names are
            # recognised well enough that an unlabelled one is no person), or a phrase
            # whose head is the very noun asked about ("ceasefire agreement" for "which
            # agreement").
            proper = all(t.is_title or t.is_upper or not t.is_alpha for t in said)
            focus = [doc[i].lower_ for i in sorted(wh) if doc[i].pos_ == "NOUN"]
            # A person's name has a given name and a family name ("Marta Oyelaran", which
            # the small model does not label as a whole); a lone word ("Oklahoma") is
            # labelled when it is a place.
            words = [t for t in said if t.is_alpha]
            person_shaped = 2 <= len(words) <= 4
            verified = (proper and (label != "PERSON" or person_shaped)) or (
                bool(focus) and said[:].root.lower_ == focus[-1]
            )
        # A stated answer is taken unless its own words say it is of another kind ("Boeing
        # CEO Dave Calhoun" for "which agency"): the recogniser's label alone is too often
        # wrong on names ("Duncan Hines" read as a person) to overrule the answerer.
        own, _, own_typed = _span_label(said[:])
        agree = not (
            own_typed and own in _NAME_LABELS and not _classes(frozenset([own])) & _classes(allowed)
        )
        verified = verified and agree
    else:
        label, plural, typed = (found, False, False) if found else _span_label(said[:])
        agree = True
        # "Which former manager ...?": a noun the lexicon lacks, but an agent noun, and a
        # person's name for its answer.
        verified = found == "PERSON" and _agent_noun(doc, wh) and named
    values = [e.label_ for e in said.ents if e.label_ in VALUE_LABELS]
    if has_digit and values and asked is None and not _has_name_word(said):
        label, typed = values[0], True  # "$25 an hour": a value, never "it"
    stated = (not turn.structured or bool(turn.short)) and agree
    out.append(
        Mention(
            text.rstrip("."),
            label,
            plural,
            named,
            typed,
            role,
            weight,
            back,
            answer=True,
            stated=stated,
            verified=verified,
        )
    )
    return out


# ---------------------------------------------------------------- pronoun chains
def _substituted(turn: Turn) -> dict[str, set[str]]:
    """What the turn's pronouns were read as: {mention text: pronoun classes}, from the
    difference between the question as asked and as read (the LLM's rewrite too)."""
    read = plain(turn.read_as)
    if read == turn.question:
        return {}
    asked = turn.question.split()
    shown = read.split()
    out: dict[str, set[str]] = {}
    matcher = difflib.SequenceMatcher(a=[w.lower() for w in asked], b=[w.lower() for w in shown])
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op != "replace" or a1 - a0 != 1:
            continue
        word = re.sub(r"\W", "", asked[a0].lower())
        kind = _pron_class(word)
        if kind not in ("he", "it", "they"):
            continue
        text = " ".join(shown[b0:b1]).strip("?,.")
        text = re.sub(r"'s$", "", text)
        if text.lower().startswith("in "):
            text = text[3:]
        out.setdefault(text, set()).add(kind)
    return out


def _parallel(pron: Token, doc: Doc) -> str:
    """The text of the mention in the same role of the same verb in the previous question
    ("" for none): "Which coach also backed him?" after "Which politician backed Donald
    Trump?" -> "Donald Trump"."""
    verb = pron.head
    if verb.pos_ not in ("VERB", "AUX") or pron.dep_ not in ("nsubj", "nsubjpass", "dobj"):
        return ""
    wh = wh_phrase(doc)
    for tok in doc:
        if tok.pos_ == "VERB" and tok.lower_[:4] == verb.lower_[:4]:
            for child in tok.children:
                if child.dep_ == pron.dep_ and child.i not in wh and child.pos_ != "PRON":
                    span = next((e for e in doc.ents if e.start <= child.i < e.end), None)
                    if span is None:
                        span = next((c for c in doc.noun_chunks if c.root.i == child.i), None)
                    return span.text if span is not None else ""
    return ""


# ---------------------------------------------------------------- all earlier mentions
def mentions(turns: Sequence[Turn], pron: Token | None = None, depth: int = 3) -> list[Mention]:
    """The mentions of the last `depth` turns, nearest first, with their features."""
    recent = list(turns)[-depth:]
    out: list[Mention] = []
    said_in: dict[str, set[int]] = {}
    for back, turn in enumerate(reversed(recent)):
        doc = nlp.parse(plain(turn.read_as).strip())
        chain = _substituted(turn)
        parallel = _parallel(pron, doc) if pron is not None and back == 0 else ""
        found = _answer_mentions(turn, doc, back) + question_mentions(doc, back)
        for m in found:
            kinds = {k for text, ks in chain.items() if _same(text, m.text) for k in ks}
            if kinds:
                m = replace(_typed_by(m, frozenset(kinds)), continued=frozenset(kinds))
            if parallel and _same(parallel, m.text):
                m = replace(m, parallel=True)
            out.append(m)
        # What the user and the answers said, not the rewrites: a name carried into a
        # standalone question by a substitution is not named again.
        own = f"{turn.question} {answer_text(turn)}".lower()
        for m in found:
            if m.key and m.key in own:
                said_in.setdefault(m.key, set()).add(back)
    # A referent an earlier pronoun stood for is of that pronoun's kind wherever it is named.
    chains: dict[str, frozenset[str]] = {}
    for m in out:
        if m.continued:
            chains[m.key] = chains.get(m.key, frozenset()) | m.continued
    merged: dict[str, Mention] = {}
    order: list[str] = []
    for m in out:
        m = replace(m, turns=len(said_in.get(m.key, ())) or 1)
        if m.key in chains and not m.continued:
            m = _typed_by(m, chains[m.key])
        key = f"{m.key}|{m.answer}|{m.back}"
        if key not in merged:
            order.append(key)
            merged[key] = m
    return [merged[k] for k in order]


def _typed_by(m: Mention, kinds: frozenset[str]) -> Mention:
    """The mention typed by the pronouns that stood for it (hard evidence)."""
    if "he" in kinds:
        return replace(m, label="PERSON", typed=True)
    if "it" in kinds and (m.label == "PERSON" or not m.typed):
        label = m.label if m.label in _THING_LABELS else "THING"
        return replace(m, label=label, typed=True)
    return m


def _same(a: str, b: str) -> bool:
    a, b = _POSSESSIVE.sub("", a.lower().strip()), _POSSESSIVE.sub("", b.lower().strip())
    return a == b or (len(b) > 3 and (a.endswith(" " + b) or b.endswith(" " + a)))
