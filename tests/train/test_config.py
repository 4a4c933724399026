"""The pre-training config: YAML, --set overrides, validation with helpful errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bertology.errors import InputError
from bertology.train.config import (
    config_from_dict,
    known_keys,
    load_config,
    parse_overrides,
)

MINIMAL = {"data": {"train": ["t.txt"]}, "eval": {"evaluators": []}}


def test_interface_keys_of_the_issue_are_all_known():
    keys = set(known_keys())
    for k in [
        "model.layers",
        "model.hidden",
        "model.heads",
        "data.train",
        "data.trees",
        "train.max_steps",
        "train.batch_size",
        "train.seq_len",
        "train.lr",
        "train.seed",
        "checkpoint.every",
        "sas.lambda",
        "sas.until_step",
        "eval.uas_conllu",
    ]:
        assert k in keys, k


@pytest.mark.parametrize("name", ["world-tiny", "bert-small", "bert-base-sas"])
def test_shipped_configs_load_by_name_and_by_path(name):
    by_name = load_config(name)
    by_path = load_config(Path(__file__).parents[2] / "configs" / f"{name}.yaml")  # checkout
    assert by_name == by_path


def test_bert_base_sas_is_the_papers_setting():
    c = load_config("bert-base-sas")
    assert (c.model.layers, c.model.hidden, c.model.heads) == (12, 768, 12)
    assert (c.train.batch_size, c.train.lr, c.train.weight_decay) == (256, 1e-4, 0.01)
    assert (c.train.warmup_steps, c.train.schedule) == (10000, "linear")
    assert c.train.seq_len in (128, 512)


def test_set_overrides_take_yaml_values_and_repeat():
    c = load_config(
        "world-tiny",
        [
            "sas.lambda=-0.5",
            "train.max_steps=7",
            "data.train=[a.txt, b.txt]",
            "data.trees=[a.conllu, b.conllu]",
            "sas.until_step=null",
        ],
    )
    assert c.sas.lam == -0.5
    assert c.train.max_steps == 7
    assert c.data.train == ["a.txt", "b.txt"]
    assert c.sas.until_step is None
    assert c.to_dict()["sas"]["lambda"] == -0.5  # written back under the YAML name
    assert load_config("world-tiny", ["train.lr=2e-3"]).train.lr == 0.002  # YAML 1.1 reads a str


def test_a_single_path_is_a_list_of_one():
    c = config_from_dict({**MINIMAL, "data": {"train": "one.txt"}})
    assert c.data.train == ["one.txt"]


def test_unknown_key_lists_known_keys_and_suggests_the_closest():
    with pytest.raises(InputError) as e:
        load_config("world-tiny", ["train.max_step=3"])
    msg = str(e.value)
    assert "train.max_step" in msg and "did you mean 'train.max_steps'" in msg
    assert "train.batch_size" in msg  # the known keys of the section are listed


def test_unknown_section_lists_sections():
    with pytest.raises(InputError, match="known keys: model, tokenizer, data"):
        config_from_dict({**MINIMAL, "optim": {"lr": 1}})


def test_wrong_type_names_key_and_expected_type():
    with pytest.raises(InputError, match=r"train.batch_size: expected int, got 'big'"):
        load_config("world-tiny", ["train.batch_size=big"])
    with pytest.raises(InputError, match=r"impl.precision: expected 'fp32' \| 'bf16'"):
        load_config("world-tiny", ["impl.precision=fp8"])
    with pytest.raises(InputError, match="--set expects key=value"):
        parse_overrides(["train.lr"])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"model": {"hidden": 30, "heads": 4}}, "divisible by model.heads"),
        ({"train": {"seq_len": 1024}}, "exceeds model.max_position"),
        ({"train": {"batch_size": 10}, "impl": {"grad_accum": 3}}, "divisible by impl.grad_accum"),
        ({"masking": {"prob": 1.5}}, "masking.prob must be in"),
        ({"sas": {"lambda": -1.0}}, "no dependency trees"),
        ({"data": {"train": ["a.txt"], "trees": ["a.conllu", "b.conllu"]}}, "one CoNLL-U file per"),
        ({"eval": {"evaluators": ["uas"]}}, "eval.uas_conllu is not set"),
        ({"eval": {"evaluators": ["val_loss"]}}, "data.valid is empty"),
        ({"train": {"max_steps": 0}}, "train.max_steps must be positive"),
    ],
)
def test_invalid_values_are_explained(override, message):
    raw = {k: dict(v) for k, v in MINIMAL.items()}
    for sec, body in override.items():
        raw.setdefault(sec, {}).update(body)
    with pytest.raises(InputError, match=message):
        config_from_dict(raw)


def test_unknown_evaluator_lists_the_registered_ones():
    with pytest.raises(InputError, match=r"unknown evaluator 'blimpp'.*uas, val_loss"):
        config_from_dict({**MINIMAL, "eval": {"evaluators": ["blimpp"]}})


def test_missing_config_file_lists_shipped_configs(tmp_path: Path):
    with pytest.raises(InputError, match="world-tiny"):
        load_config(tmp_path / "nope.yaml")


def test_yaml_syntax_error_names_the_line(tmp_path: Path):
    p = tmp_path / "bad.yaml"
    p.write_text("train:\n  lr: [1\n  seed: 0\n")
    with pytest.raises(InputError, match=r"bad.yaml:\d+: invalid YAML"):
        load_config(p)


def test_a_config_written_before_impl_took_the_speed_keys_still_loads(tmp_path, capsys):
    """config.yaml of a pretrain run written before grad_accum, print_every, the evaluators'
    batch size and the cache directory moved into impl: each is read in its new place, with
    a warning naming it."""
    old = tmp_path / "config.yaml"
    old.write_text(
        "command: pretrain\n"
        "data:\n  train: [t.txt]\n  cache_dir: /tmp/cache\n"
        "train:\n  batch_size: 8\n  grad_accum: 2\n  print_every: 7\n"
        "eval:\n  evaluators: []\n  batch_size: 5\n"
    )
    cfg = load_config(old)
    assert (cfg.impl.grad_accum, cfg.impl.print_every) == (2, 7)
    assert (cfg.impl.eval_batch_size, cfg.impl.cache_dir) == (5, "/tmp/cache")
    err = capsys.readouterr().err
    for old_key, new_key in [
        ("train.grad_accum", "impl.grad_accum"),
        ("train.print_every", "impl.print_every"),
        ("eval.batch_size", "impl.eval_batch_size"),
        ("data.cache_dir", "impl.cache_dir"),
    ]:
        assert f"{old_key} has moved to {new_key}" in err
    assert "train.grad_accum" not in cfg.science_dict()["train"]
