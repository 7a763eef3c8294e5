"""The public API: exported names, frozen value types, settings validation and environment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

import assistant
from assistant import Answer, Citation, Settings
from assistant.errors import ConfigError
from assistant.testing import ConstantEmbedder, ScriptedChat

EXPECTED_ALL = [
    "Answer",
    "AnswerRequest",
    "Answerer",
    "Article",
    "ArticleInfo",
    "Assistant",
    "AssistantError",
    "Chunk",
    "Citation",
    "ClusterError",
    "ConfigError",
    "Draft",
    "EmbedderMismatchError",
    "Event",
    "EventCitation",
    "EventDate",
    "IngestFailure",
    "IngestReport",
    "LLMError",
    "ModelError",
    "Query",
    "RayOptions",
    "Settings",
    "StoreError",
    "StoreLockedError",
    "Timeline",
    "ask",
]


def _citation() -> Citation:
    return Citation(
        number=1,
        doc_id="bridge.txt",
        title="Harbor Bridge repairs near completion",
        source="Coastline Courier",
        url=None,
        published=dt.date(2026, 11, 2),
        chunk_id="bridge.txt#0",
        quote="The bridge will reopen on March 3, 2027.",
        start=10,
        end=50,
    )


def _answer() -> Answer:
    return Answer(
        question="When will the bridge reopen?",
        standalone_question="When will the bridge reopen?",
        text="March 3, 2027 [1]",
        short="March 3, 2027",
        citations=(_citation(),),
    )


def test_all_is_pinned() -> None:
    assert assistant.__all__ == EXPECTED_ALL
    assert sorted(assistant.__all__) == assistant.__all__


@pytest.mark.parametrize("name", EXPECTED_ALL)
def test_every_exported_name_is_importable(name: str) -> None:
    ns: dict[str, object] = {}
    exec(f"from assistant import {name}", ns)
    assert ns[name] is getattr(assistant, name)


def test_star_import_gives_exactly_all() -> None:
    ns: dict[str, object] = {}
    exec("from assistant import *", ns)
    assert sorted(k for k in ns if k != "__builtins__") == EXPECTED_ALL


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert assistant.__version__ == version("news-assistant")


def test_errors_share_a_base_class() -> None:
    for name in (
        "ConfigError",
        "EmbedderMismatchError",
        "LLMError",
        "StoreError",
        "StoreLockedError",
    ):
        assert issubclass(getattr(assistant, name), assistant.AssistantError)
    assert issubclass(assistant.StoreLockedError, assistant.StoreError)
    assert issubclass(assistant.EmbedderMismatchError, assistant.StoreError)


@pytest.mark.parametrize(
    ("field", "value"), [("text", "changed"), ("abstained", True), ("citations", ())]
)
def test_answer_is_frozen(field: str, value: object) -> None:
    a = _answer()
    with pytest.raises(ValidationError):
        setattr(a, field, value)
    assert a.text == "March 3, 2027 [1]"


@pytest.mark.parametrize(("field", "value"), [("quote", "x"), ("start", 0), ("number", 2)])
def test_citation_is_frozen(field: str, value: object) -> None:
    c = _citation()
    with pytest.raises(ValidationError):
        setattr(c, field, value)


def test_answer_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        Answer(question="q", standalone_question="q", text="t", bogus=1)  # type: ignore[call-arg]


def test_answer_defaults_and_json_shape() -> None:
    a = Answer(question="q", standalone_question="q", text="The indexed articles don't say.")
    assert a.short == "" and a.abstained is False and a.citations == ()
    d = _answer().to_json_dict()
    assert d["answer"] == "March 3, 2027 [1]"
    assert d["short"] == "March 3, 2027"
    assert d["citations"][0]["published"] == "2026-11-02"
    assert set(d) == {
        "question",
        "standalone_question",
        "follow_up",
        "answer",
        "short",
        "abstained",
        "mode",
        "confidence",
        "best_candidate",
        "citations",
        "timings",
        "time_window",
        "undated_excluded",
    }
    assert d["time_window"] is None and d["undated_excluded"] == 0
    assert d["follow_up"] == "as-asked"  # a question read as it was asked
    # Not estimated (an LLM answer, or one built by hand): None, and no note to show.
    assert d["confidence"] is None and _answer().confidence_note() == ""


# --------------------------------------------------------------------------- Settings


def test_settings_reject_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        Settings(top_kk=3)  # type: ignore[call-arg]


def test_settings_are_frozen() -> None:
    s = Settings()
    with pytest.raises(ValidationError):
        s.top_k = 9  # type: ignore[misc]


def test_settings_read_top_k_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_TOP_K", "7")
    assert Settings().top_k == 7


def test_settings_env_values_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_TOP_K", "0")
    with pytest.raises(ValidationError):
        Settings()


def test_settings_read_store_and_answerer_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_STORE", "/tmp/elsewhere")
    monkeypatch.setenv("ASSISTANT_ANSWERER", "extractive")
    s = Settings()
    assert s.store == Path("/tmp/elsewhere")
    assert s.answerer == "extractive"


def test_openai_env_names_configure_the_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not Settings().llm_configured
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    s = Settings()
    assert s.llm_configured
    assert s.openai_api_key is not None
    assert s.openai_api_key.get_secret_value() == "sk-test-secret"
    assert "sk-test-secret" not in repr(s)
    assert "sk-test-secret" not in str(s.model_dump())


def test_openai_base_url_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    s = Settings()
    assert s.openai_base_url == "http://127.0.0.1:9/v1"
    assert s.llm_configured


def _assistant(tmp_path: Path, **overrides: object) -> assistant.Assistant:
    return assistant.Assistant(store=tmp_path / "s", embedder=ConstantEmbedder(), **overrides)


def test_auto_answers_with_the_llm_only_when_one_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offline = _assistant(tmp_path)
    assert offline.settings.answerer == "auto"
    assert offline.default_mode == "extractive" and offline.answer_modes == ("extractive",)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    configured = _assistant(tmp_path)
    assert configured.default_mode == "llm"
    assert configured.answer_modes == ("extractive", "llm")
    pinned = _assistant(tmp_path, answerer="extractive")
    assert pinned.default_mode == "extractive" and "llm" in pinned.answer_modes
    scripted = _assistant(tmp_path, chat_backend=ScriptedChat(["Short answer: x"]))
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert scripted.default_mode == "llm"


def test_answer_mode_is_per_call_and_answerers_are_built_once(tmp_path: Path) -> None:
    a = _assistant(tmp_path, chat_backend=ScriptedChat(["Short answer: x"]))
    assert a.answerer("extractive") is a.answerer("extractive")
    assert a.answerer("llm") is a.answerer() is a.answerer("llm")
    assert a.answerer("extractive") is not a.answerer("llm")
    with pytest.raises(assistant.ConfigError, match="unknown answer mode 'gpt'"):
        a.answerer("gpt")


def test_defaults_are_offline() -> None:
    s = Settings()
    assert s.answerer == "auto"
    assert not s.llm_configured
    assert s.embedder == "minilm"


@pytest.mark.parametrize(
    "overrides",
    [{"answerer": "gpt"}, {"top_k": 0}, {"chunk_size": 10}, {"llm_timeout": 0}, {"nope": 1}],
)
def test_settings_reject_bad_values(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(**overrides)  # type: ignore[arg-type]


def test_assistant_rejects_unknown_override(tmp_path: Path, embedder) -> None:
    with pytest.raises(ConfigError, match="unknown setting 'top_kk'"):
        assistant.Assistant(store=tmp_path / "s", embedder=embedder, top_kk=3)


def test_assistant_overrides_become_settings(make_assistant) -> None:
    a = make_assistant(answerer="extractive", top_k=3)
    assert a.settings.top_k == 3
    assert a.settings.answerer == "extractive"
    assert a.default_mode == "extractive"


def test_assistant_rejects_bad_as_of_and_empty_question(make_assistant) -> None:
    a = make_assistant(answerer="extractive")
    with pytest.raises(assistant.ConfigError, match="as_of"):
        a.ask("When will the bridge reopen?", as_of="next Tuesday")
    with pytest.raises(assistant.ConfigError):
        a.ask("   ")


def test_module_level_ask_on_empty_store_abstains(
    tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.core

    # Reuse the session's model instead of loading another copy.
    monkeypatch.setattr(assistant.core, "make_embedder", lambda settings: embedder)
    answer = assistant.ask(
        "When will the bridge reopen?", store=tmp_path / "empty", answerer="extractive"
    )
    assert isinstance(answer, Answer)
    assert answer.abstained and answer.citations == ()
