"""[MASK] attention shares and representations: parity with a direct Hugging Face forward."""

from __future__ import annotations

import math

import pytest
import torch

from bertology.data.facts import Fact
from bertology.prune.readout import (
    GROUPS,
    inspect_masks,
    read_mask_token,
    subject_span,
    token_groups,
)
from bertology.prune.targets import find_targets

FACTS = [
    Fact("paris", "capital", "france", ("paris is the capital of [MASK] .",)),
    Fact("rome", "capital", "italy", ("the capital of [MASK] is rome .",)),
    Fact("berlin", "capital", "germany", ("berlin is the capital of [MASK] .",)),
    Fact("table", "material", "wood", ("the table is made of [MASK] .",)),
    Fact("window", "material", "glass", ("the window is made of [MASK] .",)),
    Fact("hammer", "material", "wood", ("a [MASK] hammer is heavy .",)),
    Fact("ghost", "material", "wood", ("it is made of [MASK] .",)),  # subject absent
]


def test_subject_span_is_whole_word_and_case_insensitive():
    assert subject_span("the Table is made of [MASK] .", "table") == (4, 9)
    assert subject_span("the tablecloth is here", "table") is None
    assert subject_span("new york is big", "new york") == (0, 8)


def test_token_groups_mark_mask_special_subject_and_template():
    offsets = [(0, 0), (0, 3), (4, 9), (10, 12), (13, 19), (0, 0)]
    special = [True, False, False, False, False, True]
    assert token_groups(offsets, special, 4, (4, 9)) == [2, 3, 0, 3, 1, 2]
    assert token_groups(offsets, special, 4, None) == [2, 3, 3, 3, 1, 2]


def _direct(model, tokenizer, fact):
    """One prompt through HF with eager attention; the subject found by its token ids."""
    prompt = fact.prompts[0].replace("[MASK]", tokenizer.mask_token)
    enc = tokenizer(prompt, return_tensors="pt")
    ids = enc["input_ids"][0].tolist()
    with torch.no_grad():
        out = model.base_model(**enc, output_attentions=True)
    m = ids.index(tokenizer.mask_token_id)
    pos, sub = [], []
    for form in (fact.subject, " " + fact.subject):  # BPE: sentence-initial or after a space
        sub = tokenizer(form, add_special_tokens=False)["input_ids"]
        pos = [i for i in range(len(ids)) if ids[i : i + len(sub)] == sub]
        if pos:
            break
    subject = set(range(pos[0], pos[0] + len(sub))) if pos else set()
    special = {0, len(ids) - 1}
    rows = []
    for a in out.attentions:  # (1, H, T, T)
        row = a[0, :, m, :].mean(0)
        groups = {
            "subject": sum(row[i] for i in subject) if subject else torch.tensor(0.0),
            "mask": row[m],
            "special": sum(row[i] for i in special),
            "template": sum(row[i] for i in range(len(ids)) if i not in subject | special | {m}),
        }
        rows.append([float(groups[g]) for g in GROUPS])
    return torch.tensor(rows), bool(subject), out.last_hidden_state[0, m]


@pytest.mark.parametrize("which", ["bert", "roberta"])
def test_shares_and_hidden_states_match_a_direct_forward(which, tiny_bert, wordpiece_tokenizer,
                                                          tiny_roberta_dir):  # fmt: skip
    from bertology.models import load_mlm

    if which == "bert":
        model, tok = tiny_bert.eval(), wordpiece_tokenizer
        model.set_attn_implementation("eager")
    else:
        model, tok = load_mlm(tiny_roberta_dir, "cpu", attn="eager")
    readout = read_mask_token(model, tok, FACTS, batch_size=3)  # padded batches
    assert readout.shares.shape == (len(FACTS), 2, len(GROUPS))
    torch.testing.assert_close(readout.shares.sum(-1), torch.ones(len(FACTS), 2))
    for i, f in enumerate(FACTS):
        shares, found, hidden = _direct(model, tok, f)
        assert bool(readout.subject_found[i]) == found == (f.subject != "ghost")
        torch.testing.assert_close(readout.shares[i], shares, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(readout.hidden[i], hidden, atol=1e-5, rtol=1e-4)


def test_an_all_ones_mask_reads_exactly_like_the_full_model(tiny_bert, wordpiece_tokenizer):
    from tests.prune.test_storage import _random_mask

    full_mask = _random_mask(tiny_bert, "capital", p=-1.0)  # keeps every weight
    assert full_mask.sparsity == 0.0 and find_targets(tiny_bert, "all") == full_mask.targets
    test = {"capital": FACTS[:3], "material": FACTS[3:]}
    masks = {"capital": full_mask, "material": full_mask.with_keep("material", full_mask.keep)}
    res, arrays = inspect_masks(tiny_bert.eval(), wordpiece_tokenizer, test, masks)
    every = res["mask_attention"]["all"]
    for g in GROUPS:
        assert every["full"][g] == pytest.approx(every["subnetwork"][g], abs=1e-6)
    rep = res["representations"]
    assert rep["n"] == len(FACTS) and rep["relations"] == ["capital", "material"]
    assert math.isfinite(rep["silhouette_full"])
    assert rep["silhouette_full"] == pytest.approx(rep["silhouette_subnetwork"], abs=1e-5)
    assert arrays["tsne_full"].shape == (len(FACTS), 2)
    assert every["full"]["n_subject_found"] == len(FACTS) - 1


def test_a_real_mask_changes_the_readout(tiny_bert, wordpiece_tokenizer):
    from tests.prune.test_storage import _random_mask

    mask = _random_mask(tiny_bert, "capital", p=0.5)
    res, _ = inspect_masks(tiny_bert.eval(), wordpiece_tokenizer, {"capital": FACTS[:3]},
                           {"capital": mask})  # fmt: skip
    rel = res["mask_attention"]["relations"]["capital"]
    assert rel["full"]["mask"] != pytest.approx(rel["subnetwork"]["mask"], abs=1e-6)
