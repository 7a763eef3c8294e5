"""The evaluation package: metrics on hand-made cases, suite loading, reports, an end-to-end run."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.errors import ConfigError
from assistant.evals import compare, load_rtqa, load_suite, run_suite, write_reports
from assistant.evals.cli import add_eval_parser
from assistant.evals.metrics import (
    aggregate,
    answer_correct,
    by_type,
    citation_scores,
    percentile,
    quote_validity,
    retrieval_scores,
    score_question,
)
from assistant.evals.report import ConfigResult, Report, check_thresholds, parse_gate
from assistant.evals.suite import Question, contains, norm
from assistant.types import Answer, Article, Citation

TINY = Path(__file__).resolve().parent / "fixtures" / "evals" / "tiny.yaml"

ARTICLE = Article(
    doc_id="a.txt",
    title="A",
    text="The bridge reopened on March 3, 2024 in Port Alden.",
    content_hash="x",
)


def cite(n: int, doc_id: str, start: int = 4, end: int = 10, quote: str | None = None) -> Citation:
    text = ARTICLE.text if doc_id == "a.txt" else ""
    return Citation(
        number=n,
        doc_id=doc_id,
        title="t",
        source=None,
        url=None,
        published=None,
        chunk_id=f"{doc_id}#0",
        quote=text[start:end] if quote is None else quote,
        start=start,
        end=end,
    )


def answer(short: str = "", text: str = "", abstained: bool = False, cites: Any = ()) -> Answer:
    return Answer(
        question="q",
        standalone_question="q",
        text=text or short,
        short=short,
        abstained=abstained,
        citations=tuple(cites),
    )


def q(qtype: str = "fact", **kw: Any) -> Question:
    kw.setdefault("id", "q1")
    kw.setdefault("question", "When did the bridge reopen?")
    if qtype == "followup":
        kw.setdefault("history", ["earlier"])
    if qtype != "abstain":
        kw.setdefault("answers", ["March 3, 2024"])
    return Question(type=qtype, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- matching


def test_norm_and_whole_word_match() -> None:
    assert norm("  Ford’s F-150!  ") == "ford s f 150"
    assert contains("The UPS strike", "ups")
    assert not contains("working groups", "ups")
    assert not contains("they can afford it", "Ford")
    assert contains("on 12,000 visitors", "12,000")
    assert not contains("anything", "")


def test_answer_correct_any_of_and_all_of() -> None:
    assert answer_correct("Nikol Pashinyan said", ["Pashinyan", "Putin"], [])
    assert not answer_correct("Putin said", ["Pashinyan"], [])
    assert answer_correct("November 9 or November 10", [], ["November 9", "November 10"])
    assert not answer_correct("November 9", [], ["November 9", "November 10"])
    assert not answer_correct("Moscow", ["Moscow"], ["Istanbul"])


# ---------------------------------------------------------------- retrieval


def test_retrieval_scores_known_values() -> None:
    s = retrieval_scores(["b"], ["a", "b", "c"])
    assert s == {"hit@1": 0.0, "hit@2": 1.0, "hit@5": 1.0, "mrr@10": 0.5, "recall@5": 1.0}
    s = retrieval_scores(["b", "z"], ["a", "c", "d", "e", "f", "b"])
    assert s["hit@5"] == 0.0 and s["recall@5"] == 0.0 and s["mrr@10"] == pytest.approx(1 / 6)
    assert retrieval_scores(["b", "c"], ["c", "x", "b"])["recall@5"] == 1.0
    assert retrieval_scores(["b"], [])["mrr@10"] == 0.0  # llama-index raises on empty lists
    assert set(retrieval_scores([], ["a"]).values()) == {None}


# ---------------------------------------------------------------- citations and quotes


def test_citation_precision_recall() -> None:
    assert citation_scores(["a", "a", "c"], ["a", "b"]) == (0.5, 0.5)
    assert citation_scores(["a"], ["a"]) == (1.0, 1.0)
    assert citation_scores([], ["a"]) == (None, 0.0)
    assert citation_scores(["a"], []) == (None, None)


def test_quote_validity() -> None:
    ok, shifted, missing = cite(1, "a.txt"), cite(2, "a.txt", quote="bridge!"), cite(3, "b.txt")
    flags = quote_validity(answer("x", cites=[ok, shifted, missing]), {"a.txt": ARTICLE})
    assert flags == [True, False, False]


# ---------------------------------------------------------------- one question


def test_score_question_correct() -> None:
    r = score_question(
        q(sources=["a.txt"]),
        answer("March 3, 2024", cites=[cite(1, "a.txt")]),
        retrieved=["a.txt", "b.txt"],
        articles={"a.txt": ARTICLE},
        latency_ms=12.0,
    )
    assert r.correct and r.why == ()
    assert r.scores["acc_short"] == 1.0 and r.scores["hit@1"] == 1.0
    assert r.scores["cite_precision"] == 1.0 and r.scores["quote_valid"] == 1.0


def test_score_question_explains_wrong_answers() -> None:
    r = score_question(
        q(sources=["a.txt"]),
        answer("Port Alden", "It reopened March 3, 2024.", cites=[cite(1, "b.txt")]),
        retrieved=["b.txt"],
        articles={"a.txt": ARTICLE},
        latency_ms=1.0,
    )
    assert not r.correct
    assert r.scores["acc_short"] == 0.0 and r.scores["acc_text"] == 1.0
    why = " ".join(r.why)
    assert "but the full text does" in why
    assert "not in the top 5" in why or "no expected source" in why
    assert "cited unexpected source(s): b.txt" in why
    assert "quote of citation(s) [1]" in why

    r = score_question(
        q(), answer(abstained=True, text="No."), retrieved=[], articles={}, latency_ms=1
    )
    assert not r.correct and r.why == ("abstained on an answerable question",)
    assert r.scores["acc_text"] == 0.0  # an abstention never counts as the answer


def test_score_question_abstain_type() -> None:
    right = score_question(
        q("abstain"), answer(abstained=True, text="No."), retrieved=[], articles={}, latency_ms=1
    )
    assert right.correct and right.scores["acc_short"] is None
    wrong = score_question(q("abstain"), answer("1"), retrieved=[], articles={}, latency_ms=1)
    assert not wrong.correct and "answered an unanswerable question" in wrong.why[0]


# ---------------------------------------------------------------- aggregates


def _results() -> list[Any]:
    a = {"a.txt": ARTICLE}
    good = answer("March 3, 2024", cites=[cite(1, "a.txt")])
    return [
        score_question(
            q(id="f1", sources=["a.txt"]), good, retrieved=["a.txt"], articles=a, latency_ms=10
        ),
        score_question(q(id="f2"), answer("no"), retrieved=[], articles=a, latency_ms=20),
        score_question(
            q(id="f3"), answer(abstained=True, text="-"), retrieved=[], articles=a, latency_ms=30
        ),
        score_question(
            q("abstain", id="a1"),
            answer(abstained=True, text="-"),
            retrieved=[],
            articles=a,
            latency_ms=40,
        ),
        score_question(q("abstain", id="a2"), answer("x"), retrieved=[], articles=a, latency_ms=50),
        score_question(
            q("followup", id="u1", sources=["a.txt"]),
            good,
            retrieved=["b.txt", "a.txt"],
            articles=a,
            latency_ms=60,
        ),
    ]


def test_aggregate_and_by_type() -> None:
    m = aggregate(_results())
    # Abstained on f3 (wrong) and a1 (right); a2 answered: P = 1/2, R = 1/2.
    assert m["abstain_precision"] == 0.5 and m["abstain_recall"] == 0.5
    assert m["abstain_rate"] == pytest.approx(2 / 6)
    assert m["acc_short"] == pytest.approx(2 / 4)  # f1 and u1 right of 4 answerable
    assert m["accuracy"] == pytest.approx(3 / 6)  # plus a1
    assert m["latency_p50_ms"] == pytest.approx(35.0)
    assert m["latency_p95_ms"] == pytest.approx(float(np.percentile([10, 20, 30, 40, 50, 60], 95)))
    assert m["quote_valid"] == 1.0
    assert m["mrr@10"] == pytest.approx(0.75)  # only questions with sources: f1 1.0, u1 0.5
    t = by_type(_results())
    assert list(t) == ["fact", "followup", "abstain"]
    assert t["fact"]["n"] == 3 and t["followup"]["hit@1"] == 0.0
    assert t["fact"]["abstain_recall"] is None


def test_percentile_matches_numpy() -> None:
    xs = [5.0, 1.0, 9.0, 3.0, 7.5]
    for p in (0, 50, 95, 100):
        assert percentile(xs, p) == pytest.approx(float(np.percentile(xs, p)))
    assert math.isnan(percentile([], 50))


# ---------------------------------------------------------------- suites


def test_load_suite_resolves_corpus_and_gates(tmp_path: Path) -> None:
    s = load_suite(TINY)
    assert s.corpus == ((TINY.parent / "articles").resolve(),)
    assert list(s.configs) == ["hybrid", "bm25"]
    assert s.gates("hybrid")["hit@5"] == 0.5 and s.gates("bm25") == {}
    per = load_suite(
        {
            "name": "x",
            "corpus": "c",
            "configs": {"a": {}, "b": {}},
            "thresholds": {"b": {"acc_short[fact]": 0.3}},
            "questions": [{"id": 1, "question": "q?", "answers": [132]}],
        }
    )
    assert per.gates("a") == {} and per.gates("b") == {"acc_short[fact]": 0.3}
    assert per.questions[0].answers == ("132",) and per.questions[0].id == "1"


@pytest.mark.parametrize(
    "question",
    [
        {"id": "x", "question": "q?", "type": "abstain", "answers": ["a"]},
        {"id": "x", "question": "q?", "type": "fact"},
        {"id": "x", "question": "q?", "type": "followup", "answers": ["a"]},
        {"id": "x", "question": "q?", "type": "opinion", "answers": ["a"]},
    ],
)
def test_invalid_questions_are_config_errors(question: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        load_suite({"name": "x", "corpus": "c", "questions": [question]})


def test_load_rtqa_maps_and_skips(tmp_path: Path) -> None:
    rows = [
        {"id": "q1", "question": "Who?", "question_date": "2022-07-01", "answer": "Ann",
         "choices": ["Ann", "Bo"], "gold_doc_ids": ["rtqa-1"], "type": "fact",
         "needs_choices": False},
        {"id": "q2", "question": "Which of these?", "question_date": "2022-07-01", "answer": "Bo",
         "choices": ["Ann", "Bo"], "gold_doc_ids": ["rtqa-2"], "type": "fact",
         "needs_choices": True},
        {"id": "q3", "question": "Who won?", "question_date": "2025-01-03", "answer": None,
         "type": "abstain", "gold_doc_ids": [], "needs_choices": False},
    ]  # fmt: skip
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    s = load_rtqa(tmp_path / "corpus.jsonl", path)
    assert [x.id for x in s.questions] == ["q1", "q3"]
    assert s.skipped == {"needs_choices": 1}
    f, a = s.questions
    assert f.answers == ("Ann",) and f.sources == ("rtqa-1",) and f.as_of == "2022-07-01"
    assert a.type == "abstain" and a.as_of == "2025-01-03"


# ---------------------------------------------------------------- gates, reports, comparison


def _report(results: list[Any], created: str = "2026-01-01T00:00:00+00:00") -> Report:
    c = ConfigResult(
        name="hybrid",
        settings={"retrieval_mode": "hybrid"},
        metrics=aggregate(results),
        by_type=by_type(results),
        questions=tuple(results),
        answer_mode="extractive",
    )
    return Report(
        suite="unit",
        created=created,
        corpus=("c",),
        n_questions=len(results),
        configs={"hybrid": c},
        checks=tuple(check_thresholds(c, {"acc_short": 0.9, "latency_p95_ms": 1000})),
    )


def test_thresholds_min_max_and_per_type() -> None:
    rep = _report(_results())
    by_key = {c.key: c for c in rep.checks}
    assert not by_key["acc_short"].passed and by_key["acc_short"].kind == "min"
    assert by_key["latency_p95_ms"].passed and by_key["latency_p95_ms"].kind == "max"
    assert not rep.passed
    (chk,) = check_thresholds(rep.configs["hybrid"], {"acc_short[followup]": 1.0})
    assert chk.passed and chk.qtype == "followup"
    (none,) = check_thresholds(rep.configs["hybrid"], {"acc_short[conflict]": 0.1})
    assert not none.passed and none.value is None  # no such questions: the gate fails loudly
    assert parse_gate("hit@5[fact]") == ("hit@5", "fact")
    with pytest.raises(ConfigError):
        parse_gate("accuracyy")


def test_report_writers(tmp_path: Path) -> None:
    rep = _report(_results())
    paths = write_reports(rep, tmp_path / "out")
    assert all(p.is_file() for p in paths.values())
    assert Report.load(paths["json"]) == rep
    assert Report.load(json.loads(paths["json"].read_text())) == rep
    html = paths["html"].read_text()
    assert html.count("<img") >= 2 and "data:image/png;base64," in html
    assert "<th>why wrong</th>" in html and "answered an unanswerable question" in html
    assert ">u1<" in html and ">a2<" in html
    md = paths["md"].read_text()
    assert "| hybrid | extractive |" in md and "## Wrong answers: hybrid" in md


def test_compare_deltas(tmp_path: Path) -> None:
    results = _results()
    old = _report(results)
    f2 = results[1]
    f2 = f2.model_copy(update={"correct": True, "scores": {**f2.scores, "acc_short": 1.0}})
    u1 = results[-1].model_copy(update={"correct": False})
    new = _report([results[0], f2, *results[2:-1], u1], created="2026-02-01T00:00:00+00:00")
    path = tmp_path / "old.json"
    path.write_text(old.to_json())
    cmp = compare(path, new)
    d = {(x.scope, x.metric): x for x in cmp.deltas}
    assert d[("overall", "acc_short")].delta == pytest.approx(0.25)
    assert d[("overall", "acc_short")].improved is True
    assert d[("followup", "accuracy")].delta == pytest.approx(-1.0)
    assert d[("followup", "accuracy")].improved is False
    assert d[("overall", "hit@1")].improved is None
    assert cmp.newly_wrong == {"hybrid": ("u1",)} and cmp.newly_right == {"hybrid": ("f2",)}
    assert any(x.metric == "accuracy" for x in cmp.regressions)


def test_cli_parser_and_gate_exit_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    add_eval_parser(sub)
    args = parser.parse_args(
        ["eval", str(TINY), "--out", str(tmp_path), "--config", "bm25", "--config", "hybrid"]
    )
    assert args.configs == ["bm25", "hybrid"] and args.compare is None
    failing = _report(_results())
    passing = failing.model_copy(update={"checks": ()})
    seen: dict[str, Any] = {}

    def fake_run(suite: Any, **kw: Any) -> Report:
        seen.update(kw, suite=suite)
        return failing if kw["configs"] == ["bm25", "hybrid"] else passing

    monkeypatch.setattr("assistant.evals.runner.run_suite", fake_run)
    assert args.func(args) == 1
    assert seen["suite"] == str(TINY) and seen["out"] == str(tmp_path)
    corpus, questions = tmp_path / "c.jsonl", tmp_path / "q.jsonl"
    corpus.write_text("", encoding="utf-8")
    questions.write_text("", encoding="utf-8")
    args = parser.parse_args(
        ["eval", "rtqa", "--corpus", str(corpus), "--questions", str(questions)]
    )
    monkeypatch.setattr(
        "assistant.evals.suite.load_rtqa", lambda c, qs, **kw: ("rtqa", c, qs, kw["configs"])
    )
    assert args.func(args) == 0
    assert seen["suite"][:3] == ("rtqa", corpus, questions) and seen["configs"] == ["hybrid"]
    # --rtqa names the benchmark's folder; its standard file names are used inside it.
    (tmp_path / "corpus_small.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "dev.jsonl").write_text("", encoding="utf-8")
    assert (
        parser.parse_args(["eval", "rtqa", "--rtqa", str(tmp_path)]).func(
            parser.parse_args(["eval", "rtqa", "--rtqa", str(tmp_path)])
        )
        == 0
    )
    assert seen["suite"][1:3] == (tmp_path / "corpus_small.jsonl", tmp_path / "dev.jsonl")


def test_eval_rtqa_without_the_benchmark_says_where_it_looked(capsys, tmp_path: Path) -> None:
    from assistant.cli import main

    missing = tmp_path / "no-bench"
    assert main(["eval", "rtqa", "--rtqa", str(missing)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"rtqa corpus not found at {missing / 'corpus_small.jsonl'}" in err
    assert "--rtqa DIR" in err and "Traceback" not in err


# ---------------------------------------------------------------- end to end


@pytest.mark.slow
def test_run_suite_end_to_end(tmp_path: Path, embedder: Any) -> None:
    old = tmp_path / "old.json"
    old.write_text(_report(_results()).to_json())
    rep = run_suite(TINY, out=tmp_path / "out", embedder=embedder, compare=old)
    assert list(rep.configs) == ["hybrid", "bm25"] and rep.n_questions == 6
    for c in rep.configs.values():
        assert c.answer_mode == "extractive"
        assert c.metrics["quote_valid"] == 1.0
        assert c.metrics["hit@5"] == 1.0
        ids = [r.id for r in c.questions]
        assert ids == ["f1", "f2", "m1", "c1", "u1", "a1"]
        by_id = {r.id: r for r in c.questions}
        assert by_id["f1"].correct, by_id["f1"].why
        # Unanswerable: never a short answer (abstained, or only the closest passages).
        assert not by_id["a1"].short, by_id["a1"].text
        follow = by_id["u1"]
        assert follow.history and follow.history[0][0].startswith("Who cut the ribbon")
        assert all(r.latency_ms > 0 for r in c.questions)
    # The tiny suite gates hybrid only; its gates are loose enough to pass.
    assert {ch.config for ch in rep.checks} == {"hybrid"} and rep.passed, rep.checks
    assert rep.comparison is not None and rep.comparison.deltas
    assert (tmp_path / "out" / "report.html").stat().st_size > 10_000
    again = run_suite(TINY, embedder=embedder, configs=["bm25"], store=tmp_path / "store")
    assert list(again.configs) == ["bm25"]
    with pytest.raises(ConfigError):
        run_suite(TINY, embedder=embedder, configs=["nope"])


@pytest.mark.slow
def test_seeds_suite_meets_its_thresholds(embedder: Any, seeds_dir: Path) -> None:
    """The CI gate: the hybrid config of evals/seeds.yaml must meet the suite's thresholds."""
    suite = Path(__file__).resolve().parent.parent / "evals" / "seeds.yaml"
    rep = run_suite(suite, configs=["hybrid"], embedder=embedder)
    failed = [f"{c.key}: {c.value} < {c.bound}" for c in rep.checks if not c.passed]
    assert rep.checks and not failed, failed


@pytest.mark.slow
def test_conversation_suite_meets_its_thresholds(embedder: Any, tmp_path: Path) -> None:
    """The CI gate on follow-ups: evals/conversations.yaml (two- and three-turn chats over a
    few rtqa-weeks articles and the seeds) must meet its thresholds, among them the share of
    follow-ups whose standalone question names the right antecedent."""
    suite = Path(__file__).resolve().parent.parent / "evals" / "conversations.yaml"
    loaded = load_suite(suite)
    missing = [str(p) for p in loaded.corpus if not p.exists()]
    if missing:
        pytest.fail(
            f"the conversation suite's articles are not at {missing}: "
            "../shared must sit beside the repo"
        )
    rep = run_suite(loaded, configs=["hybrid"], embedder=embedder, store=tmp_path / "store")
    failed = [f"{c.key}: {c.value} < {c.bound}" for c in rep.checks if not c.passed]
    assert rep.checks and not failed, failed
    # Every turn was asked; each follow-up's standalone question is what was shown.
    questions = rep.configs["hybrid"].questions
    assert len(questions) == len(loaded.questions)
    assert all(q.standalone_question.strip() for q in questions)
