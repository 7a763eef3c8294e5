"""The public test doubles in `assistant.testing`: each behaves as the real backend would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import assistant.testing
from assistant import Answerer, Assistant, LLMError
from assistant.answering.llm import ChatBackend
from assistant.embeddings import Embedder
from assistant.testing import ConstantEmbedder, FakeAnswerer, HashEmbedder, ScriptedChat

STORY = (
    "Saltmere ferry strike to end on Friday\n\n"
    "The ferry strike in Saltmere will end on Friday after the crews accepted a new pay offer, "
    "union leaders said on Wednesday. Boats will run to the normal timetable from Saturday.\n"
)
OTHER = (
    "Brackwater museum buys whale skeleton\n\n"
    "The Brackwater natural history museum has bought the skeleton of a fin whale that "
    "stranded on the estuary last spring. It will hang in the main hall from June.\n"
)


def test_all_is_pinned() -> None:
    assert assistant.testing.__all__ == [
        "ConstantEmbedder",
        "FakeAnswerer",
        "HashEmbedder",
        "ScriptedChat",
    ]


def test_fakes_satisfy_the_protocols() -> None:
    assert isinstance(ConstantEmbedder(), Embedder)
    assert isinstance(HashEmbedder(), Embedder)
    assert isinstance(ScriptedChat(["x"]), ChatBackend)
    assert isinstance(FakeAnswerer(), Answerer)


def test_hash_embedder_is_deterministic_unit_length_and_word_sensitive() -> None:
    emb = HashEmbedder()
    v = emb.embed(["ferry strike in Saltmere", "Saltmere ferry strike", "whale skeleton", ""])
    assert v.shape == (4, emb.dimension) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(
        v, emb.embed(["ferry strike in Saltmere", "Saltmere ferry strike", "whale skeleton", ""])
    )
    assert v[0] @ v[1] > v[0] @ v[2]
    assert emb.calls[0][0] == "ferry strike in Saltmere"


def test_constant_embedder_gives_one_vector() -> None:
    v = ConstantEmbedder(dimension=5).embed(["a", "b"])
    assert v.shape == (2, 5)
    np.testing.assert_allclose(v[0], v[1])


def test_scripted_chat_streams_in_pieces_records_and_raises() -> None:
    chat = ScriptedChat(["Short answer: Friday\nOn Friday [1].", LLMError("down")], piece=5)
    messages = [{"role": "user", "content": "When?"}]
    pieces = list(chat.stream(messages))
    assert len(pieces) > 1 and "".join(pieces) == "Short answer: Friday\nOn Friday [1]."
    with pytest.raises(LLMError, match="down"):
        list(chat.stream(messages))
    with pytest.raises(LLMError):  # the last reply repeats
        list(chat.stream(messages))
    assert chat.requests == [messages] * 3
    with pytest.raises(ValueError):
        ScriptedChat([])


def test_an_assistant_runs_on_fakes_alone(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "ferry.txt").write_text(STORY, encoding="utf-8")
    (folder / "museum.txt").write_text(OTHER, encoding="utf-8")
    fake = FakeAnswerer("The strike ends on Friday", short="Friday")
    a = Assistant(store=tmp_path / "store", embedder=HashEmbedder(), answerer_backend=fake)
    assert a.ingest([folder]).added == 2
    answer = a.ask("When does the Saltmere ferry strike end?")
    assert answer.text == "The strike ends on Friday [1]" and answer.short == "Friday"
    assert answer.mode == "fake"
    assert answer.citations[0].doc_id == "ferry.txt"
    assert answer.citations[0].quote in STORY
    assert fake.questions == ["When does the Saltmere ferry strike end?"]
    # Another mode can still be asked for per call: the injected answerer is the default.
    offline = a.ask("When does the Saltmere ferry strike end?", answerer="extractive")
    assert offline.mode == "extractive"


def test_scripted_chat_drives_the_llm_answerer(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "ferry.txt").write_text(STORY, encoding="utf-8")
    chat = ScriptedChat(["Short answer: Friday\nThe strike ends on Friday [1]."])
    a = Assistant(store=tmp_path / "store", embedder=HashEmbedder(), chat_backend=chat)
    assert a.ingest([folder]).added == 1
    pieces = list(a.stream("When does the Saltmere ferry strike end?"))
    assert len([p for p in pieces if isinstance(p, str)]) > 1  # streamed, not in one piece
    answer = pieces[-1]
    assert not isinstance(answer, str)
    assert answer.mode == "llm" and answer.short == "Friday"
    assert [c.doc_id for c in answer.citations] == ["ferry.txt"]
    assert "Saltmere" in chat.requests[0][-1]["content"]
