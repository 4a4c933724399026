"""``prune`` and ``specialize`` as library calls, checked against evaluations done by hand:
soft and hard evaluation of stochastic masks, stored soft masks, ``relation`` candidates, and
the two-rank path of ``prune`` simulated in one process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from bertology.data.facts import Fact, read_facts, split_by_subject
from bertology.prune.config import PruneImpl, PruneRunConfig
from bertology.prune.followup import specialize
from bertology.prune.run import prune
from bertology.prune.storage import load_mask
from bertology.prune.targets import find_targets
from bertology.prune.train import PruneConfig, train_relation_masks

RELATIONS = ("capital", "material")


def _config(facts: Path, rel: Path, **train: Any) -> PruneRunConfig:
    """A tiny run: every layer, 3 epochs, half the subjects in test (no dev split)."""
    base: dict[str, Any] = dict(
        layers="all",
        epochs=3,
        lr=0.01,
        batch_size=4,
        seed=3,
        split_ratios=(0.5, 0.0, 0.5),
    )
    base.update(train)
    return PruneRunConfig(
        model="scaled-bert",
        facts=str(facts),
        relations_file=str(rel),
        train=PruneConfig(**base),
        impl=PruneImpl(progress=False),
    )


def _objects(facts: list[Fact]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in facts:
        out.setdefault(f.relation, set()).add(f.object)
    return out


def _metrics(ranks: list[int]) -> dict[str, float]:
    return {
        "p@1": sum(r == 1 for r in ranks) / len(ranks),
        "mrr": sum(1 / r for r in ranks) / len(ranks),
    }


def test_stochastic_run_reports_soft_and_hard_subnetworks_as_evaluated_by_hand(
    tmp_path: Path,
    scaled_bert: Any,
    wordpiece_tokenizer: Any,
    fact_files: tuple[Path, Path],
    reference_ranks: Callable[..., list[int]],
) -> None:
    """Guards the soft/hard evaluation of stochastic masks and ``relation`` candidates in a
    run. A stochastic run evaluated soft reports the subnetwork under σ(G) (``subnetwork`` and
    ``subnetwork_soft``) and under the thresholded mask (``subnetwork_hard``); each equals an
    independent evaluation of the test facts on an HF copy whose weights were multiplied by
    the stored σ(G), or by the stored keep bits, by hand. The soft and hard ranks differ
    (σ(G) is far from 0/1 after three epochs) and the keep bits are σ(G) > t wherever fp16
    can tell. Candidates are the relation's objects over all splits; the test split's own
    objects rank differently. ``specialize`` on the run matches the same by-hand evaluation
    in every cell."""
    tok = wordpiece_tokenizer
    facts, rel = fact_files
    # split seed 2: the capital test split (berlin, dog, rome) lacks france and spain
    cfg = _config(facts, rel, mode="stochastic", tau=0.5, candidates="relation", split_seed=2)
    run = tmp_path / "run"
    results = prune(cfg, run, model=scaled_bert, tokenizer=tok)
    assert results is not None and results["eval"] == "soft"
    every = read_facts(facts, rel).facts
    test = split_by_subject(every, cfg.train.split_ratios, cfg.train.split_seed)["test"]
    cands, split_cands = _objects(every), _objects(test)
    masks = {r: load_mask(run / "masks" / f"{r}.safetensors", scaled_bert) for r in RELATIONS}
    soft_vs_hard = split_vs_all = 0
    for r in RELATIONS:
        mask, entry = masks[r], results["relations"][r]
        assert mask.soft is not None  # stored by default: the run was evaluated soft
        mine = [f for f in test if f.relation == r]
        assert entry["full"]["n"] == len(mine) == 3
        full = reference_ranks(scaled_bert, tok, mine, cands)
        soft = reference_ranks(scaled_bert, tok, mine, cands, mask.soft)
        hard = reference_ranks(scaled_bert, tok, mine, cands, mask.keep)
        for name, ranks in (("full", full), ("subnetwork_soft", soft), ("subnetwork_hard", hard)):
            want = _metrics(ranks)
            assert entry[name]["p@1"] == want["p@1"], (r, name)
            assert abs(entry[name]["mrr"] - want["mrr"]) < 1e-12, (r, name)
        assert entry["subnetwork"] == entry["subnetwork_soft"]
        soft_vs_hard += soft != hard
        split_vs_all += sum(
            reference_ranks(scaled_bert, tok, mine, split_cands, m) != ranks
            for m, ranks in ((None, full), (mask.soft, soft), (mask.keep, hard))
        )
        for name, s in mask.soft.items():
            s = s.float()
            assert bool(((s > 0.01) & (s < 0.99)).all())  # far from a 0/1 mask
            clear = (s - mask.threshold).abs() > 2e-3  # fp16 resolves σ(G) vs t here
            assert float(clear.float().mean()) > 0.5
            assert torch.equal(mask.keep[name][clear], (s > mask.threshold)[clear])
    assert soft_vs_hard >= 1 and split_vs_all >= 1  # the fixture tells the choices apart

    spec = specialize(run, scaled_bert, tok)
    assert spec["relations"] == list(RELATIONS) and spec["eval"] == "soft"
    for i, ri in enumerate(RELATIONS):
        mine = [f for f in test if f.relation == ri]
        for j, rj in enumerate(RELATIONS):
            ranks = reference_ranks(scaled_bert, tok, mine, cands, masks[rj].soft)
            assert spec["p@1"][i][j] == _metrics(ranks)["p@1"], (ri, rj)


def test_soft_masks_are_stored_when_evaluated_soft_or_asked_and_round_trip_exactly(
    tmp_path: Path, scaled_bert: Any, wordpiece_tokenizer: Any, fact_files: tuple[Path, Path]
) -> None:
    """Guards saving soft masks: a stochastic run evaluated soft stores σ(G) next to the bits,
    one evaluated hard stores only the bits unless ``save_soft`` asks, and what is stored reads
    back bit for bit as the σ(G) (fp16) and keep bits that training returns for the same
    seed."""
    tok = wordpiece_tokenizer
    facts, rel = fact_files
    every = read_facts(facts, rel).facts
    for hard_eval, save_soft, stored in (
        (False, None, True),
        (True, None, False),
        (True, True, True),
    ):
        cfg = _config(facts, rel, mode="stochastic", tau=0.5, hard_eval=hard_eval)
        cfg.save_soft = save_soft
        run = tmp_path / f"run-{hard_eval}-{save_soft}"
        prune(cfg, run, model=scaled_bert, tokenizer=tok)
        trained = train_relation_masks(scaled_bert, tok, every, cfg.train).relations
        for r in RELATIONS:
            back = load_mask(run / "masks" / f"{r}.safetensors", scaled_bert)
            want = trained[r].mask
            assert want is not None and want.soft is not None
            assert all(torch.equal(back.keep[k], want.keep[k]) for k in want.keep)
            assert (back.soft is not None) == stored, (hard_eval, save_soft)
            if stored:
                assert all(back.soft[k].dtype == torch.float16 for k in want.soft)
                assert all(torch.equal(back.soft[k], want.soft[k]) for k in want.soft)
                assert not all(torch.equal(back.soft[k], want.keep[k].half()) for k in want.soft)


def test_specialize_ranks_every_cell_over_the_objects_of_the_whole_fact_set(
    tmp_path: Path,
    scaled_bert: Any,
    wordpiece_tokenizer: Any,
    fact_files: tuple[Path, Path],
    reference_ranks: Callable[..., list[int]],
) -> None:
    """Guards ``specialize`` on a run with ``relation`` candidates: it re-reads the run's facts
    and ranks each test fact among its relation's objects over the whole fact set, not over
    the test split. Every cell equals the by-hand evaluation with the hard masks, and the
    split's objects would change at least one cell."""
    tok = wordpiece_tokenizer
    facts, rel = fact_files
    cfg = _config(facts, rel, candidates="relation", split_seed=2)
    run = tmp_path / "run"
    prune(cfg, run, model=scaled_bert, tokenizer=tok)
    every = read_facts(facts, rel).facts
    test = split_by_subject(every, cfg.train.split_ratios, cfg.train.split_seed)["test"]
    masks = {r: load_mask(run / "masks" / f"{r}.safetensors", scaled_bert) for r in RELATIONS}
    spec = specialize(run, scaled_bert, tok)
    assert spec["eval"] == "hard"
    differs = 0
    for i, ri in enumerate(RELATIONS):
        mine = [f for f in test if f.relation == ri]
        for j, rj in enumerate(RELATIONS):
            want = _metrics(
                reference_ranks(scaled_bert, tok, mine, _objects(every), masks[rj].keep)
            )
            assert spec["p@1"][i][j] == want["p@1"], (ri, rj)
            wrong = reference_ranks(scaled_bert, tok, mine, _objects(test), masks[rj].keep)
            differs += _metrics(wrong)["p@1"] != want["p@1"]
    assert differs >= 1  # the fixture tells the two candidate sets apart


def test_prune_as_two_ranks_in_process_writes_what_one_process_writes(
    tmp_path: Path,
    scaled_bert: Any,
    wordpiece_tokenizer: Any,
    fact_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Guards the ``prune`` command's torchrun path without starting processes (the fast
    counterpart of the slow torchrun test): each rank of a world of 2 trains only its share
    of the relations, what the ranks exchange is the pickle-free blob, rank 1 returns None and
    writes nothing, and rank 0, given both ranks' blobs, writes the same masks and the same
    test metrics as a single process. The real gloo exchange (``gather_bytes``) is covered by
    ``test_distributed.py``."""
    import torch.distributed as dist

    import bertology.distributed as bdist
    import bertology.prune.exchange as prune_exchange
    import bertology.prune.run as prune_run
    from bertology.prune.exchange import decode_results as _decode_results

    tok = wordpiece_tokenizer
    facts, rel = fact_files
    cfg = _config(facts, rel, split_ratios=(0.5, 0.25, 0.25))
    single = prune(cfg, tmp_path / "single", model=scaled_bert, tokenizer=tok)
    assert single is not None

    sent: dict[int, bytes] = {}

    class Sent(Exception):
        """Stops a rank right after it has handed its blob to the gather."""

    def as_rank(rank: int, peer: bytes | None) -> None:
        """Make this process look like ``rank`` of 2 whose peer sends ``peer`` (None: stop
        after sending ours)."""

        def gather(data: bytes) -> list[bytes]:
            sent[rank] = data
            if peer is None:
                raise Sent
            return [data, peer] if rank == 0 else [peer, data]

        # patched where prune uses them (bound at import)
        monkeypatch.setattr(
            prune_run, "init_distributed", lambda device: bdist.DistContext(rank, 2)
        )
        monkeypatch.setattr(prune_exchange, "gather_bytes", gather)
        monkeypatch.setattr(dist, "is_initialized", lambda: True)
        monkeypatch.setattr(dist, "get_world_size", lambda group=None: 2)
        monkeypatch.setattr(dist, "get_rank", lambda group=None: rank)

    as_rank(1, None)
    with pytest.raises(Sent):
        prune(cfg, tmp_path / "rank1", model=scaled_bert, tokenizer=tok)
    as_rank(0, sent[1])
    results = prune(cfg, tmp_path / "rank0", model=scaled_bert, tokenizer=tok)
    as_rank(1, sent[0])
    assert prune(cfg, tmp_path / "rank1", model=scaled_bert, tokenizer=tok) is None
    assert not (tmp_path / "rank1").exists()  # only rank 0 writes

    targets = find_targets(scaled_bert, "all")
    shards = {r: _decode_results(blob, targets) for r, blob in sent.items()}
    assert set(shards[0]) == {"capital", "story"} and set(shards[1]) == {"material"}
    assert shards[0]["story"].mask is None and shards[1]["material"].mask is not None

    assert results is not None
    assert results["skipped_relations"] == single["skipped_relations"]
    for r in RELATIONS:
        a = load_mask(tmp_path / "single" / "masks" / f"{r}.safetensors", scaled_bert)
        b = load_mask(tmp_path / "rank0" / "masks" / f"{r}.safetensors", scaled_bert)
        assert all(torch.equal(a.keep[k], b.keep[k]) for k in a.keep), r
        one, two = single["relations"][r], results["relations"][r]
        for k in ("full", "subnetwork", "random", "sparsity", "best_epoch", "best_dev_p1"):
            assert two[k] == one[k], (r, k)
    assert results["overlap"] == single["overlap"]
