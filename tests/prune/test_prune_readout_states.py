"""The representation readout's two additions: the collapse check (a relation whose states
all coincide makes the silhouette meaningless, and is flagged) and the [CLS] state (the first
token's final hidden state, checked against Hugging Face's own ``output_hidden_states``)."""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any

import pytest
import torch

from bertology.data.facts import Fact
from bertology.errors import InputError
from bertology.prune import readout
from bertology.prune.collapse import (
    COLLAPSE_RTOL,
    collapse_stats,
    distinct_points,
    spread,
    state_tolerance,
)
from bertology.prune.config import InspectConfig
from bertology.prune.readout import MaskTokenReadout, inspect_masks, read_mask_token
from bertology.prune.report import print_inspection
from tests.prune.test_readout import FACTS


def _prompts(n: int) -> list[str]:
    return [f"subject{i} is [MASK] ." for i in range(n)]


def test_identical_rows_are_one_point_and_distinct_rows_are_all_counted() -> None:
    same = torch.tensor([[1.0, -2.0, 3.0]]).repeat(6, 1)
    assert distinct_points(same) == 1
    distinct = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    assert distinct_points(distinct) == 6
    assert distinct_points(torch.zeros(0, 3)) == 0
    # two groups of three, the rows of a group equal up to float32 batching noise
    noise = 1e-6 * torch.randn(6, 3, generator=torch.Generator().manual_seed(1))
    two = torch.cat([distinct[:1].repeat(3, 1), distinct[1:2].repeat(3, 1)]) + noise
    assert distinct_points(two) == 2
    # differences above the tolerance are distinct points
    apart = same.clone()
    apart[1] *= 1 + 10 * COLLAPSE_RTOL
    assert distinct_points(apart) == 2


def test_collapse_is_flagged_when_all_states_coincide_and_not_for_distinct_states() -> None:
    same = torch.tensor([[0.5, 1.0, -1.0, 2.0]]).repeat(5, 1)
    got = collapse_stats(same, _prompts(5))
    assert got == {"n": 5, "distinct_prompts": 5, "distinct_states": 1, "spread": 0.0,
                   "collapsed": True}  # fmt: skip
    distinct = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    got = collapse_stats(distinct, _prompts(5))
    assert got["distinct_states"] == 5 and not got["collapsed"] and got["spread"] > 0.1
    # one prompt cannot collapse; repeated prompts (one subject, several objects) are
    # counted once, so equal states for equal prompts are not a collapse
    assert not collapse_stats(same[:1], _prompts(1))["collapsed"]
    assert not collapse_stats(same[:3], ["same [MASK] ."] * 3)["collapsed"]
    pairs = torch.cat([distinct[:2], distinct[:2]])
    assert not collapse_stats(pairs, ["p0", "p1", "p0", "p1"])["collapsed"]
    with pytest.raises(ValueError):
        collapse_stats(same, _prompts(4))


def test_nearly_all_coinciding_states_count_as_collapsed() -> None:
    """At most a tenth of the distinct prompts may have distinct states: 2 for 20 prompts."""
    base = torch.randn(3, 8, generator=torch.Generator().manual_seed(2))
    states = torch.cat([base[:1].repeat(19, 1), base[1:2]])
    assert collapse_stats(states, _prompts(20))["distinct_states"] == 2
    assert collapse_stats(states, _prompts(20))["collapsed"]
    states = torch.cat([base[:1].repeat(18, 1), base[1:3]])
    assert not collapse_stats(states, _prompts(20))["collapsed"]  # 3 of 20 distinct


def test_spread_and_tolerance() -> None:
    assert spread(torch.ones(4, 3)) == 0.0
    assert math.isnan(spread(torch.zeros(0, 3))) and math.isnan(spread(torch.zeros(2, 3)))
    assert spread(torch.tensor([[1.0, 0.0], [-1.0, 0.0]])) == pytest.approx(1.0)
    assert state_tolerance(torch.float32) == COLLAPSE_RTOL
    assert state_tolerance(torch.float16) == state_tolerance(None) == COLLAPSE_RTOL
    assert state_tolerance(torch.bfloat16) == pytest.approx(4 * 2**-7)  # > COLLAPSE_RTOL


@pytest.mark.parametrize("which", ["bert", "roberta"])
def test_the_cls_state_is_position_0_of_the_last_layer(
    which: str, tiny_bert: Any, wordpiece_tokenizer: Any, tiny_roberta_dir: Any
) -> None:
    from bertology.models import load_mlm

    if which == "bert":
        model, tok = tiny_bert.eval(), wordpiece_tokenizer
    else:
        model, tok = load_mlm(tiny_roberta_dir, "cpu")
    got = read_mask_token(model, tok, FACTS, batch_size=3)  # padded batches
    assert got.cls.shape == got.hidden.shape == (len(FACTS), model.config.hidden_size)
    for i, f in enumerate(FACTS):
        enc = tok(f.prompts[0].replace("[MASK]", tok.mask_token), return_tensors="pt")
        with torch.no_grad():
            out = model(**enc, output_hidden_states=True)
        last = out.hidden_states[-1][0]  # (T, D)
        torch.testing.assert_close(got.cls[i], last[0], atol=1e-5, rtol=1e-4)
        m = enc["input_ids"][0].tolist().index(tok.mask_token_id)
        torch.testing.assert_close(got.hidden[i], last[m], atol=1e-5, rtol=1e-4)
        assert got.states("cls") is got.cls and got.states("mask") is got.hidden
    with pytest.raises(InputError, match="state"):
        got.states("pooler")


def _readout(facts: list[Fact], hidden: torch.Tensor) -> MaskTokenReadout:
    n = len(facts)
    return MaskTokenReadout(facts, torch.full((n, 2, 4), 0.25), torch.ones(n, dtype=torch.bool),
                            hidden, -hidden)  # fmt: skip


def test_inspect_flags_a_relation_collapsed_under_its_subnetwork(
    monkeypatch: Any, tiny_bert: Any, capsys: Any
) -> None:
    """Stand-in readouts: distinct states under the full model; under the subnetworks, the
    capital relation's states all coincide. The subnetwork silhouette is then marked as not
    meaningful and the summary warns; the full model's is not marked."""
    from tests.prune.test_storage import _random_mask

    capital, material = FACTS[:3], FACTS[3:6]
    g = torch.Generator().manual_seed(0)
    distinct = {f: torch.randn(8, generator=g) for f in capital + material}
    one_point = torch.randn(8, generator=g)
    masked = {"on": False}

    @contextmanager
    def applied(model: Any, mask: Any, soft: bool = False) -> Any:
        masked["on"] = True
        try:
            yield
        finally:
            masked["on"] = False

    def read(model: Any, tokenizer: Any, facts: Any, batch_size: int = 64) -> MaskTokenReadout:
        facts = list(facts)
        if masked["on"] and facts[0].relation == "capital":
            return _readout(facts, one_point.repeat(len(facts), 1))
        return _readout(facts, torch.stack([distinct[f] for f in facts]))

    monkeypatch.setattr(readout, "read_mask_token", read)
    monkeypatch.setattr(readout, "applied", applied)
    mask = _random_mask(tiny_bert, "capital", p=0.5)
    masks = {"capital": mask, "material": mask.with_keep("material", mask.keep)}
    test = {"capital": capital, "material": material}
    for state in ("mask", "cls"):
        res, _ = inspect_masks(tiny_bert, None, test, masks, state=state)
        rep = res["representations"]
        assert rep["state"] == state
        assert rep["collapsed_subnetwork"] == ["capital"] and rep["collapsed_full"] == []
        assert rep["silhouette_subnetwork_meaningful"] is False
        assert rep["silhouette_full_meaningful"] is True
        c = rep["collapse"]["relations"]["capital"]
        assert c["subnetwork"]["distinct_states"] == 1 and c["full"]["distinct_states"] == 3
        assert not rep["collapse"]["relations"]["material"]["subnetwork"]["collapsed"]
        assert c["spread_vs_full"] == 0.0
        assert rep["collapse"]["relations"]["material"]["spread_vs_full"] == pytest.approx(1.0)
        print_inspection(res)
        err = capsys.readouterr().err
        assert "collapse under its own subnetwork" in err and "capital" in err
        assert "relation material" not in err
        assert ("[CLS]" if state == "cls" else "[MASK]") + " states by relation" in err
    with pytest.raises(InputError, match="state"):
        inspect_masks(tiny_bert, None, test, masks, state="pooler")


def test_inspect_reads_the_chosen_state(tiny_bert: Any, wordpiece_tokenizer: Any) -> None:
    from tests.prune.test_storage import _random_mask

    mask = _random_mask(tiny_bert, "capital", p=0.5)
    test = {"capital": FACTS[:3], "material": FACTS[3:6]}
    masks = {"capital": mask, "material": mask.with_keep("material", mask.keep)}
    model = tiny_bert.eval()
    by_state = {s: inspect_masks(model, wordpiece_tokenizer, test, masks, state=s)[0]
                for s in ("mask", "cls")}  # fmt: skip
    full = read_mask_token(model, wordpiece_tokenizer, FACTS[:6])
    labels = [f.relation for f in FACTS[:6]]
    for s in ("mask", "cls"):
        rep = by_state[s]["representations"]
        assert rep["silhouette_full"] == pytest.approx(
            readout.cluster_quality(full.states(s), labels)
        )
    assert by_state["mask"]["representations"]["silhouette_full"] != pytest.approx(
        by_state["cls"]["representations"]["silhouette_full"]
    )


def test_the_inspect_config_takes_a_state() -> None:
    from bertology.config import load

    assert InspectConfig().state == "mask"
    assert load(InspectConfig, None, ["state=cls"]).state == "cls"
    with pytest.raises(InputError):
        load(InspectConfig, None, ["state=pooler"])
