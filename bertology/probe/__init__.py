"""Cloze knowledge probing (LAMA style): rank the vocabulary at the mask, P@k and MRR."""

from bertology.probe.metrics import RankMetrics, aggregate, rank_metrics
from bertology.probe.run import probe
from bertology.probe.scoring import FactScore, PreparedFact, prepare_facts, score_facts

__all__ = [
    "FactScore",
    "PreparedFact",
    "RankMetrics",
    "aggregate",
    "prepare_facts",
    "probe",
    "rank_metrics",
    "score_facts",
]
