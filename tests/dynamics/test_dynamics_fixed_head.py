"""The fixed-head UAS curve: the final checkpoint's best head followed across checkpoints, from
the per-head grids the ``uas`` evaluator logs; old rows without a grid; the curves and the
cache key around it."""

from __future__ import annotations

from bertology.dynamics.evaluate import settings_key
from bertology.dynamics.heads import FIXED_HEAD, fixed_head
from bertology.dynamics.phases import curves, metric_breaks, phases


def grid(best: tuple[int, int], value: float, base: float = 0.1) -> list[list[float]]:
    """A 3 x 4 [layer][head] grid: ``value`` at ``best``, ``base`` + a little elsewhere."""
    g = [[base + 0.01 * (3 * layer + h) for h in range(4)] for layer in range(3)]
    g[best[0]][best[1]] = value
    return g


# The best head hands over: 0-0 early, 2-1 in the middle, 1-3 at the end. Head 1-3 has its own
# values throughout, lower than the best at every step but the last ones.
STEPS = [0, 10, 20, 30, 40, 50]
OWN = [0.05, 0.06, 0.07, 0.20, 0.35, 0.50]  # head 1-3
BEST = [((0, 0), 0.30), ((0, 0), 0.31), ((2, 1), 0.33), ((2, 1), 0.34), ((1, 3), 0.35),
        ((1, 3), 0.50)]  # fmt: skip


def evals() -> dict[int, dict]:
    out = {}
    for s, own, (at, value) in zip(STEPS, OWN, BEST, strict=True):
        g = grid(at, value)
        if at != (1, 3):
            g[1][3] = own
        out[s] = {"uas": max(max(r) for r in g), "uas_layer": at[0], "uas_head": at[1],
                  "uas_heads": g, "uas_ci": [0.0, 1.0], "uas_margin": 0.1,
                  "uas_words": 400, "uas_nonadjacent_words": 90, "blimp_n": 180,
                  "val_loss": 5.0}  # fmt: skip
    return out


def test_the_fixed_head_is_the_final_checkpoints_argmax_followed_back() -> None:
    e = evals()
    assert [e[s]["uas"] for s in STEPS] == [v for _, v in BEST]  # the stitched best-head curve
    head, curve = fixed_head(e)
    assert head == {"layer": 1, "head": 3, "step": 50, "uas": 0.5, "points": 6, "note": None}
    assert curve == (STEPS, OWN)  # not the per-checkpoint best, nor the first one's head


def test_ties_go_to_the_lowest_layer_then_head() -> None:
    e = {0: {"uas": 0.5, "uas_heads": [[0.1, 0.5], [0.5, 0.5]]}}
    head, _ = fixed_head(e)
    assert (head["layer"], head["head"]) == (0, 1)


def test_checkpoints_without_a_grid_are_left_out_with_a_note() -> None:
    e = evals()
    del e[10]["uas_heads"]  # a row cached before the grid was logged
    e[20]["uas_heads"] = [[0.1, 0.2]]  # another shape
    head, curve = fixed_head(e)
    assert (head["layer"], head["head"], head["points"]) == (1, 3, 4)
    assert curve == ([0, 30, 40, 50], [OWN[0], OWN[3], OWN[4], OWN[5]])
    assert "2 of 6 checkpoints" in head["note"] and "steps 10, 20" in head["note"]
    del e[50]["uas_heads"]  # the final checkpoint has none: no head can be fixed
    head, curve = fixed_head(e)
    assert curve is None and head["layer"] is None and "final checkpoint" in head["note"]
    assert fixed_head({0: {"val_loss": 1.0}}) == (None, None)  # UAS not evaluated


def test_lists_and_counts_never_become_curves_and_the_fixed_curve_gets_breaks() -> None:
    e = evals()
    c = curves(e)
    assert set(c) == {"uas", "uas_margin", "val_loss"}  # no grid, interval or count
    head, curve = fixed_head(e)
    c[FIXED_HEAD] = curve
    metrics = metric_breaks(c, 4.0, "curvature")
    assert metrics[FIXED_HEAD]["values"] == OWN
    ph = phases(metrics)
    assert {"structure_onset_fixed_head", "structure_plateau_fixed_head"} <= set(ph)


def test_phases_read_the_fixed_head_onset_from_its_own_curve() -> None:
    ph = phases({"uas": {"direction": 1, "onset": 100, "plateau": 200},
                 FIXED_HEAD: {"direction": 1, "onset": 300, "plateau": 400}})  # fmt: skip
    assert (ph["structure_onset"], ph["structure_plateau"]) == (100, 200)
    assert (ph["structure_onset_fixed_head"], ph["structure_plateau_fixed_head"]) == (300, 400)
    ph = phases({FIXED_HEAD: {"direction": -1, "onset": 300, "plateau": 400}})
    assert ph["structure_onset_fixed_head"] is None  # a fall is no structure onset


class _Cfg:
    def __init__(self, d: dict) -> None:
        self.d = d

    def to_dict(self) -> dict:
        return self.d


def test_uas_rows_cached_before_the_grid_are_not_reused_and_other_keys_stand() -> None:
    """The uas cache key carries the evaluator's version (rows without ``uas_heads`` are
    evaluated again); val_loss keeps the key it had (its cached rows stay valid)."""
    import hashlib
    import json

    cfg = _Cfg({"eval": {"uas_conllu": "t.conllu", "uas_max_sentences": 500}, "data": {}})

    def legacy(picked: dict) -> str:
        return hashlib.sha256(json.dumps(picked, sort_keys=True).encode()).hexdigest()[:16]

    old_uas = legacy({"eval.uas_conllu": "t.conllu", "eval.uas_max_sentences": 500})
    assert settings_key(cfg, "uas") != old_uas
    old_loss = legacy({k: None for k in ("data.valid", "data.text_column", "train.seq_len",
                                         "train.seed", "masking", "eval.val_max_sequences")})  # fmt: skip
    assert settings_key(cfg, "val_loss") == old_loss
    # blimp rows cached before blimp_ci existed are evaluated again too
    old_blimp = legacy({k: None for k in ("eval.blimp_pairs", "eval.blimp_per_paradigm",
                                          "eval.blimp_metric")})  # fmt: skip
    assert settings_key(cfg, "blimp") != old_blimp
