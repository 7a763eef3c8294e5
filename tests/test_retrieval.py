"""Fusing the dense and BM25 lists: reciprocal rank, as llama-index's QueryFusionRetriever
fuses them (a question does not import llama-index's package; this pins the equivalence)."""

from __future__ import annotations

import random

import pytest

from assistant.retrieval import RRF_K, fuse


def _stock(lists: list[list[tuple[str, float]]], top: int) -> list[tuple[str, float]]:
    from llama_index.core.llms.mock import MockLLM
    from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
    from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

    class Fixed(BaseRetriever):
        def __init__(self, ranked: list[tuple[str, float]]) -> None:
            super().__init__()
            self._ranked = ranked

        def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
            return [NodeWithScore(node=TextNode(id_=c, text=c), score=s) for c, s in self._ranked]

    fusion = QueryFusionRetriever(
        [Fixed(lst) for lst in lists],
        llm=MockLLM(),
        mode="reciprocal_rerank",  # type: ignore[arg-type]
        num_queries=1,
        use_async=False,
        similarity_top_k=top,
    )
    return [(n.node.node_id, float(n.score or 0.0)) for n in fusion.retrieve("q")]


@pytest.mark.parametrize("seed", range(6))
def test_fusion_matches_llama_index_query_fusion_retriever(seed: int) -> None:
    rng = random.Random(seed)
    ids = [f"chunk-{i}" for i in range(40)]
    lists = []
    for _ in range(2):
        picked = rng.sample(ids, rng.randint(0, 30))
        # Ties in a list's scores and lists given out of order are part of the case.
        lists.append([(c, float(rng.choice([0.1, 0.5, 0.5, 0.9, rng.random()]))) for c in picked])
    top = rng.choice([5, 20, 60])
    assert fuse(lists, top) == _stock(lists, top)


def test_a_chunk_high_in_both_lists_beats_one_first_in_only_one() -> None:
    dense = [("a", 0.9), ("b", 0.8), ("c", 0.1)]
    bm25 = [("b", 7.0), ("d", 6.0), ("a", 1.0)]
    fused = fuse([dense, bm25], 10)
    assert [c for c, _ in fused] == ["b", "a", "d", "c"]
    assert fused[0][1] == pytest.approx(1 / (1 + RRF_K) + 1 / RRF_K)
