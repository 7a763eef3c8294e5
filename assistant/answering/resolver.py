"""The offline follow-up resolver: "who is he?" made to stand alone from the conversation.

Read off spaCy's parse and entities of the follow-up and of the earlier turns:

- a pronoun takes the nearest earlier mention whose type agrees (he/she: a person; it: a
  thing, not a person; they: a group or a plural; there: a place; then: a time), looked for
  in the previous answer first, then in the previous question (its subject first), then in
  older turns; "that"/"this" stand for the previous question's event;
- an ellipsis ("And Iran?", "What about last year?", "On what date?") keeps the previous
  question's frame with the new part swapped in;
- a follow-up naming its own subject is read as asked (never bent back to the old one);
- when nothing agrees, or the follow-up only implies its subject ("Who won?"), it is not
  guessed: the question is searched together with the previous question's words, and the
  standalone form says so ("... (read together with: ...)").

An abstention is known by `Turn.abstained` (structured), never by its text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from assistant import nlp
from assistant.answering.question import FOCUS_TYPES, analyse
from assistant.conversation import HistoryItem, Turn, as_turns

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = ["READ_TOGETHER", "Resolution", "is_follow_up", "resolve", "resolve_text"]

Kind = Literal["as-asked", "resolved", "ellipsis", "read-together"]

# How a follow-up the resolver could not read is shown and searched.
READ_TOGETHER = "read together with:"

_PERSON_PRON = frozenset(["he", "she", "him", "her", "his", "hers", "himself", "herself"])
_PLURAL_PRON = frozenset(["they", "them", "their", "theirs"])
_THING_PRON = frozenset(["it", "its"])
_EVENT_PRON = frozenset(["that", "this"])
_POSSESSIVE = frozenset(["his", "her", "its", "their"])
_WH = frozenset(["who", "whom", "whose", "what", "which", "when", "where", "why", "how"])
_BE = frozenset(["is", "was", "are", "were"])
_AUX_FRONT = frozenset(
    [
        "did",
        "does",
        "do",
        "will",
        "would",
        "can",
        "could",
        "has",
        "have",
        "had",
        "is",
        "are",
        "was",
        "were",
        "should",
        "shall",
        "may",
        "might",
        "must",
    ]
)
# Verbs that only say an event took place: "when did that happen" asks about the event.
_EVENT_VERBS = frozenset(
    [
        "happen",
        "happened",
        "occur",
        "occurred",
        "start",
        "started",
        "begin",
        "began",
        "end",
        "ended",
        "take",
        "took",
        "come",
        "came",
    ]
)
_VALUE_LABELS = frozenset(["DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"])
_PLACE_LABELS = frozenset(["GPE", "LOC", "FAC"])
_THING_LABELS = frozenset(
    ["ORG", "GPE", "LOC", "FAC", "EVENT", "PRODUCT", "LAW", "WORK_OF_ART", "NORP"]
)
_GROUP_LABELS = frozenset(["ORG", "NORP"])
_LEADS = ("and what about ", "what about ", "how about ", "and for ", "what of ", "and ", "but ")
_MARKER = re.compile(r"\s*\[\d{1,3}\]")
# A short question without a pronoun or a name of its own ("Who won?") is taken as a
# follow-up when it has at most this many content words.
_IMPLICIT_MAX_WORDS = 3


@dataclass(frozen=True)
class Resolution:
    """How a question was read against the conversation.

    `standalone` is what retrieval and the answerer get and what the user is shown: the
    question itself, its rewrite, or the question "read together with" the previous one.
    `antecedent` is what the follow-up was taken to be about ("" when nothing was
    substituted); `keep_articles` are the previous turn's cited articles, kept as retrieval
    candidates when the follow-up stays on its subject."""

    question: str
    standalone: str
    kind: Kind = "as-asked"
    antecedent: str = ""
    keep_articles: tuple[str, ...] = ()

    @property
    def confident(self) -> bool:
        return self.kind != "read-together"


@dataclass(frozen=True)
class _Mention:
    text: str
    label: str  # an entity label, or PERSON/THING/PLURAL/PLACE for a typed noun phrase
    plural: bool = False
    named: bool = False  # a named entity (not a noun phrase typed by its head noun)


def is_follow_up(question: str) -> bool:
    """Whether `question` refers back (a pronoun, an ellipsis, or a short subjectless ask)."""
    doc = nlp.parse(question.strip())
    return bool(_pronouns(doc)) or _is_ellipsis(doc) or _is_implicit(doc)


def resolve_text(question: str, history: Sequence[HistoryItem] | None) -> str:
    """`question` made to stand alone from `history` (oldest first): the `Condenser` form."""
    return resolve(question, history).standalone


def resolve(question: str, history: Sequence[HistoryItem] | None) -> Resolution:
    """How `question` reads after `history` (`Turn`s, `Answer`s or (question, answer) pairs,
    oldest first)."""
    turns = as_turns(history)
    asked = question.strip()
    if not turns or not asked:
        return Resolution(question, question)
    doc = nlp.parse(asked)
    prev = turns[-1]
    keep = prev.doc_ids
    pronouns = _pronouns(doc)
    if pronouns:
        return _resolve_pronouns(question, doc, pronouns, turns)
    if _is_ellipsis(doc):
        return _resolve_ellipsis(question, doc, turns)
    if _is_implicit(doc, prev):
        return _read_together(question, prev, keep)
    # Names its own subject: read as asked, and its search is not steered to the old articles.
    return Resolution(question, question)


# ------------------------------------------------------------------ the follow-up's parse
def _pronouns(doc: Doc) -> list[Token]:
    out = []
    for t in doc:
        low = t.lower_
        if low in _PERSON_PRON | _PLURAL_PRON | _THING_PRON:
            if t.pos_ == "PRON" or t.tag_ in ("PRP", "PRP$"):
                out.append(t)
        elif low in _EVENT_PRON:
            # A pronoun on its own ("when did that happen"), not a determiner ("that day"),
            # a conjunction or a relative pronoun.
            if t.dep_ not in ("det", "mark") and t.tag_ == "DT" and t.head.tag_ != "NN":
                out.append(t)
        elif low == "there":
            if t.dep_ != "expl" and t.pos_ == "ADV":  # "is there" is no place
                out.append(t)
        elif low == "then" and t.pos_ == "ADV" and t.i == len(doc) - 2:
            out.append(t)  # "what happened then?": a time, at the end of the question
    return out


def _has_verb(doc: Doc) -> bool:
    return any(t.pos_ in ("VERB", "AUX") for t in doc)


def _content_words(doc: Doc) -> list[Token]:
    return [t for t in doc if t.is_alpha and not t.is_stop and t.lower_ not in _WH]


def _is_ellipsis(doc: Doc) -> bool:
    low = doc.text.lower()
    return not _has_verb(doc) or low.startswith(_LEADS[:4])


def _is_implicit(doc: Doc, prev: Turn | None = None) -> bool:
    """A short wh-question that names nothing new ("Who won?", "How long will the
    inspections take?", "When does the law take effect?"): at most two content words, or a
    definite description ("the inspections") or a word the previous turn used."""
    said = f"{prev.read_as} {prev.short or prev.candidate}".lower() if prev else ""
    names = [t for t in doc if t.pos_ == "PROPN" or t.ent_type_]
    if any(t.lower_ not in said for t in names if t.is_alpha):
        return False
    if not any(t.lower_ in _WH for t in doc[:2]) or len(doc) > 9:
        return False
    words = _content_words(doc)
    if len(words) <= _IMPLICIT_MAX_WORDS - 1:
        return True
    if len(words) > _IMPLICIT_MAX_WORDS + 1 or prev is None:
        return False
    definite = any(t.lower_ in ("the", "those", "these") and t.dep_ == "det" for t in doc)
    stems = {w[:5] for w in re.findall(r"\w+", said)}
    return definite or any(t.lower_[:5] in stems for t in words if t.pos_ == "NOUN")


# ------------------------------------------------------------------ earlier mentions
def _answer_text(turn: Turn) -> str:
    """The previous short answer to refer back to ("" after an abstention)."""
    if turn.abstained:
        return ""
    if turn.structured:
        return _MARKER.sub("", turn.short or turn.candidate).strip()
    first = turn.answer.strip().split("\n")[0]
    return _MARKER.sub("", first).strip()


def _np_label(span: Span) -> tuple[str, bool]:
    """A noun phrase's type from its head noun ("the prime minister": PERSON)."""
    root = span.root
    plural = root.tag_ in ("NNS", "NNPS")
    word = root.lower_
    if plural and word.endswith("s"):
        word = word[:-1]
    labels = FOCUS_TYPES.get(word, ())
    if labels and labels[0] == "PERSON":
        return "PERSON", plural
    if labels and labels[0] in _PLACE_LABELS:
        return "PLACE", plural
    if labels and labels[0] in _VALUE_LABELS:
        return labels[0], plural
    return ("PLURAL" if plural else "THING"), plural


def _wh_phrase(doc: Doc) -> set[int]:
    """Token indices of the question's wh-phrase ("which Armenian province", "in which")."""
    out: set[int] = set()
    for tok in doc:
        if tok.lower_ in _WH and tok.i <= 3:
            out.add(tok.i)
            if tok.dep_ == "det" or (tok.dep_ == "advmod" and tok.head.pos_ in ("ADJ", "ADV")):
                out |= {t.i for t in tok.head.subtree}  # "which province", "how many people"
                out.add(tok.head.i)
            if tok.dep_ == "pobj":  # "in which": the preposition too
                out.add(tok.head.i)
    return out


def _question_mentions(doc: Doc) -> list[_Mention]:
    """A question's entities and noun phrases, its subject first. Left out: the wh-phrase,
    what a "what was X" asks for (X is its answer, not its topic), a bare noun of an idiom
    ("take part"), and a name that only modifies a longer phrase ("Alaska Airlines" in
    "Alaska Airlines Flight 1282", "Iran" in "Iran's defense minister")."""
    wh = _wh_phrase(doc)
    asked = {t.head.i for t in doc if t.lower_ in _WH and t.head.lower_ in _BE}
    chunks = [
        c
        for c in doc.noun_chunks
        if c.root.pos_ != "PRON"
        and not any(t.i in wh for t in c)
        and c.root.head.i not in asked
        and not (len(c) == 1 and c.root.pos_ == "NOUN")
        and c.root.lower_ not in ("one", "ones")
    ]
    found: list[tuple[int, _Mention]] = []
    covered: set[int] = set()
    for ent in doc.ents:
        if any(t.i in wh for t in ent):
            continue
        inside = next((c for c in chunks if c.start <= ent.start and ent.end <= c.end), None)
        if inside is not None and inside.root.i not in range(ent.start, ent.end):
            continue  # a modifier: the longer phrase stands for it
        covered |= {t.i for t in ent}
        found.append((ent.start, _Mention(ent.text, ent.label_, named=True)))
    for chunk in chunks:
        if all(t.i in covered for t in chunk if t.pos_ != "DET"):
            continue  # the entity itself, already taken
        label, plural = _np_label(chunk)
        root_ent = chunk.root.ent_type_
        if root_ent and root_ent not in _VALUE_LABELS and label in ("THING", "PLURAL"):
            label = root_ent
        text = chunk.text
        if chunk[0].lower_ in ("a", "an"):
            text = chunk[1:].text
        named = chunk.root.pos_ == "PROPN"
        found.append((chunk.start, _Mention(text, label, plural, named)))
    subject = {t.i for t in doc if t.dep_ in ("nsubj", "nsubjpass")}

    def order(item: tuple[int, _Mention]) -> tuple[int, int, int]:
        start, m = item
        span_subject = any(i in subject for i in range(start, start + len(m.text.split())))
        # Subjects first, then longer phrases first where they start at the same word
        # ("the Russian border guards" before "Russian").
        return (0 if span_subject else 1, start, -len(m.text))

    return [m for _, m in sorted(found, key=order)]


def _answer_mentions(text: str, prev_question: str, structured: bool) -> list[_Mention]:
    """The previous short answer as one mention, typed by what its question asked for ("who"
    -> a person, "which province" -> a place) agreeing with the entity recogniser where it
    names the whole answer; then the entities inside it. A bare answer text (not an
    `Answer`) counts only when its first line is a phrase (no verb), not a sentence such as
    an abstention's."""
    if not text:
        return []
    doc = nlp.parse(text)
    if any(t.pos_ in ("VERB", "AUX") for t in doc) or len(doc) > 10:
        return [] if not structured else [_Mention(e.text, e.label_) for e in doc.ents]
    ents = list(doc.ents)
    words = [t for t in doc if not t.is_punct and not (t.i == 0 and t.pos_ == "DET")]
    whole = ents[0].label_ if len(ents) == 1 and all(t in ents[0] for t in words) else ""
    asked = analyse(prev_question).labels
    label = ""
    if asked:
        label = whole if whole in asked else asked[0]
    elif whole:
        label = whole
    elif structured and not any(t.like_num for t in doc):
        chunks = list(doc.noun_chunks)
        if chunks:
            label, _ = _np_label(chunks[0])
    out: list[_Mention] = []
    if label in _PLACE_LABELS and analyse(prev_question).wh == "where":
        label = "PLACE"  # where something happened: "there", never "it"
    if label:
        plural = " and " in text
        out.append(_Mention(text.rstrip("."), "PLURAL" if plural else label, plural))
    out += [_Mention(e.text, e.label_, named=True) for e in ents if e.text != text]
    return out


def _agrees(pron: str, m: _Mention) -> bool:
    if pron in _PERSON_PRON:
        return m.label == "PERSON" and not m.plural
    if pron in _PLURAL_PRON:
        return m.plural or m.label in _GROUP_LABELS or m.label == "PLURAL"
    if pron == "there":
        return m.label in _PLACE_LABELS or m.label == "PLACE"
    if pron == "then":
        return m.label in ("DATE", "TIME")
    # it / its: a thing, never a person or a value.
    return not m.plural and (m.label in _THING_LABELS - {"NORP"} or m.label == "THING")


def _candidates(turns: Sequence[Turn]) -> Iterator[list[_Mention]]:
    """Earlier mentions in groups, nearest first: each turn's answer, then its question
    (parsed only as far as a pronoun needs to look back)."""
    for turn in reversed(turns):
        asked = _plain(turn.read_as)
        yield _answer_mentions(_answer_text(turn), asked, turn.structured)
        yield _question_mentions(nlp.parse(asked))


def _pick(pron: str, groups: Iterable[list[_Mention]]) -> _Mention | None:
    """The nearest agreeing mention. Within one turn's question, for a person a name comes
    before a description ("Tomas Ruud" before "the mayor of Brennick"); for "it" a thing
    before a place (a country is rarely the "it" of a follow-up)."""
    for group in groups:
        agreeing = [m for m in group if _agrees(pron, m)]
        if not agreeing:
            continue
        if pron in _PERSON_PRON:
            return next((m for m in agreeing if m.named), agreeing[0])
        if pron in _THING_PRON:
            return next((m for m in agreeing if m.label not in _PLACE_LABELS), agreeing[0])
        return agreeing[0]
    return None


def _same_class(a: str, b: str) -> bool:
    return any(a in c and b in c for c in (_PERSON_PRON, _PLURAL_PRON, _THING_PRON))


def _continued(pron: str, turns: Sequence[Turn]) -> Iterator[list[_Mention]] | None:
    """A pronoun the previous question also used ("Whom did he replace?", "How old is
    he?") keeps its referent: the candidates as that question saw them."""
    prev = turns[-1]
    if len(turns) < 2 or prev.read_as == prev.question:
        return None
    said = nlp.parse(prev.question)
    if not any(_same_class(pron, t.lower_) for t in _pronouns(said)):
        return None
    return _candidates(turns[:-1])


def _parallel(pron: Token, prev: Turn) -> _Mention | None:
    """The mention in the same role of the same verb in the previous question: "Which
    coach also backed him?" after "Which politician backed Donald Trump?" -> Donald Trump."""
    verb = pron.head
    if verb.pos_ not in ("VERB", "AUX") or pron.dep_ not in ("nsubj", "nsubjpass", "dobj"):
        return None
    doc = nlp.parse(_plain(prev.read_as))
    wh = _wh_phrase(doc)
    for tok in doc:
        if tok.pos_ == "VERB" and tok.lower_[:4] == verb.lower_[:4]:
            for child in tok.children:
                if child.dep_ == pron.dep_ and child.i not in wh and child.pos_ != "PRON":
                    span = next((e for e in doc.ents if e.start <= child.i < e.end), None)
                    if span is None:
                        span = next((c for c in doc.noun_chunks if c.root.i == child.i), None)
                    if span is None:
                        return None
                    label = span.label_ if span.label_ else _np_label(span)[0]
                    m = _Mention(span.text, label, named=bool(span.label_))
                    return m if _agrees(pron.lower_, m) else None
    return None


def _plain(question: str) -> str:
    """A shown standalone question without its "read together" note."""
    head, sep, _ = question.partition(f" ({READ_TOGETHER}")
    return head if sep else question


# ------------------------------------------------------------------ rewriting
def _resolve_pronouns(
    question: str, doc: Doc, pronouns: list[Token], turns: Sequence[Turn]
) -> Resolution:
    prev = turns[-1]
    own = _question_mentions(doc)
    swaps: dict[int, str] = {}
    picked: list[str] = []
    bound_here = 0
    for tok in pronouns:
        low = tok.lower_
        if low in _EVENT_PRON:
            event = _event_rewrite(doc, tok, prev)
            if event is None:
                return _read_together(question, prev, prev.doc_ids)
            return Resolution(question, event[0], "resolved", event[1], prev.doc_ids)
        # A possessive bound by a name before it in the question ("Did Aliyev visit his
        # troops?") refers to that name.
        bound = tok.tag_ == "PRP$" or low.endswith("self") or low in _PERSON_PRON
        if bound and any(
            m.named and _agrees(low, m) and 0 <= doc.text.find(m.text) < tok.idx for m in own
        ):
            bound_here += 1
            continue
        groups = _continued(low, turns) or _candidates(turns)
        hit = _parallel(tok, turns[-1]) or _pick(low, groups)
        if hit is None:
            continue  # left as asked; read together below when nothing was resolved
        text = hit.text + ("'s" if low in _POSSESSIVE and tok.tag_ == "PRP$" else "")
        if low == "there" and (tok.i == 0 or doc[tok.i - 1].pos_ != "ADP"):
            text = f"in {text}"  # "live there" -> "live in Port Velling"; "from there" keeps
        swaps[tok.i] = text
        picked.append(hit.text)
    if not swaps:
        if bound_here == len(pronouns):
            return Resolution(question, question)  # it names its own subject
        return _read_together(question, prev, prev.doc_ids)
    out = []
    for tok in doc:
        if tok.i in swaps:
            out.append(swaps[tok.i] + tok.whitespace_)
        else:
            out.append(tok.text_with_ws)
    text = "".join(out).strip()
    return Resolution(question, text, "resolved", "; ".join(dict.fromkeys(picked)), prev.doc_ids)


def _frame(turn: Turn) -> tuple[str, str] | None:
    """The previous question as (auxiliary, clause) without its wh-phrase: "Where did
    Erdogan meet Pashinyan?" -> ("did", "Erdogan meet Pashinyan"). A question whose wh-word
    is its subject ("Who will host the show?") takes its answer as the subject ("will",
    "Jon Stewart host the show"; without an auxiliary: "", "Hamas attacked the convoy");
    None when it has none."""
    doc = nlp.parse(_plain(turn.read_as).strip())
    wh = _wh_phrase(doc)
    end = len(doc)
    while end and doc[end - 1].is_punct:
        end -= 1
    rest = [t for t in doc[:end] if t.i not in wh]
    if not rest:
        return None
    aux = ""
    if rest[0].lower_ in _AUX_FRONT and rest[0].pos_ in ("AUX", "VERB"):
        aux = rest[0].text.lower()
        rest = rest[1:]
    clause = "".join(t.text_with_ws for t in rest).strip()
    if not clause:
        return None
    if wh and any(doc[i].dep_ in ("nsubj", "nsubjpass") for i in wh):
        answer = _answer_text(turn)
        if not answer or len(answer.split()) > 8:
            return None
        return aux, f"{answer} {clause}"
    return aux, clause


def _wh_lead(doc: Doc, upto: int) -> str:
    """The follow-up's wh-phrase before token `upto` ("When", "In which year")."""
    words = [t for t in doc[:upto] if t.lower_ not in _AUX_FRONT]
    return "".join(t.text_with_ws for t in words).strip()


def _event_rewrite(doc: Doc, pron: Token, prev: Turn) -> tuple[str, str] | None:
    """ "When did that happen?" -> "When did <the previous question's event>?"."""
    frame = _frame(prev)
    if frame is None:
        return None
    aux, clause = frame
    verb = pron.head
    lead = _wh_lead(doc, pron.i)
    if verb.lower_ in _EVENT_VERBS and pron.dep_ in ("nsubj", "nsubjpass") and lead:
        if aux and aux not in ("is", "are", "was", "were"):
            return f"{lead} {aux} {clause}?", clause
        if aux:
            return f"{lead} {aux} {clause}?", clause
        return f"{lead} was it that {clause}?", clause
    # "Why did he say that?", "Who confirmed this?": the pronoun stands for the event.
    out = "".join(
        (f"{t.text} ({clause})" if t.i == pron.i else t.text) + t.whitespace_ for t in doc
    ).strip()
    return out, clause


def _resolve_ellipsis(question: str, doc: Doc, turns: Sequence[Turn]) -> Resolution:
    prev = turns[-1]
    text = doc.text.strip().rstrip("?").strip()
    low = text.lower()
    for lead in _LEADS:
        if low.startswith(lead):
            text = text[len(lead) :].strip()
            break
    if not text:
        return _read_together(question, prev, prev.doc_ids)
    part = nlp.parse(text)
    if part[0].lower_ in _WH or (len(part) > 1 and part[1].lower_ in _WH):
        # "On what date?" after "Where did Erdogan meet Pashinyan?"
        frame = _frame(prev)
        if frame is None:
            return _read_together(question, prev, prev.doc_ids)
        aux, clause = frame
        rewritten = f"{text} {aux} {clause}?" if aux else f"{text} was it that {clause}?"
        return Resolution(question, rewritten, "ellipsis", clause, prev.doc_ids)
    # "And Iran?", "What about last year?": the previous question, the new part swapped in.
    prev_doc = nlp.parse(_plain(prev.read_as).strip())
    new_label = _part_label(part)
    wh = _wh_phrase(prev_doc)
    slots = [e for e in prev_doc.ents if not any(t.i in wh for t in e)]
    best: tuple[int, str, str] | None = None
    for slot in slots:
        if (slot.label_ in _VALUE_LABELS) != (new_label in _VALUE_LABELS):
            continue  # a name never stands in for a date or a number, nor the reverse
        head = prev_doc[: slot.start].text_with_ws
        rewritten = head + text + prev_doc[slot.end - 1].whitespace_ + prev_doc[slot.end :].text
        # The new part's type read in the frame ("destroy in Samoa": a place), where the
        # recogniser sees more than in the two words asked.
        fit = _label_at(rewritten, len(head), new_label)
        score = 2 if fit == slot.label_ else 1 if _same_kind(fit, slot.label_) else 0
        kept = (prev_doc[: slot.start].text + " " + prev_doc[slot.end :].text).strip()
        if score and (best is None or score >= best[0]):
            best = (score, rewritten.strip(), kept)
    if best is not None:
        return Resolution(question, best[1], "ellipsis", best[2], prev.doc_ids)
    if new_label in ("DATE", "TIME"):
        base = prev_doc.text.rstrip().rstrip("?").rstrip()
        return Resolution(question, f"{base} {text}?", "ellipsis", base, prev.doc_ids)
    return _read_together(question, prev, prev.doc_ids)


def _label_at(text: str, at: int, default: str) -> str:
    """The entity label of the mention starting at character `at` of `text`."""
    for ent in nlp.parse(text).ents:
        if ent.start_char <= at < ent.end_char:
            return str(ent.label_)
    return default


def _part_label(part: Doc) -> str:
    if part.ents:
        return max(part.ents, key=len).label_
    chunks = list(part.noun_chunks)
    if chunks:
        return _np_label(chunks[0])[0]
    return "THING"


def _same_kind(a: str, b: str) -> bool:
    # Names of places, organisations and peoples are one kind: the recogniser often tells
    # them apart wrongly in a short question ("Samoa" read as an organisation).
    names = _PLACE_LABELS | {"PLACE", "NORP", "ORG", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
    groups = (names, {"DATE", "TIME"}, {"PERSON"}, {"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
    return a == b or any(a in g and b in g for g in groups)


def _read_together(question: str, prev: Turn, keep: tuple[str, ...]) -> Resolution:
    """Not confident: search with the previous question's words, and say so."""
    earlier = _plain(prev.read_as).strip()
    shown = f"{question.strip()} ({READ_TOGETHER} {earlier})"
    return Resolution(question, shown, "read-together", "", keep)
