"""Scoring behaviours that the mutation run found unchecked: which prompt a mask-count error
names, the throughput reported in ``results.json``, the progress bar, and scoring on packed
(oneDNN) linear weights.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from bertology.data.facts import MASK, Fact
from bertology.errors import InputError
from bertology.models import load_mlm
from bertology.models.packing import packing_available
from bertology.probe import scoring
from bertology.probe.scoring import encode_prompts, prepare_facts, score_facts

FACTS = [
    Fact("paris", "capital", "france", (f"paris is the capital of {MASK} .",)),
    Fact("rome", "capital", "italy", (f"rome is the capital of {MASK} .",)),
]


def _clock(monkeypatch: pytest.MonkeyPatch, *times: float) -> None:
    """Make scoring's ``time.perf_counter`` return ``times`` in turn (start, then end)."""
    ticks = iter(times)
    monkeypatch.setattr(scoring, "time", SimpleNamespace(perf_counter=lambda: next(ticks)))


def test_mask_count_error_names_the_only_bad_prompt(wordpiece_tokenizer: Any) -> None:
    """A prompt without a mask among good ones is refused, and the error names that prompt
    and its count (not an IndexError, not another prompt)."""
    tok = wordpiece_tokenizer
    good = f"the cat sat on the {tok.mask_token} ."
    with pytest.raises(InputError, match=r"'the cat sat on the mat \.' has 0 mask tokens"):
        encode_prompts(tok, [good, "the cat sat on the mat .", good], torch.device("cpu"))


def test_mask_count_error_names_the_first_bad_prompt(wordpiece_tokenizer: Any) -> None:
    """With several bad prompts, the error names the first one in input order, with its own
    mask count: here the maskless prompt (0), not the later one with two masks."""
    tok = wordpiece_tokenizer
    m = tok.mask_token
    prompts = [f"a {m} .", "the dog barks .", f"a {m} and {m} .", f"the {m} ."]
    with pytest.raises(InputError) as err:
        encode_prompts(tok, prompts, torch.device("cpu"))
    assert "'the dog barks .' has 0 mask tokens" in str(err.value)
    assert "and" not in str(err.value).split("has")[0]


def test_throughput_stats_follow_the_clock(
    tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The throughput written to ``results.json``: seconds between the start and the end of
    scoring, and facts per second = facts / seconds."""
    model, tok = load_mlm(tiny_bert_dir, device="cpu")
    prepared, skipped = prepare_facts(FACTS, tok)
    assert skipped == [] and len(prepared) == 2
    _clock(monkeypatch, 100.0, 100.5)
    scores, stats = score_facts(model, tok, prepared)
    assert len(scores) == 2
    assert stats == {"facts": 2, "prompts": 2, "seconds": 0.5, "facts_per_s": 4.0}


def test_throughput_with_a_clock_that_did_not_advance(
    tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A coarse clock that reads the same before and after scoring gives an infinite rate,
    never a ZeroDivisionError after all the facts were scored."""
    model, tok = load_mlm(tiny_bert_dir, device="cpu")
    prepared, _ = prepare_facts(FACTS, tok)
    _clock(monkeypatch, 7.0, 7.0)
    scores, stats = score_facts(model, tok, prepared)
    assert [s.fact.subject for s in scores] == ["paris", "rome"]
    assert stats["seconds"] == 0.0 and stats["facts_per_s"] == float("inf")


def test_progress_bar_only_when_asked(
    tiny_bert_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``progress=True`` shows a "probing" bar on stderr counting prompts; ``progress=False``
    (the library default, used by tests and the tree trainer) writes nothing."""
    model, tok = load_mlm(tiny_bert_dir, device="cpu")
    prepared, _ = prepare_facts(FACTS, tok)
    capsys.readouterr()
    quiet, _ = score_facts(model, tok, prepared, progress=False)
    assert capsys.readouterr().err == ""
    shown, _ = score_facts(model, tok, prepared, progress=True)
    err = capsys.readouterr().err
    assert "probing" in err and "prompt" in err
    assert [s.rank for s in shown] == [s.rank for s in quiet]


@pytest.mark.skipif(not packing_available(), reason="no oneDNN weight packing here")
def test_scoring_runs_on_packed_linear_weights(tiny_bert_dir: Path) -> None:
    """Where this build can pack, the encoder's linear layers run on oneDNN-packed weights
    while scoring (the CPU speedup of ``bertology.models.packing``), and are restored after."""
    from torch import nn

    from bertology.probe.scoring import iter_mask_log_probs

    model, tok = load_mlm(tiny_bert_dir, device="cpu")
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    prompts = [p for f in FACTS for p in f.prompts]
    prompts = [p.replace(MASK, tok.mask_token) for p in prompts]
    for batch_size in (1, 64):
        stream = iter_mask_log_probs(model, tok, prompts, batch_size=batch_size)
        next(stream)
        assert all("forward" in vars(m) for m in linears), batch_size
        list(stream)
        assert not any("forward" in vars(m) for m in linears)
