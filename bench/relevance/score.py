"""nDCG@10 and Recall@50 of rankings against graded judgments.

- nDCG@10: gain ``2^grade - 1``, discount ``log2(rank + 1)``, ideal = the query's judged
  grades sorted; unjudged entries count as grade 0 (``judged@10`` says how many there were).
- Recall@50: of the entries judged relevant (grade ≥ 2), the share in the first 50 — out of
  at most 50 (R-capped: a query with 3,000 relevant entries is fully served by 50 of them).

Queries with no relevant entry in the evaluated corpus are left out of both means.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

Qrels = dict[str, dict[str, int]]  # qid -> entry id -> grade
RELEVANT = 2


def dcg(grades: Sequence[int]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg(ranking: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    ideal = dcg(sorted(judged.values(), reverse=True)[:k])
    return dcg([judged.get(e, 0) for e in ranking[:k]]) / ideal if ideal else 0.0


def recall(ranking: Sequence[str], judged: Mapping[str, int], k: int = 50) -> float:
    relevant = {e for e, g in judged.items() if g >= RELEVANT}
    return len(relevant.intersection(ranking[:k])) / min(k, len(relevant)) if relevant else 0.0


@dataclass(frozen=True)
class Score:
    ndcg10: float
    recall50: float
    judged10: float
    queries: int
    per_query: dict[str, tuple[float, float]]


def restrict(qrels: Qrels, corpus: Collection[str] | None) -> Qrels:
    if corpus is None:
        return qrels
    return {q: {e: g for e, g in judged.items() if e in corpus} for q, judged in qrels.items()}


def evaluate(run: Mapping[str, Sequence[str]], qrels: Qrels, qids: Sequence[str]) -> Score:
    per_query: dict[str, tuple[float, float]] = {}
    judged_share: list[float] = []
    for qid in qids:
        judged = qrels.get(qid, {})
        if not any(g >= RELEVANT for g in judged.values()):
            continue
        ranking = list(run.get(qid, []))
        per_query[qid] = (ndcg(ranking, judged), recall(ranking, judged))
        top = ranking[:10]
        judged_share.append(sum(1 for e in top if e in judged) / len(top) if top else 1.0)
    n = len(per_query) or 1
    return Score(sum(v[0] for v in per_query.values()) / n,
                 sum(v[1] for v in per_query.values()) / n,
                 sum(judged_share) / n, len(per_query), per_query)
