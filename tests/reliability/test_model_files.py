"""Model and checkpoint files that are truncated, unreadable or missing are input errors that
name the file and say what is wrong (issue 13), not a library traceback."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import torch

from bertology.errors import InputError
from bertology.models.load import load_encoder, load_mlm
from bertology.train.checkpoint import load_optimizer_and_rng, read_trainer_state


@pytest.fixture
def model_dir(tmp_path: Path, tiny_bert_dir: Path) -> Path:
    d = tmp_path / "model"
    shutil.copytree(tiny_bert_dir, d)
    return d


def _truncate(p: Path) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("loader", [load_mlm, load_encoder])
@pytest.mark.parametrize(
    ("damage", "names", "says"),
    [
        (lambda d: _truncate(d / "model.safetensors"), "model.safetensors", "unreadable safetensors file, truncated or corrupted"),
        (lambda d: (d / "config.json").write_text('{"model_type": "bert",'), "config.json", "malformed JSON"),
        (lambda d: (d / "tokenizer.json").unlink(), None, "no tokenizer.json"),
        (lambda d: (d / "model.safetensors").unlink(), None, "no model weights (expected one of model.safetensors"),
        (lambda d: (d / "config.json").unlink(), None, "not a Hugging Face model directory (no config.json)"),
    ],
    ids=["truncated-weights", "broken-config", "no-tokenizer", "no-weights", "no-config"],
)  # fmt: skip
def test_a_damaged_model_directory_names_the_file(model_dir, loader, damage, names, says):
    damage(model_dir)
    with pytest.raises(InputError, match=re.escape(says)) as e:
        loader(model_dir, device="cpu")
    assert e.value.path == str(model_dir / names if names else model_dir)


def test_a_file_where_a_model_directory_is_expected(model_dir):
    with pytest.raises(InputError, match="expected a model directory, got a file"):
        load_mlm(model_dir / "config.json", device="cpu")


def _checkpoint(tmp_path: Path) -> tuple[Path, torch.optim.Optimizer, dict[int, str]]:
    from bertology.train.checkpoint import TrainerState, capture_rng, save_checkpoint

    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters())
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    names = {id(p): n for n, p in model.named_parameters()}

    class Saveable(torch.nn.Linear):  # what save_checkpoint needs of an HF model
        def save_pretrained(self, path, **kw):
            Path(path).mkdir(parents=True, exist_ok=True)

    class Tok:
        def save_pretrained(self, path):
            pass

    path = tmp_path / "step-000001"
    state = TrainerState(step=1, tokens_seen=0, samples_seen=1, world_size=1, lr=1e-3,
                         tokenizer_fingerprint="x", science_config={}, metrics={})  # fmt: skip
    save_checkpoint(path, Saveable(3, 2), Tok(), state, opt, names, [capture_rng()])
    return path, opt, names


def test_a_broken_trainer_state_names_the_file_and_line(tmp_path):
    path, _, _ = _checkpoint(tmp_path)
    (path / "trainer_state.json").write_text('{\n  "step": 1,\n  "tokens_seen": \n}')
    with pytest.raises(InputError, match="broken trainer state") as e:
        read_trainer_state(path)
    assert (e.value.path, e.value.line) == (str(path / "trainer_state.json"), 4)


@pytest.mark.parametrize("name", ["optimizer.safetensors", "rng.safetensors"])
@pytest.mark.parametrize("how", ["missing", "truncated"])
def test_a_missing_or_truncated_optimizer_or_rng_file_is_named(tmp_path, name, how):
    path, opt, names = _checkpoint(tmp_path)
    f = path / "trainer_state" / name
    f.unlink() if how == "missing" else _truncate(f)
    says = "missing from the checkpoint" if how == "missing" else "unreadable safetensors file"
    with pytest.raises(InputError, match=says) as e:
        load_optimizer_and_rng(path, opt, names, rank=0, world=1)
    assert e.value.path == str(f)
