"""`assistant eval rtqa-weeks`: one store per week, reported by year, with the short-answer
precision, the wrong short answers and the confidence curve. The benchmark's layout is
rebuilt here from invented stories (tests/fixtures/news/harbor.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from news_fixture import harbor_articles

from assistant.cli import main
from assistant.errors import ConfigError
from assistant.evals.suite import load_rtqa_weeks, select_weeks

WEEKS = ["20230106", "20230113", "20240105"]


def _benchmark(root: Path) -> Path:
    """Three invented weeks: two stories each, a fact question and an unanswerable one."""
    (root / "corpus").mkdir(parents=True)
    stories = harbor_articles("bridge", "festival", "storm", "museum")
    questions = []
    for i, week in enumerate(WEEKS):
        pair = stories[(i % 2) * 2 : (i % 2) * 2 + 2]
        (root / "corpus" / f"{week}.jsonl").write_text(
            "".join(json.dumps(a) + "\n" for a in pair), encoding="utf-8"
        )
        first = pair[0]["id"]
        fact = (
            ("When will the bridge reopen?", "March 3, 2027")
            if first == "bridge"
            else ("How many homes did Cyclone Tavi destroy?", "1,240")
        )
        questions.append(
            {
                "id": f"{week}_0",
                "week": week,
                "question": fact[0],
                "question_date": "2026-12-01",
                "type": "fact",
                "answer": fact[1],
                "choices": [],
                "gold_doc_ids": [first],
            }
        )
        questions.append(
            {
                "id": f"{week}_1",
                "week": week,
                "question": "Which orchestra played at the opening of the new stadium?",
                "question_date": "2026-12-01",
                "type": "abstain",
                "answer": None,
                "source_answer": "invented",
                "gold_doc_ids": [],
            }
        )
    (root / "weeks.jsonl").write_text(
        "".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8"
    )
    return root


def test_select_weeks_reads_years_weeks_and_counts() -> None:
    assert select_weeks(WEEKS, "all") == WEEKS
    assert select_weeks(WEEKS, "2023") == WEEKS[:2]
    assert select_weeks(WEEKS, "2023:1,2024") == ["20230106", "20240105"]
    assert select_weeks(WEEKS, "20230113, 2023") == ["20230113", "20230106"]
    with pytest.raises(ConfigError, match="no week matches '2022'"):
        select_weeks(WEEKS, "2022")
    with pytest.raises(ConfigError, match="not a number of weeks"):
        select_weeks(WEEKS, "2023:x")


def test_load_rtqa_weeks_gives_a_suite_per_week(tmp_path: Path) -> None:
    suites = load_rtqa_weeks(_benchmark(tmp_path / "b"), "2023")
    assert [s.name for s in suites] == ["rtqa-weeks 20230106", "rtqa-weeks 20230113"]
    first = suites[0]
    assert [q.type for q in first.questions] == ["fact", "abstain"]
    assert first.questions[0].answers == ("March 3, 2027",)
    assert first.questions[0].as_of == "2026-12-01"
    assert first.corpus == (tmp_path / "b" / "corpus" / "20230106.jsonl",)


def test_a_missing_benchmark_or_week_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--rtqa-weeks DIR"):
        load_rtqa_weeks(tmp_path / "nowhere")
    root = _benchmark(tmp_path / "b")
    (root / "corpus" / "20240105.jsonl").unlink()
    with pytest.raises(ConfigError, match="week 20240105 is missing"):
        load_rtqa_weeks(root, "2024")


@pytest.mark.slow
def test_eval_rtqa_weeks_reports_each_year(tmp_path: Path, capsys, cli_model) -> None:
    root = _benchmark(tmp_path / "b")
    out = tmp_path / "report"
    stores = tmp_path / "stores"
    code = main(
        [
            "eval",
            "rtqa-weeks",
            "--rtqa-weeks",
            str(root),
            "--store",
            str(stores),
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert list(report["configs"]) == ["2023", "2024"]
    assert report["n_questions"] == 6
    y2023 = report["configs"]["2023"]
    assert len(y2023["questions"]) == 4
    for metric in ("short_precision", "wrong_short", "acc_short", "abstain_recall"):
        assert metric in y2023["metrics"]
    # Each question scored against its own week's store, wrong ones with the reason.
    for q in y2023["questions"]:
        assert q["id"][:8] in ("20230106", "20230113")
        assert q["correct"] or q["why"]
        if q["type"] == "fact" and not q["abstained"]:
            assert q["citations"] and q["citations"][0]["valid"]
    assert sorted(p.name for p in stores.iterdir()) == WEEKS
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "precision and coverage by confidence: 2023" in md
    assert "shortP" in printed and "wrong" in printed


def test_a_question_listed_twice_is_asked_once_and_a_reused_id_is_refused(tmp_path: Path) -> None:
    root = _benchmark(tmp_path / "b")
    path = root / "weeks.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[0]]) + "\n", encoding="utf-8")
    first = load_rtqa_weeks(root, "20230106")[0]
    assert [q.id for q in first.questions] == ["20230106_0", "20230106_1"]
    assert first.skipped == {"duplicate": 1}

    other = json.loads(lines[0]) | {"question": "Who opened the bridge?"}
    path.write_text("\n".join([*lines, json.dumps(other)]) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"weeks\.jsonl: question id 20230106_0 is given to two"):
        load_rtqa_weeks(root, "20230106")
