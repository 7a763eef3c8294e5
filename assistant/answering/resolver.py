"""The offline follow-up resolver: "who is he?" made to stand alone from the conversation.

Read off spaCy's parse and entities of the follow-up and of the earlier turns:

- a pronoun takes the most salient earlier mention whose type agrees (he/she: a person;
  it: a thing, not a person; they: a group or a plural; there: a place; then: a time),
  scored by `antecedents.py` (the subject of the previous question, its answer when the
  answerer stated it or its type is what was asked, the referent of an earlier pronoun,
  nearer turns first); "that"/"this" stand for the previous question's event;
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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from assistant import nlp
from assistant.answering.antecedents import (
    READ_TOGETHER,
    Mention,
    agrees,
    answer_text,
    choose_all,
    mentions,
    plain,
    question_mentions,
    reliable_answer,
)
from assistant.answering.question import FOCUS_TYPES
from assistant.answering.spans import VALUE_LABELS
from assistant.conversation import HistoryItem, Turn, as_turns

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = ["READ_TOGETHER", "Resolution", "is_follow_up", "resolve", "resolve_text"]

Kind = Literal["as-asked", "resolved", "ellipsis", "read-together"]


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
# ... and any wh-question that names nothing at all, up to this many tokens.
_IMPLICIT_MAX_TOKENS = 16


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

    @property
    def to_answer(self) -> str:
        """What the answerer is asked. A follow-up read together that is a whole question
        of its own, with no pronoun left open ("How long will the inspections take?"), is
        asked without its note: the note's words have steered the search to the
        conversation's articles, and in the answerer they would pull it to the sentence
        that answered the previous question. With a pronoun left open ("How old is he?")
        or no verb ("And domestically?") the note stays: it says what the question is
        about."""
        head = _plain(self.standalone)
        if self.kind != "read-together":
            return self.standalone
        doc = nlp.parse(head.strip())
        return head if _has_verb(doc) and not _pronouns(doc) else self.standalone


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
    pronouns = _pronouns(doc)
    if pronouns:
        return _resolve_pronouns(question, doc, pronouns, turns)
    if _is_ellipsis(doc):
        return _resolve_ellipsis(question, doc, turns)
    if _is_implicit(doc, prev):
        return _read_together(question, turns)
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
    names = [
        t for t in doc if t.pos_ == "PROPN" or (t.ent_type_ and t.ent_type_ not in VALUE_LABELS)
    ]
    if any(t.lower_ not in said for t in names if t.is_alpha):
        return False
    if not any(t.lower_ in _WH for t in doc[:2]):
        return False
    if prev is not None and not _names_something(doc) and len(doc) <= _IMPLICIT_MAX_TOKENS:
        # A news question names what it is about; one that names nothing at all ("How old
        # was the girl the employee searched?") is about the conversation's subject.
        return True
    if len(doc) > 9:
        return False
    words = _content_words(doc)
    if len(words) <= _IMPLICIT_MAX_WORDS - 1:
        return True
    if len(words) > _IMPLICIT_MAX_WORDS + 1 or prev is None:
        return False
    definite = any(t.lower_ in ("the", "those", "these") and t.dep_ == "det" for t in doc)
    stems = {w[:5] for w in re.findall(r"\w+", said)}
    return definite or any(t.lower_[:5] in stems for t in words if t.pos_ == "NOUN")


_plain = plain
_answer_text = answer_text


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
    if labels and labels[0] in VALUE_LABELS:
        return labels[0], plural
    return ("PLURAL" if plural else "THING"), plural


def _wh_phrase(doc: Doc) -> set[int]:
    """Token indices of the question's wh-phrase ("which Armenian province", "in which"),
    as a previous question's frame leaves it out."""
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


# ------------------------------------------------------------------ rewriting
def _resolve_pronouns(
    question: str, doc: Doc, pronouns: list[Token], turns: Sequence[Turn]
) -> Resolution:
    prev = turns[-1]
    own = question_mentions(doc)
    open_: list[Token] = []
    bound_here = 0
    for tok in pronouns:
        if tok.lower_ in _EVENT_PRON:
            event = _event_rewrite(doc, tok, prev)
            if event is None:
                return _read_together(question, turns)
            return Resolution(question, event[0], "resolved", event[1], prev.doc_ids)
        if _bound(tok, doc, own):
            bound_here += 1
        elif not _still_open(tok.lower_, prev):
            # (a pronoun the previous question could not resolve either means the same
            # unknown: left as asked)
            open_.append(tok)
    choices = choose_all([(t.lower_, mentions(turns, t)) for t in open_])
    swaps: dict[int, str] = {}
    picked: list[Mention] = []
    for tok, choice in zip(open_, choices, strict=True):
        if choice.mention is None or choice.unsure:
            continue  # left as asked; read together below when nothing was resolved
        hit = choice.mention
        low = tok.lower_
        text = hit.text + ("'s" if low in _POSSESSIVE and tok.tag_ == "PRP$" else "")
        if low == "there" and (tok.i == 0 or doc[tok.i - 1].pos_ != "ADP"):
            text = f"in {text}"  # "live there" -> "live in Port Velling"; "from there" keeps
        swaps[tok.i] = text
        picked.append(hit)
    if not swaps:
        if bound_here == len(pronouns):
            return Resolution(question, question)  # it names its own subject
        return _read_together(question, turns)
    out = []
    for tok in doc:
        if tok.i in swaps:
            out.append(swaps[tok.i] + tok.whitespace_)
        else:
            out.append(tok.text_with_ws)
    text = "".join(out).strip()
    if all(m.label in VALUE_LABELS for m in picked) and not _names_something(doc):
        # "How many days had the strike lasted by then?": a time is no subject; the time
        # stays in, the subject is searched with the previous question's words.
        return _read_together(question, turns, text)
    antecedent = "; ".join(dict.fromkeys(m.text for m in picked))
    return Resolution(question, text, "resolved", antecedent, prev.doc_ids)


def _bound(tok: Token, doc: Doc, own: list[Mention]) -> bool:
    """A pronoun bound by a name before it in the follow-up itself ("Did Aliyev visit his
    troops?", "And Lou Piniella, how many votes did he get?"). An object pronoun is never
    bound by its own verb's other arguments ("Who co-wrote Barbie with her?")."""
    low = tok.lower_
    possessive = tok.tag_ == "PRP$" or low.endswith("self") or low.endswith("selves")
    if not (possessive or low in _PERSON_PRON or low in ("they", "them")):
        return False
    verb = _governor(tok)
    for m in own:
        at = doc.text.find(m.text)
        if not (m.named and agrees(low, m) and 0 <= at < tok.idx):
            continue
        if possessive or tok.dep_ in ("nsubj", "nsubjpass"):
            return True
        name = next((t for t in doc if t.idx >= at), None)
        if name is not None and _governor(name).i != verb.i:
            return True
    return False


def _still_open(pron: str, prev: Turn) -> bool:
    """Whether the previous question used a pronoun of the same kind that it could not
    resolve ("When did he arrive?" read together): this one means the same unknown."""
    if prev.read_as == prev.question or READ_TOGETHER not in prev.read_as:
        return False
    kinds = (_PERSON_PRON, _PLURAL_PRON, _THING_PRON)
    mine = next((k for k in kinds if pron in k), None)
    if mine is None:
        return False
    return any(t.lower_ in mine for t in nlp.parse(_plain(prev.read_as)))


def _governor(tok: Token) -> Token:
    """The verb whose clause `tok` is in."""
    while tok.pos_ not in ("VERB", "AUX") and tok.head.i != tok.i:
        tok = tok.head
    return tok


def _names_something(doc: Doc) -> bool:
    """Whether the question names anything of its own: a proper noun or a named entity
    that is not a date or a number."""
    return any(t.pos_ == "PROPN" or (t.ent_type_ and t.ent_type_ not in VALUE_LABELS) for t in doc)


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
        answer = reliable_answer(turn)
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
        return _read_together(question, turns)
    part = nlp.parse(text)
    if part[0].lower_ in _WH or (len(part) > 1 and part[1].lower_ in _WH):
        # "On what date?" after "Where did Erdogan meet Pashinyan?"
        frame = _frame(prev)
        if frame is None:
            return _read_together(question, turns)
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
        if (slot.label_ in VALUE_LABELS) != (new_label in VALUE_LABELS):
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
    return _read_together(question, turns)


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


def _read_together(question: str, turns: Sequence[Turn], asked: str = "") -> Resolution:
    """Not confident: search with the previous question's words, and say so. When that
    question was itself read together, its own companion comes along ("When was the last
    outbreak? (read together with: How many cases are reported now?; In which year was
    malaria eliminated?)"): the conversation's subject is in the older one."""
    prev = turns[-1]
    earlier = [_plain(prev.read_as).strip()]
    _, sep, note = prev.read_as.partition(f" ({READ_TOGETHER} ")
    if sep and note.endswith(")"):
        earlier.append(note[:-1].split("; ")[0].strip())
    shown = f"{(asked or question).strip()} ({READ_TOGETHER} {'; '.join(e for e in earlier if e)})"
    return Resolution(question, shown, "read-together", "", prev.doc_ids)
