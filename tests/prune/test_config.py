"""Prune's typed config: run directories written before ``impl`` existed still load."""

from __future__ import annotations

import pytest

from bertology.errors import InputError
from bertology.prune.config import PruneRunConfig, load_run_config

# config.yaml as `bertology prune` wrote it before the impl section (commit b06d525)
OLD = """command: prune
model: scaled-bert
facts: /data/facts.jsonl
relations_file: /data/relations.jsonl
relations: null
train:
  layers: all
  mode: stochastic
  init_sparsity: 0.5
  tau: 0.1
  threshold: 0.5
  init_scale: 0.05
  epochs: 3
  lr: 0.01
  batch_size: 4
  warmup: 0.1
  patience: 3
  sparsity_weight: 0.0
  sparsity_target: null
  seed: 3
  split_seed: 0
  split_ratios:
  - 0.5
  - 0.0
  - 0.5
  hard_eval: true
  candidates: relation
  eval_batch_size: 16
  progress: false
random_seeds:
- 0
- 1
save_soft: null
device: cpu
dtype: null
attn: eager
"""


def test_a_run_written_before_impl_loads_with_its_speed_settings_moved(tmp_path, capsys):
    (tmp_path / "config.yaml").write_text(OLD)
    cfg = load_run_config(tmp_path)
    assert isinstance(cfg, PruneRunConfig)
    assert cfg.train.mode == "stochastic" and cfg.train.hard_eval and not cfg.train.eval_soft
    assert cfg.train.split_ratios == (0.5, 0.0, 0.5) and cfg.train.candidates == "relation"
    assert cfg.impl.eval_batch_size == 16 and cfg.impl.progress is False
    assert (cfg.impl.device, cfg.impl.attn, cfg.impl.dtype) == ("cpu", "eager", None)
    assert cfg.random_seeds == [0, 1]
    assert capsys.readouterr().err == ""  # a saved run is read quietly


def test_a_run_of_another_command_or_no_run_is_refused(tmp_path):
    with pytest.raises(InputError, match="not a prune run directory"):
        load_run_config(tmp_path)
    (tmp_path / "config.yaml").write_text("command: probe\nmodel: m\nfacts: f\n")
    with pytest.raises(InputError, match="written by 'probe', not prune"):
        load_run_config(tmp_path)


def test_a_saved_config_with_a_bad_value_names_its_line(tmp_path):
    (tmp_path / "config.yaml").write_text(OLD.replace("  epochs: 3", "  epochs: three"))
    with pytest.raises(InputError, match=r"config.yaml:13: train.epochs: expected int"):
        load_run_config(tmp_path)


def test_mask_file_names_are_one_to_one_and_stay_in_the_masks_directory():
    from bertology.prune.run import check_mask_filenames, mask_filename

    names = ["Made Of", "Made_Of", "Made-Of", "a/b", "../up", ".hidden", "héllo", "P19", "x.y"]
    files = [mask_filename(n) for n in names]
    assert len(set(files)) == len(names)  # no two relations share a file
    assert mask_filename("Made Of") == "Made_20Of.safetensors"
    assert mask_filename("Made_Of") == "Made_5FOf.safetensors"
    assert all("/" not in f and not f.startswith(".") for f in files)
    assert mask_filename("P19") == "P19.safetensors"  # plain names stay readable
    check_mask_filenames(names)
    with pytest.raises(InputError, match="'isa' and 'IsA' differ only in letter case"):
        check_mask_filenames(["isa", "IsA"])
