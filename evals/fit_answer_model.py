"""Fit the offline answer model (assistant/answering/data/answer_model.json) on rtqa-weeks.

    .venv/bin/pip install -e ".[train]"          # scikit-learn, for fitting only
    .venv/bin/python evals/fit_answer_model.py collect --weeks 2023,2024 --stores DIR
    .venv/bin/python evals/fit_answer_model.py collect --rtqa-dev RTQA_STORE
    .venv/bin/python evals/fit_answer_model.py fit --fit 2023,dev --check 2024
    .venv/bin/python evals/fit_answer_model.py show

`collect` asks each week's questions against that week's store (ingesting it when missing:
the same stores `assistant eval rtqa-weeks --store DIR` uses) and writes, per question, the
candidate values with their features (assistant/answering/features.py), the evidence
features and the labels: which candidate contains the gold answer, whether the passages do.
The data is read from ../shared at run time and the cache stays outside the repository.
`collect --rtqa-dev` adds the rtqa dev questions (cached as weeks "dev<date>"): they are
easier than the weekly quizzes, and a confidence calibrated on quizzes alone is too shy on a
plain question whose answer one sentence states.

`fit` fits three logistic regressions on the `--fit` weeks (scores for the later stages come
from models fitted without the week being scored, so the confidence is calibrated on unseen
weeks), picks the short-answer threshold for precision >= --precision on the fit weeks and
the passages threshold that maximises right answers plus right abstentions there, then prints
the same figures for the `--check` weeks, which nothing was fitted on, beside the rules' own
answers (what the answerer gives without the model). No feature or rule names a question.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench" / "rtqa-weeks"
SHARED_RTQA = ROOT.parent / "shared" / "bench" / "rtqa"
CACHE = ROOT.parent / "answer-model-cache" / "features.jsonl"
MODEL = ROOT / "assistant" / "answering" / "data" / "answer_model.json"

logger = logging.getLogger("fit_answer_model")

# How much a right abstention counts against a right text when the passages threshold is
# chosen: quoting the closest passages for a question they do not answer states nothing false
# (the answer says they are only the closest), while abstaining on one they do answer loses a
# right answer; so an abstention counts half.
ABSTENTION_WEIGHT = 0.5


# ---------------------------------------------------------------------------------- collect
def collect(args: argparse.Namespace) -> None:
    from assistant import Assistant
    from assistant.evals.suite import load_rtqa, load_rtqa_weeks

    cache = Path(args.cache)
    cache.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if cache.exists():
        done = {json.loads(line)["id"] for line in cache.read_text().splitlines() if line}
    embedder = None
    with cache.open("a", encoding="utf-8") as out:
        if args.rtqa_dev:
            # The rtqa dev questions, asked of one store of the benchmark's corpus: easier
            # than the weekly quizzes (the answer is usually stated in one retrieved
            # sentence), so a confidence fitted with them is calibrated on easy questions too.
            suite = load_rtqa(SHARED_RTQA / "corpus_small.jsonl", SHARED_RTQA / "dev.jsonl")
            todo = [q for q in suite.questions if _dev_id(q.id) not in done]
            if todo:
                a = Assistant(store=Path(args.rtqa_dev), answerer="extractive")
                _collect_questions(a, todo, out, week_of=lambda q: "dev" + q.id.split("_")[0])
            return
        if not args.stores:
            sys.exit("collect: pass --stores DIR (a folder of per-week stores) or --rtqa-dev STORE")
        stores = Path(args.stores)
        for suite in load_rtqa_weeks(args.rtqa_weeks, args.weeks):
            week = suite.name.rsplit(" ", 1)[-1]
            todo = [q for q in suite.questions if q.id not in done]
            if not todo:
                continue
            store = stores / week
            if not (store / "chroma").exists() and not args.ingest:
                logger.info("week %s: no store at %s (pass --ingest to build it)", week, store)
                continue
            a = Assistant(store=store, answerer="extractive", embedder=embedder)
            embedder = a.embedder
            if args.ingest:
                a.ingest(list(suite.corpus))
            _collect_questions(a, todo, out, week_of=lambda q, w=week: w)


def _dev_id(qid: str) -> str:
    """An rtqa dev question's id in the cache: its own ids share the weeks' form."""
    return f"dev-{qid}"


def _collect_questions(
    a: Any, todo: Sequence[Any], out: Any, week_of: Callable[[Any], str]
) -> None:
    from assistant.answering.base import Draft
    from assistant.answering.extractive import ExtractiveAnswerer
    from assistant.answering.spans import fuller
    from assistant.evals.suite import contains

    rules = ExtractiveAnswerer(a.embedder, model=None)
    t = time.perf_counter()
    week = ""
    for q in todo:
        week = week_of(q)
        res = a.retrieve(q.question, as_of=q.as_of)
        gold = q.answers[0] if q.answers else None
        qid = _dev_id(q.id) if week.startswith("dev") else q.id
        rec: dict[str, Any] = {
            "id": qid,
            "week": week,
            "type": q.type,
            "gold": gold,
            "question": q.question,
        }
        if not res.chunks:
            rec.update(kind="", candidates=[], evidence={}, rules={"abstained": True})
            out.write(json.dumps(rec) + "\n")
            continue
        reading = rules.read(q.question, res.chunks, res.query_vec, window=res.window, learned=True)
        base: Draft = rules.answer(q.question, res.chunks, res.query_vec, window=res.window)
        passages = ""
        if reading.scored:
            passages = rules._compose(reading.scored, [], [], None).text
        rec.update(
            kind=reading.analysis.kind,
            wh=reading.analysis.wh,
            parts=len(reading.parts),
            best_score=reading.scored[0].score if reading.scored else 0.0,
            # The sentences as scored, best first: kept so that a new sentence or
            # candidate feature can be tried without asking every question again.
            sentences=[
                {
                    "doc": s.rc.article.doc_id,
                    "rank": s.rc.rank,
                    "text": s.text,
                    "score": s.score,
                    "right": _right(s.text, gold, contains),
                }
                for s in reading.scored[:40]
            ],
            candidates=[
                {
                    "text": v.text,
                    "label": v.label,
                    "sentence": v.sentence.text,
                    "features": row,
                    "right": _right(v.text, gold, contains),
                    # As a short answer states it: a name in full.
                    "full_right": _right(fuller(v.text, v.label, v.sentence.text), gold, contains),
                    # The right value in a shorter form ("Benedict XVI" for "Pope
                    # Benedict XVI"): right for the ranking, which picks the value.
                    "part_right": _part(v.text, gold),
                    # Quoted first when no short answer is stated.
                    "sentence_right": _right(v.sentence.text, gold, contains),
                }
                for v, row in zip(reading.found.votes, reading.rows, strict=True)
            ]
            if reading.found is not None
            else [],
            evidence=reading.evidence,
            passages_right=_right(passages, gold, contains),
            rules={
                "abstained": base.abstained,
                "short": base.short,
                "short_right": _right(base.short, gold, contains),
                "text_right": _right(base.text, gold, contains) and not base.abstained,
            },
        )
        out.write(json.dumps(rec) + "\n")
        out.flush()
    logger.info("%s: %d questions in %.1fs", week, len(todo), time.perf_counter() - t)


def _right(text: str, gold: str | None, contains: Any) -> bool:
    return bool(gold) and bool(text) and bool(contains(text, gold))


def _shown_right(cd: dict[str, Any]) -> bool:
    """The candidate as a short answer states it holds the gold answer."""
    return bool(cd.get("full_right", cd["right"]))


def _value_right(cd: dict[str, Any]) -> bool:
    """The candidate is the right value, in full, as stated, or in a shorter form."""
    return bool(cd["right"] or cd.get("full_right") or cd.get("part_right"))


def _part(text: str, gold: str | None) -> bool:
    """`text` is at least half of the gold answer's words, all of them in it."""
    from assistant.evals.suite import contains, norm

    if not gold or not text or not contains(gold, text):
        return False
    return len(norm(text).split()) * 2 >= len(norm(gold).split())


# -------------------------------------------------------------------------------------- fit
def _load(cache: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines() if line]


def _in(rec: dict[str, Any], spec: str) -> bool:
    return any(rec["week"].startswith(p.strip()) for p in spec.split(",") if p.strip())


def _fit_logistic(x: np.ndarray, y: np.ndarray, names: Sequence[str], c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    from assistant.answering.model import Logistic

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    if len(set(y.tolist())) < 2:
        coef = np.zeros(x.shape[1])
        p = float(np.clip(y.mean(), 1e-3, 1 - 1e-3))
        return Logistic(tuple(names), mean, scale, coef, math.log(p / (1 - p)))
    lr = LogisticRegression(C=c, max_iter=2000)
    lr.fit((x - mean) / scale, y)
    return Logistic(tuple(names), mean, scale, lr.coef_[0].copy(), float(lr.intercept_[0]))


def _fit_listwise(
    groups: Sequence[tuple[np.ndarray, np.ndarray]], names: Sequence[str], c: float
) -> Any:
    """A conditional logit: the weights that make the right candidates of each question
    likeliest among that question's candidates (softmax within a question, L2 penalty
    1 / (2c) per weight), which is what ranking them needs; a pointwise logistic regression
    also spends weights on telling easy questions from hard ones."""
    from scipy.optimize import minimize

    from assistant.answering.model import Logistic

    usable = [(x, y) for x, y in groups if y.any() and not y.all()]
    allx = np.vstack([x for x, _ in groups])
    mean = allx.mean(axis=0)
    scale = allx.std(axis=0)
    scale[scale == 0] = 1.0
    zs = [((x - mean) / scale, y.astype(bool)) for x, y in usable]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for z, y in zs:
            s = z @ w
            top = s.max()
            p = np.exp(s - top)
            p /= p.sum()
            pr = p[y].sum()
            total -= math.log(max(pr, 1e-300))
            # d/dw of -log(sum_right p): expected features minus those of the right ones.
            q = np.where(y, p, 0.0) / max(pr, 1e-300)
            grad -= (q - p) @ z
        total += (w @ w) / (2 * c)
        grad += w / c
        return total, grad

    res = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B")
    return Logistic(tuple(names), mean, scale, res.x, 0.0)


def _matrix(rows: Sequence[dict[str, float]], names: Sequence[str]) -> np.ndarray:
    return np.array([[r[n] for n in names] for r in rows], dtype=np.float64).reshape(
        len(rows), len(names)
    )


class Stages:
    """The three models, fitted on some records and applied to others."""

    def __init__(self, recs: Sequence[dict[str, Any]], c: float, listwise: bool = False) -> None:
        from assistant.answering.features import (
            CANDIDATE_FEATURES,
            CONFIDENCE_FEATURES,
            EVIDENCE_FEATURES,
        )

        self.c = c
        cand_rows = [cd["features"] for r in recs for cd in r["candidates"]]
        cand_y = np.array([_value_right(cd) for r in recs for cd in r["candidates"]], dtype=int)
        if listwise:
            groups = [
                (
                    _matrix([cd["features"] for cd in r["candidates"]], CANDIDATE_FEATURES),
                    np.array([_value_right(cd) for cd in r["candidates"]], dtype=int),
                )
                for r in recs
                if r["candidates"]
            ]
            self.rank = _fit_listwise(groups, CANDIDATE_FEATURES, c)
        else:
            self.rank = _fit_logistic(
                _matrix(cand_rows, CANDIDATE_FEATURES), cand_y, CANDIDATE_FEATURES, c
            )
        conf_rows, conf_y = [], []
        for r in recs:
            f, right = self.confidence_row(r)
            if f is not None:
                conf_rows.append(f)
                conf_y.append(right)
        self.confidence = _fit_logistic(
            _matrix(conf_rows, CONFIDENCE_FEATURES),
            np.array(conf_y, dtype=int),
            CONFIDENCE_FEATURES,
            c,
        )
        ev_rows, ev_y = [], []
        for r in recs:
            f = self.evidence_row(r)
            if f is not None:
                ev_rows.append(f)
                top = top_of(self, r)
                shown = r.get("passages_right", False) or bool(top and top["sentence_right"])
                ev_y.append(int(r["type"] == "fact" and shown))
        self.evidence = _fit_logistic(
            _matrix(ev_rows, EVIDENCE_FEATURES), np.array(ev_y, dtype=int), EVIDENCE_FEATURES, c
        )

    def ranked(self, r: dict[str, Any]) -> list[tuple[float, dict[str, Any]]]:
        cands = r["candidates"]
        if not cands:
            return []
        logits = self.rank.logits([cd["features"] for cd in cands])
        return sorted(zip(logits.tolist(), cands, strict=True), key=lambda p: -p[0])

    def confidence_row(self, r: dict[str, Any]) -> tuple[dict[str, float] | None, bool]:
        from assistant.answering.features import confidence_features
        from assistant.answering.question import Analysis

        ranked = self.ranked(r)
        if not ranked:
            return None, False
        analysis = Analysis("", "", (), r["kind"])
        f = confidence_features(
            [lg for lg, _ in ranked],
            [cd["features"] for _, cd in ranked],
            analysis,
            r["best_score"],
        )
        return f, _shown_right(ranked[0][1])

    def confidence_of(self, r: dict[str, Any]) -> float:
        f, _ = self.confidence_row(r)
        return self.confidence.probability(f) if f is not None else 0.0

    def evidence_row(self, r: dict[str, Any]) -> dict[str, float] | None:
        if not r.get("evidence"):
            return None
        return {**r["evidence"], "top_prob": self.confidence_of(r)}

    def evidence_of(self, r: dict[str, Any]) -> float:
        f = self.evidence_row(r)
        return self.evidence.probability(f) if f is not None else 0.0


def _model_records(recs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The questions the model decides: typed and phrase questions in one part (why,
    choice and two-part questions stay with the rules)."""
    return [
        r
        for r in recs
        if r.get("kind") in ("date", "number", "entity", "phrase") and not r.get("parts")
    ]


def out_of_fold(
    recs: Sequence[dict[str, Any]], c: float, folds: int = 5, listwise: bool = False
) -> list[tuple[float, float, dict[str, Any] | None]]:
    """(confidence, evidence, best candidate) for each record from stages fitted without its
    week's fold: what the fit weeks look like to a model that has not seen them."""
    weeks = sorted({r["week"] for r in recs})
    fold_of = {w: i % folds for i, w in enumerate(weeks)}
    out: dict[str, tuple[float, float, dict[str, Any] | None]] = {}
    for k in range(folds):
        train = [r for r in recs if fold_of[r["week"]] != k]
        test = [r for r in recs if fold_of[r["week"]] == k]
        if not test:
            continue
        st = Stages(train, c, listwise)
        for r in test:
            out[r["id"]] = (st.confidence_of(r), st.evidence_of(r), top_of(st, r))
    return [out[r["id"]] for r in recs]


def decide(
    r: dict[str, Any],
    conf: float,
    ev: float,
    t_short: float,
    t_pass: float,
    top: dict[str, Any] | None,
) -> dict[str, Any]:
    """What the answer would be, scored as the eval scores it."""
    from assistant.answering.extractive import off_topic

    fact = r["type"] == "fact"
    if off_topic(r.get("evidence") or {}) or not r["candidates"]:
        return {"form": "abstain", "short": False, "text": False, "abstain_ok": not fact}
    if top is not None and conf >= t_short:
        right = _shown_right(top)
        return {
            "form": "short",
            "short": right,
            "text": fact and (right or r["passages_right"]),
            "abstain_ok": not fact,
        }
    if ev >= t_pass and r.get("evidence"):
        return {
            "form": "passages",
            "short": False,
            "text": fact and r["passages_right"],
            "abstain_ok": False,
        }
    return {"form": "abstain", "short": False, "text": False, "abstain_ok": not fact}


def table(recs: Sequence[dict[str, Any]], decisions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    facts = [d for r, d in zip(recs, decisions, strict=True) if r["type"] == "fact"]
    abst = [d for r, d in zip(recs, decisions, strict=True) if r["type"] == "abstain"]
    shorts = [d for d in decisions if d["form"] == "short"]
    given = len(shorts)
    right = sum(d["short"] for d in shorts)
    return {
        "questions": len(recs),
        "facts": len(facts),
        "abstain_qs": len(abst),
        "short": right / len(facts) if facts else None,
        "short_precision": right / given if given else None,
        "wrong_short": given - right,
        "text": sum(d["text"] for d in facts) / len(facts) if facts else None,
        "abstention": sum(d["abstain_ok"] for d in abst) / len(abst) if abst else None,
        "forms": {
            f: sum(d["form"] == f for d in decisions) for f in ("short", "passages", "abstain")
        },
    }


def rules_table(recs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    decisions = []
    for r in recs:
        ru = r["rules"]
        fact = r["type"] == "fact"
        if ru["abstained"]:
            decisions.append(
                {"form": "abstain", "short": False, "text": False, "abstain_ok": not fact}
            )
        elif ru.get("short"):
            decisions.append(
                {
                    "form": "short",
                    "short": bool(ru["short_right"]),
                    "text": bool(ru["text_right"]),
                    "abstain_ok": False,
                }
            )
        else:
            decisions.append(
                {
                    "form": "passages",
                    "short": False,
                    "text": bool(ru["text_right"]),
                    "abstain_ok": False,
                }
            )
    return table(recs, decisions)


def choose_thresholds(
    recs: Sequence[dict[str, Any]],
    scores: Sequence[tuple[float, float]],
    tops: Sequence[dict[str, Any] | None],
    precision: float,
    abstention_weight: float = ABSTENTION_WEIGHT,
) -> tuple[float, float]:
    """The lowest short threshold whose precision on `recs` (out-of-fold) is >= `precision`,
    then the passages threshold that maximises right texts plus weighted right abstentions."""
    grid = [i / 100 for i in range(5, 100)]
    t_short = 0.99
    for t in grid:
        dec = [
            decide(r, c, e, t, 1.1, top) for r, (c, e), top in zip(recs, scores, tops, strict=True)
        ]
        tab = table(recs, dec)
        if tab["short_precision"] is not None and tab["short_precision"] >= precision:
            t_short = t
            break
    best, t_pass = -1.0, 0.5
    for t in grid:
        dec = [
            decide(r, c, e, t_short, t, top)
            for r, (c, e), top in zip(recs, scores, tops, strict=True)
        ]
        # Counts, not rates: with rates each of the few unanswerable questions outweighed
        # several answerable ones, and the threshold swung with every week added. A right
        # abstention weighs ABSTENTION_WEIGHT of a right text.
        value = sum(d["text"] for d in dec) + abstention_weight * sum(
            d["abstain_ok"] for r, d in zip(recs, dec, strict=True) if r["type"] == "abstain"
        )
        if value > best:
            best, t_pass = value, t
    return t_short, t_pass


def fit(args: argparse.Namespace) -> None:
    from assistant.answering.model import AnswerModel

    recs = _load(Path(args.cache))
    fit_recs = _model_records([r for r in recs if _in(r, args.fit)])
    check_recs = _model_records([r for r in recs if _in(r, args.check)])
    if not fit_recs:
        sys.exit(f"no collected questions for --fit {args.fit} in {args.cache}")
    oof3 = out_of_fold(fit_recs, args.c, listwise=args.listwise)
    oof = [(c, e) for c, e, _ in oof3]
    oof_tops = [t for _, _, t in oof3]
    stages = Stages(fit_recs, args.c, args.listwise)
    t_short, t_pass = choose_thresholds(
        fit_recs, oof, oof_tops, args.precision, args.abstention_weight
    )
    model = AnswerModel(
        stages.rank,
        stages.confidence,
        stages.evidence,
        t_short,
        t_pass,
        {
            "fitted_on": f"rtqa-weeks {args.fit}: {len(fit_recs)} questions, "
            f"{len({r['week'] for r in fit_recs})} weeks",
            "checked_on": f"rtqa-weeks {args.check}: {len(check_recs)} questions",
            "regularisation_C": args.c,
            "short_precision_target": args.precision,
            "refit": "python evals/fit_answer_model.py fit",
        },
    )
    report: dict[str, Any] = {"thresholds": {"short": t_short, "passages": t_pass}}
    sets: list[tuple[str, Any, Any, Any]] = [("fit (out-of-fold)", fit_recs, oof, oof_tops)]
    parts = [p.strip() for p in args.fit.split(",") if p.strip()]
    if len(parts) > 1:
        # Each fitted set on its own too: the quiz weeks and the easier dev questions are
        # calibrated together, and each should keep its precision.
        for part in parts:
            keep = [i for i, r in enumerate(fit_recs) if _in(r, part)]
            sets.append(
                (
                    f"fit {part} (out-of-fold)",
                    [fit_recs[i] for i in keep],
                    [oof[i] for i in keep],
                    [oof_tops[i] for i in keep],
                )
            )
    sets.append(
        (
            "check",
            check_recs,
            [(stages.confidence_of(r), stages.evidence_of(r)) for r in check_recs],
            [top_of(stages, r) for r in check_recs],
        )
    )
    for name, rs, scores, tops in sets:
        dec = [
            decide(r, c, e, t_short, t_pass, top)
            for r, (c, e), top in zip(rs, scores, tops, strict=True)
        ]
        report[name] = {
            "model": table(rs, dec),
            "rules": rules_table(rs),
            "ranking": ranking_table(rs, tops),
            "curve": curve(rs, scores, tops),
            "by_kind": {
                k: {
                    "model": table(
                        [r for r in rs if r["kind"] == k],
                        [d for r, d in zip(rs, dec, strict=True) if r["kind"] == k],
                    ),
                    "rules": rules_table([r for r in rs if r["kind"] == k]),
                }
                for k in sorted({r["kind"] for r in rs})
            },
        }
    print(json.dumps(report, indent=1))
    if args.write:
        Path(args.model).write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.model}", file=sys.stderr)
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1), encoding="utf-8")


def top_of(stages: Stages, r: dict[str, Any]) -> dict[str, Any] | None:
    ranked = stages.ranked(r)
    return ranked[0][1] if ranked else None


def ranking_table(
    rs: Sequence[dict[str, Any]], all_tops: Sequence[dict[str, Any] | None]
) -> dict[str, Any]:
    """Top-1 of the learned ranking against the rules' order (support), and how often any
    candidate is right (the ceiling for both)."""
    facts = [r for r in rs if r["type"] == "fact"]
    n = len(facts) or 1
    tops = [t for r, t in zip(rs, all_tops, strict=True) if r["type"] == "fact"]
    learned = sum(bool(t and _shown_right(t)) for t in tops)
    learned_value = sum(bool(t and _value_right(t)) for t in tops)
    support = sum(bool(r["candidates"] and _shown_right(r["candidates"][0])) for r in facts)
    ceiling = sum(any(_value_right(cd) for cd in r["candidates"]) for r in facts)
    return {
        "top1_learned": learned / n,
        "top1_learned_value": learned_value / n,
        "top1_support": support / n,
        "any_right": ceiling / n,
    }


def curve(
    rs: Sequence[dict[str, Any]],
    scores: Sequence[tuple[float, float]],
    tops: Sequence[dict[str, Any] | None],
) -> list[dict[str, float]]:
    """Precision and coverage of the short answer over confidence thresholds."""
    from assistant.evals.metrics import precision_coverage

    rated = [
        (c, _shown_right(top)) for (c, _), top in zip(scores, tops, strict=True) if top is not None
    ]
    facts = sum(r["type"] == "fact" for r in rs)
    return precision_coverage(rated, len(rs), facts, [i / 20 for i in range(1, 20)])


def show(args: argparse.Namespace) -> None:
    from assistant.answering.model import AnswerModel

    model = AnswerModel.load(args.model)
    print(json.dumps(dict(model.about), indent=1))
    print(f"thresholds: short {model.short_threshold:.2f}, passages {model.passages_threshold:.2f}")
    for name, lg in (
        ("rank", model.rank),
        ("confidence", model.confidence),
        ("evidence", model.evidence),
    ):
        print(f"\n{name}: weight per standard deviation, largest first")
        for feat, w in lg.weights():
            print(f"  {feat:28s} {w:+.3f}")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--rtqa-weeks", default=str(SHARED))
    c.add_argument("--weeks", default="all")
    c.add_argument("--stores", help="folder of per-week stores")
    c.add_argument("--ingest", action="store_true", help="ingest weeks that have no store")
    c.add_argument("--cache", default=str(CACHE))
    c.add_argument(
        "--rtqa-dev",
        metavar="STORE",
        help="collect the rtqa dev questions instead, asked of this store of the rtqa corpus "
        "(corpus_small.jsonl, as evals/rtqa_dev.py builds it); they are cached as weeks "
        "'dev<date>', so `fit --fit 2023,dev` fits on both",
    )
    f = sub.add_parser("fit")
    f.add_argument("--cache", default=str(CACHE))
    f.add_argument("--fit", default="2023,dev")
    f.add_argument("--check", default="2024")
    f.add_argument("--c", type=float, default=0.03, help="inverse regularisation strength")
    f.add_argument(
        "--precision",
        type=float,
        default=0.80,
        help="short-answer precision the threshold is chosen for (fit weeks)",
    )
    f.add_argument(
        "--listwise",
        action="store_true",
        help="rank with a conditional logit (softmax within each question) instead of a "
        "pointwise logistic regression",
    )
    f.add_argument(
        "--abstention-weight",
        type=float,
        default=ABSTENTION_WEIGHT,
        help="a right abstention's weight against a right text when the passages threshold "
        "is chosen",
    )
    f.add_argument("--model", default=str(MODEL))
    f.add_argument("--write", action="store_true", help="write the fitted model")
    f.add_argument("--report", help="also write the figures as JSON here")
    s = sub.add_parser("show")
    s.add_argument("--model", default=str(MODEL))
    args = ap.parse_args()
    {"collect": collect, "fit": fit, "show": show}[args.cmd](args)


if __name__ == "__main__":
    main()
