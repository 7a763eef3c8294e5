"""The fitted answer model: three logistic regressions over named features, applied with numpy.

`data/answer_model.json` holds, for each of the answerer's decisions, the feature names,
their standardisation and the fitted weights, plus the two thresholds that decide an answer's
form. `evals/fit_answer_model.py` refits it from the rtqa-weeks benchmark (scikit-learn, the
`train` extra); applying it needs numpy only.

- `rank`: how likely a candidate value is the answer (candidates of one question are ranked
  by it).
- `confidence`: the calibrated probability that the best-ranked candidate is right; a short
  answer is shown at or above `thresholds.short`.
- `evidence`: the probability that the best passages hold the answer; below
  `thresholds.passages` (and without a confident short answer) the answerer abstains.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answering.features import (
    CANDIDATE_FEATURES,
    CONFIDENCE_FEATURES,
    EVIDENCE_FEATURES,
)
from assistant.errors import ModelError

__all__ = ["AnswerModel", "Logistic", "default_model_path"]


def default_model_path() -> Path:
    return Path(str(files("assistant.answering") / "data" / "answer_model.json"))


@dataclass(frozen=True)
class Logistic:
    """A standardised logistic regression: p = sigmoid(coef . (x - mean) / scale + intercept)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], expected: Sequence[str], what: str) -> Logistic:
        names = tuple(data.get("features") or ())
        if names != tuple(expected):
            missing = sorted(set(expected) - set(names))
            extra = sorted(set(names) - set(expected))
            raise ModelError(
                f"the answer model's {what} features do not match this version of the code "
                f"(missing {missing}, unknown {extra}): refit it with "
                "evals/fit_answer_model.py"
            )
        arrays = {k: np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")}
        if any(a.shape != (len(names),) for a in arrays.values()):
            raise ModelError(f"the answer model's {what} weights have the wrong shape")
        scale = np.where(arrays["scale"] > 0, arrays["scale"], 1.0)
        return cls(names, arrays["mean"], scale, arrays["coef"], float(data["intercept"]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [round(float(x), 6) for x in self.mean],
            "scale": [round(float(x), 6) for x in self.scale],
            "coef": [round(float(x), 6) for x in self.coef],
            "intercept": round(self.intercept, 6),
        }

    def logits(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        x = np.array([[r[name] for name in self.features] for r in rows], dtype=np.float64)
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def probability(self, row: Mapping[str, float]) -> float:
        z = float(self.logits([row])[0])
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def weights(self) -> list[tuple[str, float]]:
        """(feature, weight per standard deviation), largest effect first: what to read."""
        return sorted(zip(self.features, self.coef.tolist(), strict=True), key=lambda p: -abs(p[1]))


@dataclass(frozen=True)
class AnswerModel:
    rank: Logistic
    confidence: Logistic
    evidence: Logistic
    short_threshold: float
    passages_threshold: float
    about: Mapping[str, Any]

    @classmethod
    def load(cls, path: str | Path | None = None) -> AnswerModel:
        where = Path(path) if path is not None else default_model_path()
        try:
            data = json.loads(where.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"cannot read the answer model {where}: {exc}; reinstall the package or refit "
                "it with evals/fit_answer_model.py"
            ) from exc
        try:
            return cls(
                Logistic.from_dict(data["rank"], CANDIDATE_FEATURES, "rank"),
                Logistic.from_dict(data["confidence"], CONFIDENCE_FEATURES, "confidence"),
                Logistic.from_dict(data["evidence"], EVIDENCE_FEATURES, "evidence"),
                float(data["thresholds"]["short"]),
                float(data["thresholds"]["passages"]),
                data.get("about", {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"the answer model {where} is malformed: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "about": dict(self.about),
            "thresholds": {"short": self.short_threshold, "passages": self.passages_threshold},
            "rank": self.rank.to_dict(),
            "confidence": self.confidence.to_dict(),
            "evidence": self.evidence.to_dict(),
        }
