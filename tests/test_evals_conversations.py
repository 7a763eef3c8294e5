"""Conversation suites: turns expanded into questions, the antecedent metric, and a corpus
cut to a few articles by id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.evals import load_suite
from assistant.evals.metrics import antecedent_score, by_type, score_question
from assistant.evals.runner import _corpus_paths
from assistant.types import Answer

REPO = Path(__file__).resolve().parent.parent

CHAT = {
    "name": "chat",
    "corpus": [],
    "conversations": [
        {
            "id": "fest",
            "sources": ["d1"],
            "turns": [
                {"q": "Who founded the Lantern Festival?", "answers": ["Marta Oyelaran"]},
                {
                    "q": "Where was she born?",
                    "kind": "pronoun",
                    "antecedent": ["Oyelaran"],
                    "answers": ["Brennick"],
                },
                {"q": "What is her salary?", "kind": "unanswerable", "unanswerable": True},
            ],
        }
    ],
}


def test_turns_become_questions_with_the_turns_before_as_history() -> None:
    s = load_suite(CHAT)
    assert [q.id for q in s.questions] == ["fest.1", "fest.2", "fest.3"]
    first, second, third = s.questions
    assert first.type == "fact" and first.history == () and first.kind == "first"
    assert second.type == "followup" and second.history == ("Who founded the Lantern Festival?",)
    assert second.antecedent == ("Oyelaran",) and second.sources == ("d1",)
    assert third.type == "abstain" and len(third.history) == 2 and third.sources == ()


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "x", "turns": [{"q": "Only one turn?", "answers": ["a"]}]},
        {"id": "x", "turns": [{"q": "a?", "answers": ["a"]}, {"q": "b?", "kind": "Bad Kind"}]},
    ],
)
def test_a_malformed_conversation_is_a_config_error(bad: dict) -> None:
    with pytest.raises(ConfigError, match="invalid suite"):
        load_suite({**CHAT, "conversations": [bad]})


def test_the_antecedent_metric_wants_the_antecedent_and_not_the_old_subject() -> None:
    s = load_suite(
        {
            **CHAT,
            "conversations": [
                {
                    "id": "c",
                    "turns": [
                        {"q": "Who founded the festival?", "answers": ["Marta"]},
                        {
                            "q": "When did the storm hit Samoa?",
                            "kind": "newsubject",
                            "not_antecedent": ["festival"],
                            "answers": ["May"],
                        },
                    ],
                }
            ],
        }
    )
    second = s.questions[1]
    assert antecedent_score(second, "When did the storm hit Samoa?") == 1.0
    assert antecedent_score(second, "When did the storm hit the festival?") == 0.0
    assert antecedent_score(s.questions[0], "anything") is None
    pronoun = load_suite(CHAT).questions[1]
    assert antecedent_score(pronoun, "Where was Marta Oyelaran born?") == 1.0
    assert antecedent_score(pronoun, "Where was she born? (read together with: x)") == 0.0
    answer = Answer(
        question=pronoun.question, standalone_question="Where was she born?", text="Brennick"
    )
    result = score_question(pronoun, answer, retrieved=[], articles={}, latency_ms=1.0)
    assert result.scores["antecedent"] == 0.0 and result.kind == "pronoun"
    assert any("does not name" in why for why in result.why)
    assert by_type([result])["pronoun"]["antecedent"] == 0.0


def test_articles_cut_a_jsonl_corpus_to_the_ids_named(tmp_path: Path) -> None:
    week = tmp_path / "week.jsonl"
    rows = [{"id": f"a{i}", "text": f"Article {i}."} for i in range(5)]
    week.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    again = tmp_path / "again.jsonl"  # an article in two weeks is taken once
    again.write_text(json.dumps(rows[1]) + "\n", encoding="utf-8")
    folder = tmp_path / "seeds"
    folder.mkdir()
    s = load_suite(
        {**CHAT, "corpus": [str(folder), str(week), str(again)], "articles": ["a1", "a3"]}
    )
    paths = _corpus_paths(s, tmp_path / "store")
    assert paths[0] == folder and len(paths) == 2
    kept = [json.loads(line)["id"] for line in paths[1].read_text().splitlines()]
    assert kept == ["a1", "a3"]
    missing = load_suite({**CHAT, "corpus": [str(week)], "articles": ["a1", "zz"]})
    with pytest.raises(ConfigError, match="zz"):
        _corpus_paths(missing, tmp_path / "store2")


def test_the_shipped_conversation_suite_is_large_and_well_formed() -> None:
    s = load_suite(REPO / "evals" / "conversations.yaml")
    conversations = {q.id.rsplit(".", 1)[0] for q in s.questions}
    assert len(conversations) >= 80
    follow_ups = [q for q in s.questions if q.history]
    assert all(q.kind for q in follow_ups)
    kinds = {q.kind for q in follow_ups}
    assert {"pronoun", "ellipsis", "event", "newsubject", "unanswerable"} <= kinds
    # Every follow-up but a change of subject says what it refers to.
    assert all(q.antecedent for q in follow_ups if q.kind != "newsubject")
    assert len(s.articles) <= 80
