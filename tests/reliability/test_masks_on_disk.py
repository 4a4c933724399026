"""Mask files on disk (issue 13): a corrupted file is refused by its checksum; a file written
before checksums loads with a warning; a prune run directory stands for its masks."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from bertology.errors import InputError
from bertology.prune.maskfiles import mask_paths, mask_stats
from bertology.prune.masks import SubnetworkMask
from bertology.prune.storage import load_mask, save_mask
from bertology.prune.targets import find_targets


@pytest.fixture
def mask_file(tmp_path: Path, tiny_bert) -> Path:
    targets = find_targets(tiny_bert, "all")
    g = torch.Generator().manual_seed(0)
    keep = {t.name: torch.rand(t.shape, generator=g) > 0.5 for t in targets}
    mask = SubnetworkMask(
        relation="IsA", targets=targets, keep=keep, soft=None, mode="deterministic",
        threshold=0.5, layers=(0, 1), model_name="scaled-bert", model_shape_hash="x",
        model_fingerprint="",
    )  # fmt: skip
    path = tmp_path / "run" / "masks" / "IsA.safetensors"
    path.parent.mkdir(parents=True)
    save_mask(mask, path)
    return path


def _rewrite(path: Path, change_tensor=None, drop_key: str | None = None) -> None:
    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata())
    tensors = load_file(str(path))
    if change_tensor is not None:
        name = sorted(tensors)[0]
        tensors[name] = change_tensor(tensors[name].clone())
    if drop_key:
        meta.pop(drop_key)
    save_file(tensors, str(path), metadata=meta)


def test_a_flipped_bit_is_refused(mask_file):
    def flip(t: torch.Tensor) -> torch.Tensor:
        t[0] ^= 1
        return t

    load_mask(mask_file)  # intact: loads
    _rewrite(mask_file, change_tensor=flip)
    with pytest.raises(InputError, match="does not match its checksum: the file is corrupted") as e:
        load_mask(mask_file)
    assert e.value.path == str(mask_file)


def test_a_file_without_a_checksum_loads_with_a_warning(mask_file, capsys):
    before = load_mask(mask_file)
    _rewrite(mask_file, drop_key="payload_sha256")
    after = load_mask(mask_file)
    assert all(torch.equal(before.keep[k], after.keep[k]) for k in before.keep)
    assert "carries no checksum" in capsys.readouterr().err


def test_a_prune_run_directory_stands_for_its_masks(mask_file, tmp_path):
    run = mask_file.parent.parent
    assert mask_paths([run]) == [mask_file] == mask_paths([run / "masks"])
    assert list(mask_stats([run])) == [str(mask_file)]
    with pytest.raises(InputError, match="a directory with no masks"):
        mask_paths([tmp_path / "run" / "masks" / ".." / ".."])
