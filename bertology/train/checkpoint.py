"""Checkpoints: an HF model directory plus the trainer state needed to resume bit for bit.

::

    RUN/checkpoints/step-000100/
      config.json  model.safetensors  tokenizer.json  tokenizer_config.json ...   (HF format)
      trainer_state.json             step, tokens seen, data position, lr, RNG (python), ...
      trainer_state/optimizer.safetensors   AdamW moments, keyed by parameter name
      trainer_state/rng.safetensors         torch CPU / CUDA generator states, one per rank

The model directory loads with ``from_pretrained`` / ``bertology.models.load_mlm`` like any
other. A directory appears only when complete (built under a temporary name, then renamed),
so a crash mid-save leaves the previous checkpoints and no half one. No pickles: tensors are
safetensors, the rest JSON.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from bertology.distributed import DistContext, gather_bytes
from bertology.errors import InputError
from bertology.io import atomic_directory, atomic_write_json
from bertology.models.load import quiet_transformers

_STEP_DIR = re.compile(r"^step-(\d+)$")
STATE_FILE = "trainer_state.json"


def checkpoint_name(step: int, max_steps: int) -> str:
    """``step-000100``: zero-padded so that names sort by step."""
    return f"step-{step:0{max(6, len(str(max_steps)))}d}"


def list_checkpoints(ckpt_dir: str | Path) -> list[tuple[int, Path]]:
    """Complete checkpoints under ``ckpt_dir`` as ``(step, path)``, by step.

    Temporary directories of an interrupted save (``.step-000100.xxxx.tmp``) are not listed.
    """
    d = Path(ckpt_dir)
    if not d.is_dir():
        return []
    out = []
    for p in d.iterdir():
        m = _STEP_DIR.match(p.name)
        if m and p.is_dir() and (p / "config.json").exists():
            out.append((int(m.group(1)), p))
    return sorted(out)


def remove_partial_saves(ckpt_dir: str | Path) -> list[Path]:
    """Delete leftovers of saves killed mid-write (only possible after SIGKILL or power loss)."""
    d = Path(ckpt_dir)
    gone = []
    if d.is_dir():
        for p in d.iterdir():
            if p.name.startswith(".step-") and p.name.endswith(".tmp") and p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
                gone.append(p)
    return gone


# --- RNG ------------------------------------------------------------------------------------


def capture_rng() -> dict[str, Any]:
    """This process's RNG states: torch CPU (and CUDA) as tensors, python and numpy as JSON."""
    tensors = {"torch_cpu": torch.random.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i in range(torch.cuda.device_count()):
            tensors[f"torch_cuda{i}"] = torch.cuda.get_rng_state(i)
    np_state = np.random.get_state()
    tensors["numpy_keys"] = torch.from_numpy(np.asarray(np_state[1], dtype=np.int64))
    py = random.getstate()
    return {
        "tensors": tensors,
        "json": {
            "python": [py[0], list(py[1]), py[2]],
            "numpy": [np_state[0], int(np_state[2]), int(np_state[3]), float(np_state[4])],
        },
    }


def restore_rng(state: dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng`."""
    t, j = state["tensors"], state["json"]
    torch.random.set_rng_state(t["torch_cpu"])
    for k, v in t.items():
        if k.startswith("torch_cuda") and torch.cuda.is_available():
            i = int(k[len("torch_cuda") :])
            if i < torch.cuda.device_count():
                torch.cuda.set_rng_state(v, i)
    py = j["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    name, pos, has_gauss, cached = j["numpy"]
    np.random.set_state((name, t["numpy_keys"].numpy().astype(np.uint32), pos, has_gauss, cached))


# --- optimizer ------------------------------------------------------------------------------


def optimizer_tensors(
    optimizer: torch.optim.Optimizer, names: dict[int, str]
) -> dict[str, torch.Tensor]:
    """AdamW's per-parameter state as ``{"<param name>/<state key>": tensor}``."""
    out: dict[str, torch.Tensor] = {}
    for p, st in optimizer.state.items():
        for k, v in st.items():
            if isinstance(v, torch.Tensor):
                out[f"{names[id(p)]}/{k}"] = v.detach().cpu().contiguous()
    return out


def load_optimizer_tensors(
    optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], names: dict[int, str]
) -> None:
    """Put saved per-parameter state back, matched by parameter name."""
    by_name: dict[str, dict[str, torch.Tensor]] = {}
    for key, v in tensors.items():
        pname, _, k = key.rpartition("/")
        by_name.setdefault(pname, {})[k] = v
    for group in optimizer.param_groups:
        for p in group["params"]:
            st = by_name.get(names[id(p)])
            if st is None:
                continue
            optimizer.state[p] = {k: (v.to(p.device) if k != "step" else v) for k, v in st.items()}


# --- save / load ----------------------------------------------------------------------------


@dataclass
class TrainerState:
    """What a checkpoint records besides the weights."""

    step: int
    tokens_seen: int
    samples_seen: int  # data position: rows of the global batch order consumed
    world_size: int
    lr: float
    tokenizer_fingerprint: str
    science_config: dict[str, Any]
    metrics: dict[str, Any]


def save_checkpoint(
    path: Path,
    model: Any,
    tokenizer: Any,
    state: TrainerState,
    optimizer: torch.optim.Optimizer | None,
    param_names: dict[int, str],
    rng_by_rank: list[dict[str, Any]] | None,
) -> Path:
    """Write one checkpoint directory atomically (see the module docstring)."""
    with atomic_directory(path, overwrite=True) as tmp, quiet_transformers():
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        js: dict[str, Any] = {**state.__dict__, "rng": None, "has_optimizer": optimizer is not None}
        if optimizer is not None:
            sub = tmp / "trainer_state"
            sub.mkdir()
            save_file(optimizer_tensors(optimizer, param_names), str(sub / "optimizer.safetensors"))
            if rng_by_rank is not None:
                tensors = {
                    f"rank{r}/{k}": v
                    for r, st in enumerate(rng_by_rank)
                    for k, v in st["tensors"].items()
                }
                save_file(
                    {k: v.contiguous() for k, v in tensors.items()}, str(sub / "rng.safetensors")
                )
                js["rng"] = [st["json"] for st in rng_by_rank]
        atomic_write_json(tmp / STATE_FILE, js)
    return path


def read_trainer_state(path: Path) -> dict[str, Any]:
    """The JSON trainer state of a checkpoint directory."""
    f = Path(path) / STATE_FILE
    if not f.exists():
        raise InputError("not a bertology pre-training checkpoint (no trainer_state.json)", path)
    try:
        state = json.loads(f.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        line = getattr(e, "lineno", None)
        raise InputError(f"broken trainer state ({getattr(e, 'msg', e)})", f, line) from None
    if not isinstance(state, dict):
        raise InputError("broken trainer state (expected a JSON object)", f)
    return state


def _read_tensors(path: Path) -> dict[str, torch.Tensor]:
    """A checkpoint's safetensors file; missing or unreadable is an error naming it."""
    if not path.exists():
        raise InputError("missing from the checkpoint (it was deleted, or the save was cut)", path)
    try:
        return load_file(str(path))
    except Exception as e:  # noqa: BLE001 - safetensors raises several types
        raise InputError(
            f"unreadable safetensors file, truncated or corrupted ({e})", path
        ) from None


def load_optimizer_and_rng(
    path: Path, optimizer: torch.optim.Optimizer, param_names: dict[int, str], rank: int, world: int
) -> bool:
    """Restore optimizer state and this rank's RNG from a checkpoint.

    Returns whether the RNG was restored (it is not when the world size changed).
    """
    js = read_trainer_state(path)
    sub = Path(path) / "trainer_state"
    if not js.get("has_optimizer"):
        raise InputError(
            "this checkpoint has no optimizer state (checkpoint.trainer_state=latest keeps it only "
            "in the newest); resume from the newest checkpoint",
            path,
        )
    load_optimizer_tensors(optimizer, _read_tensors(sub / "optimizer.safetensors"), param_names)
    if js.get("rng") is None or js["world_size"] != world:
        return False
    flat = _read_tensors(sub / "rng.safetensors")
    prefix = f"rank{rank}/"
    tensors = {k[len(prefix) :]: v for k, v in flat.items() if k.startswith(prefix)}
    restore_rng({"tensors": tensors, "json": js["rng"][rank]})
    return True


def drop_trainer_state(path: Path) -> None:
    """Remove a checkpoint's optimizer/RNG state, keeping the model (``trainer_state: latest``)."""
    shutil.rmtree(Path(path) / "trainer_state", ignore_errors=True)
    f = Path(path) / STATE_FILE
    if f.exists():
        js = read_trainer_state(path)
        js["has_optimizer"] = False
        js["rng"] = None
        atomic_write_json(f, js)


# --- across ranks, and resuming -----------------------------------------------------------------


def gather_rng(dist: DistContext) -> list[dict[str, Any]]:
    """Every rank's RNG states (:func:`capture_rng`), in rank order, so that each rank resumes
    its own streams; one process: ``[capture_rng()]``. A collective: every rank calls it."""
    rng = capture_rng()
    if not dist.enabled:
        return [rng]
    jsons = [json.loads(b) for b in gather_bytes(json.dumps(rng["json"]).encode())]
    tensors = {
        k: torch.stack(dist.gather_tensors(v.view(torch.uint8).flatten()))
        for k, v in rng["tensors"].items()
    }
    return [
        {
            "tensors": {
                k: tensors[k][r].view(rng["tensors"][k].dtype).reshape(rng["tensors"][k].shape)
                for k in tensors
            },
            "json": jsons[r],  # python and numpy: this rank's, not rank 0's
        }
        for r in range(dist.world)
    ]


def resume_point(
    ckpt_dir: Path, resume: bool, is_main: bool, log: Callable[[str], None], out: Path
) -> tuple[int, Path] | None:
    """``(step, path)`` of the newest checkpoint with optimizer state to resume from.

    Without ``resume``, existing checkpoints are an error (a run is never overwritten). With
    it, partial saves of a crashed run are removed first (rank 0) and a run without a usable
    checkpoint starts from step 0.
    """
    ckpts = list_checkpoints(ckpt_dir)
    if not resume:
        if ckpts:
            raise InputError(
                f"already has checkpoints (up to step {ckpts[-1][0]}); pass --resume to continue "
                "this run, or choose a new --out",
                out,
            )
        return None
    if is_main:
        for p in remove_partial_saves(ckpt_dir):
            log(f"removed the partial save {p.name}")
    usable = [(s, p) for s, p in ckpts if read_trainer_state(p).get("has_optimizer")]
    if not usable:
        log(f"--resume: no checkpoint in {ckpt_dir}; starting from step 0")
        return None
    step, path = usable[-1]
    log(f"resuming from {path} (step {step})")
    return step, path


def config_changes(saved: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """``"section.key: old -> new"`` for each science setting that differs from the
    checkpoint's (``now`` is :meth:`PretrainConfig.science_dict`)."""
    return [
        f"{sec}.{k}: {saved.get(sec, {}).get(k)!r} -> {v!r}"
        for sec, body in now.items()
        for k, v in body.items()
        if saved.get(sec, {}).get(k) != v
    ]


def refuse_science_changes(ckpt: Path, now: dict[str, Any], out: Path) -> None:
    """Refuse to resume from ``ckpt`` with science settings (``now``, the config's
    :meth:`science_dict`) that differ from the checkpoint's: ``config.yaml`` must describe the
    model that was trained. Only ``impl.*`` and ``checkpoint.*`` may change on resume."""
    changed = config_changes(read_trainer_state(ckpt)["science_config"], now)
    if changed:
        raise InputError(
            "cannot resume with settings that change the science ("
            + "; ".join(changed)
            + "); only impl.* and checkpoint.* may change on resume",
            out,
        )
