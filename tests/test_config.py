"""The one configuration loader (:mod:`bertology.config`): sources, precedence, typing, errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from bertology import config as C
from bertology.errors import InputError


@dataclass
class Impl:
    batch_size: int = 64
    device: str = "auto"


@dataclass
class Train:
    lr: float = 3e-4
    epochs: int = 10
    mode: Literal["deterministic", "stochastic"] = "deterministic"
    target: float | None = None
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)


@dataclass
class Cfg:
    model: str = "bert-base-cased"
    relations: list[str] | None = None
    k: list[int] = field(default_factory=lambda: [1, 10])
    train: Train = field(default_factory=Train)
    impl: Impl = field(default_factory=Impl)


MOVED = {"batch_size": "impl.batch_size", "train.device": "impl.device"}


def _yaml(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "cfg.yaml"
    p.write_text(text)
    return p


def test_precedence_defaults_file_flags_set(tmp_path):
    p = _yaml(tmp_path, "model: from-file\ntrain:\n  lr: 0.1\n  epochs: 3\n")
    cfg = C.load(Cfg, p, ["train.epochs=7"], {"model": "from-flag", "train.epochs": 5})
    assert cfg.model == "from-flag"  # a flag beats the file
    assert cfg.train.epochs == 7  # --set beats a flag
    assert cfg.train.lr == 0.1  # the file beats the default
    assert cfg.impl.batch_size == 64  # the default
    assert C.load(Cfg, p, None, {"model": None}).model == "from-file"  # an unset flag is no flag


def test_values_are_typed_from_the_annotations():
    cfg = C.load(
        Cfg,
        None,
        ["k=1,5,10", "train.lr=2e-3", "train.epochs=1e1", "train.target=null", "relations=P19"],
    )
    assert cfg.k == [1, 5, 10]
    assert cfg.train.lr == 0.002 and cfg.train.epochs == 10 and cfg.train.target is None
    assert cfg.relations == ["P19"]
    assert C.load(Cfg, None, ["train.ratios=[0.5,0.25,0.25]"]).train.ratios == (0.5, 0.25, 0.25)
    with pytest.raises(InputError, match="train.ratios: expected 3 values, got 2"):
        C.load(Cfg, None, ["train.ratios=[0.5,0.5]"])


def test_unknown_key_lists_the_known_keys_of_its_section_with_file_and_line(tmp_path):
    p = _yaml(tmp_path, "model: m\ntrain:\n  lr: 0.1\n  epoch: 3\n")
    with pytest.raises(InputError) as e:
        C.load(Cfg, p)
    msg = str(e.value)
    assert msg.startswith(f"{p}:4: unknown config key 'train.epoch'")
    assert "did you mean 'train.epochs'" in msg
    assert "known keys: train.lr, train.epochs, train.mode, train.target, train.ratios" in msg
    with pytest.raises(InputError, match=r"unknown config key 'impl.batch'.*impl.batch_size"):
        C.load(Cfg, None, ["impl.batch=3"])


def test_a_mistyped_value_names_the_key_the_type_and_where_it_came_from(tmp_path):
    p = _yaml(tmp_path, "model: m\n\ntrain:\n  mode: fast\n")
    with pytest.raises(InputError) as e:
        C.load(Cfg, p)
    assert str(e.value) == f"{p}:4: train.mode: expected 'deterministic' | 'stochastic', got 'fast'"
    with pytest.raises(InputError, match=r"^--set: impl.batch_size: expected int, got 'big'"):
        C.load(Cfg, _yaml(tmp_path, "model: m\n"), ["impl.batch_size=big"])
    with pytest.raises(InputError, match=r"^--epochs: train.epochs: expected int, got 'x'"):
        C.load(Cfg, None, None, {"train.epochs": "x"})


def test_a_moved_key_is_read_in_its_new_place_with_a_warning(tmp_path, capsys):
    p = _yaml(tmp_path, "model: m\nbatch_size: 8\n")
    cfg = C.load(Cfg, p, ["train.device=cpu"], moved=MOVED)
    assert cfg.impl.batch_size == 8 and cfg.impl.device == "cpu"
    err = capsys.readouterr().err
    assert f"{p}:2: batch_size has moved to impl.batch_size" in err
    assert "--set: train.device has moved to impl.device" in err
    with pytest.raises(InputError, match="batch_size moved to impl.batch_size, and both are given"):
        C.load(Cfg, _yaml(tmp_path, "batch_size: 8\nimpl:\n  batch_size: 4\n"), moved=MOVED)


def test_to_dict_round_trips_through_from_dict_and_ignores_the_command_key():
    cfg = C.load(Cfg, None, ["train.mode=stochastic", "k=[1]", "impl.batch_size=3"])
    d = C.to_dict(cfg)
    assert d["train"]["ratios"] == [0.8, 0.1, 0.1]  # a list in YAML
    assert C.from_dict(Cfg, {"command": "probe", **d}) == cfg
    assert C.without(d, "impl").keys() == {"model", "relations", "k", "train"}


def test_known_keys_and_field_type():
    keys = C.known_keys(Cfg)
    assert keys[:3] == ["model", "relations", "k"]
    assert "train.ratios" in keys and "impl.device" in keys
    assert C.field_type(Cfg, "train.epochs") is int
    with pytest.raises(KeyError):
        C.field_type(Cfg, "train.nope")


def test_bad_files_name_file_and_line(tmp_path):
    p = _yaml(tmp_path, "model: m\ntrain: [unclosed\n")
    with pytest.raises(InputError, match=rf"^{p}:\d+: invalid YAML"):
        C.load(Cfg, p)
    q = tmp_path / "bytes.yaml"
    q.write_bytes(b"model: m\ntrain:\n  lr: \xff\n")
    with pytest.raises(InputError, match=rf"^{q}:3: not UTF-8 \(byte 0xFF at column 7\)"):
        C.load(Cfg, q)
    with pytest.raises(InputError, match=r"expected a mapping of settings, got list"):
        C.load(Cfg, _yaml(tmp_path, "- a\n- b\n"))
    with pytest.raises(InputError, match="config file not found; shipped configs: .*world-tiny"):
        C.load(Cfg, tmp_path / "missing.yaml")
    with pytest.raises(InputError, match="train: expected a mapping"):
        C.load(Cfg, _yaml(tmp_path, "train: 3\n"))


def test_set_needs_key_equals_value():
    with pytest.raises(InputError, match="--set expects key=value"):
        C.parse_overrides(["train.lr"])
    with pytest.raises(InputError, match="bad key"):
        C.parse_overrides(["train..lr=1"])
    assert C.parse_overrides(["a.b.c=1", "a.b.d=[x, y]"]) == {"a": {"b": {"c": 1, "d": ["x", "y"]}}}
