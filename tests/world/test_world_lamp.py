"""The ``lamp`` world preset: at least 100 test facts per relation under prune's default subject
split, every fact stated at least 5 times, and ``--preset`` under flags, ``--config`` and
``--set``. The preset's full world takes about half a minute; these tests build its knowledge
base and token plan only, and run the command on a shrunken copy."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bertology.data.facts import Fact, split_by_subject
from bertology.world.config import PRESETS, WorldConfig, preset
from bertology.world.generate import WorldWriter


def lamp_config() -> WorldConfig:
    return WorldConfig(**preset("lamp")).validate()


def test_lamp_world_has_at_least_100_test_facts_for_every_relation() -> None:
    writer = WorldWriter(lamp_config())  # lexicon and knowledge base; no corpus is written
    facts = [Fact(f.subject, f.relation, f.object) for f in writer.kb.facts]
    test = Counter(f.relation for f in split_by_subject(facts)["test"])
    assert len(test) == 10
    assert min(test.values()) >= 100, test
    assert test["IsA"] == 500  # 5000 subjects, one IsA fact each: a tenth of them


def test_lamp_token_budget_leaves_room_above_the_mention_floor() -> None:
    """The corpus plans (as ``WorldWriter.corpus`` does) at least 1.5 times the fact sentences
    that stating every fact ``min_fact_count`` times takes, so the floor does not swallow the
    fact sentence fraction and a Zipfian head remains."""
    config = lamp_config()
    writer = WorldWriter(config)
    f = config.fact_sentence_fraction
    n_grammar = config.tokens / (writer.grammar_length + f / (1 - f) * writer.fact_length)
    planned = f / (1 - f) * n_grammar
    floor = config.min_fact_count * len(writer.kb.facts)
    assert config.min_fact_count >= 5
    assert planned >= 1.5 * floor, (planned, floor)


def test_preset_sits_under_flags_and_set(tmp_path: Path) -> None:
    from bertology.cli import app

    out = tmp_path / "w"
    args = ["world", "--out", str(out), "--preset", "lamp", "--tokens", "30000"]
    args += [
        "--set",
        "n_entities=300",
        "--set",
        "heldout_trees=10",
        "--set",
        "pairs_per_paradigm=2",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    world = json.loads((out / "world.json").read_text())
    config = world["config"]
    assert config["tokens"] == 30000 and config["n_entities"] == 300  # flag and --set win
    lamp = PRESETS["lamp"]
    assert config["fact_sentence_fraction"] == lamp["fact_sentence_fraction"] != 0.2
    assert config["min_fact_count"] == lamp["min_fact_count"] == 5
    assert world["knowledge"]["min_mentions_per_fact"] >= 5
    assert "test facts per relation (split by subject 0.8/0.1/0.1, seed 0): IsA 30" in result.output


def test_unknown_preset_is_a_one_line_error_listing_the_known_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bertology.cli import main

    argv = ["bertology", "world", "--out", str(tmp_path / "w"), "--preset", "lam"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 2
    assert "unknown world preset 'lam'; known presets: lamp" in capsys.readouterr().err
    assert not (tmp_path / "w").exists()
