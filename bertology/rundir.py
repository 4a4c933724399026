"""The run directory: one per command, the same layout everywhere (DESIGN.md).

::

    RUN/
      config.yaml      resolved configuration of the command
      results.json     stable schema, with a ``schema`` version field
      metrics.jsonl    streamed while the command runs
      figures/         PNG figures
      masks/, checkpoints/   artifacts
      report.html      a human-readable page of results and figures
      env.json         versions, device, git revision

Every command creates a :class:`RunDir`, writes through it, and calls :meth:`RunDir.finish`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch
import yaml

import bertology
from bertology.config import to_dict
from bertology.errors import InputError
from bertology.io import (
    JsonlAppender,
    atomic_write_json,
    atomic_write_text,
    new_temp_dir,
    remove_stale_temporaries,
    swap_directory,
)
from bertology.report.html import write_report

RESULTS_SCHEMA = 1


def _plain(obj: Any) -> Any:
    """Dataclasses, paths and tuples to plain YAML/JSON-able values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _plain(to_dict(obj))  # YAML key names, as the config loader reads them back
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item):
        return obj.item()
    return obj


def git_revision() -> str | None:
    """The git revision of the bertology source tree, if it is a checkout."""
    try:
        root = Path(__file__).resolve().parent.parent
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
        if out.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def environment_info(device: str | None = None) -> dict[str, Any]:
    """Versions, device and git revision, for ``env.json``."""
    info: dict[str, Any] = {
        "bertology": bertology.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": torch.__version__,
        "cuda_available": torch.cuda.is_available(),
        "device": device,
        "git_revision": git_revision(),
        "argv": sys.argv,
        "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if torch.cuda.is_available():
        info["cuda_device"] = torch.cuda.get_device_name(0)
    for mod in ("transformers", "tokenizers", "datasets", "safetensors", "numpy", "spacy"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - optional packages
            info[mod] = None
    return info


def check_out(path: Path, overwrite: bool, command: str | None = None) -> None:
    """Refuse an ``--out`` that a staged run must not replace: a file, a directory that is not
    a bertology run (its files are not ours to delete), a finished run without ``overwrite``,
    or the run of another command (``--overwrite`` replaces a run of the same command only:
    a mistyped ``--out`` must not wipe a prune run with a probe). Stale temporaries of an
    interrupted run beside it are removed."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    if not path.exists():
        return
    if not path.is_dir():
        raise InputError("--out is a file; expected a run directory", path)
    if not any(path.iterdir()):
        return
    if not (path / "config.yaml").exists():
        raise InputError(
            "--out is a directory that is not a bertology run and is not empty; choose a new or "
            "empty directory (bertology deletes no file it did not write)",
            path,
        )
    if command is not None:
        other = run_command(path / "config.yaml")
        if other != command:
            raise InputError(
                f"a {other or 'bertology'} run is here, not a {command} run; --overwrite replaces "
                f"only a {command} run (choose another --out, or remove this run yourself)",
                path,
            )
    if not overwrite:
        raise InputError(
            "a run is already here; pass --overwrite to replace it (the new run replaces it only "
            "when it completes), or choose another --out",
            path,
        )


def run_command(config_yaml: Path) -> str | None:
    """The ``command`` a run's ``config.yaml`` names, or None when it cannot be read."""
    try:
        data = yaml.safe_load(config_yaml.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    command = data.get("command") if isinstance(data, dict) else None
    return command if isinstance(command, str) else None


class RunDir:
    """A command's output directory. Creating one writes ``config.yaml`` and ``env.json``.

    ``staged=True`` (probe, uas, prune) builds the run in a hidden sibling and swaps it in at
    :meth:`finish`: a command that fails leaves an existing run exactly as it was and no new
    directory (:meth:`abandon` removes the partial one).
    """

    def __init__(
        self,
        path: str | Path,
        command: str,
        config: Any,
        device: str | None = None,
        staged: bool = False,
        overwrite: bool = False,
    ):
        self.final = Path(path)
        self.staged = staged
        if staged:
            check_out(self.final, overwrite, command)
            self.path = new_temp_dir(self.final)
        else:
            self.path = self.final
            self.path.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(self.path)  # of an interrupted write into this run
        self.command = command
        self.config = _plain(config)
        atomic_write_text(
            self.path / "config.yaml",
            yaml.safe_dump({"command": command, **self.config}, sort_keys=False),
        )
        atomic_write_json(self.path / "env.json", environment_info(device))
        self._metrics: JsonlAppender | None = None

    # paths ---------------------------------------------------------------------------------
    @property
    def figures(self) -> Path:
        d = self.path / "figures"
        d.mkdir(exist_ok=True)
        return d

    def subdir(self, name: str) -> Path:
        d = self.path / name
        d.mkdir(parents=True, exist_ok=True)
        return d

    # writers -------------------------------------------------------------------------------
    def log_metrics(self, row: dict[str, Any]) -> None:
        """Append one line to ``metrics.jsonl`` (streamed, flushed)."""
        if self._metrics is None:
            self._metrics = JsonlAppender(self.path / "metrics.jsonl")
        self._metrics.write(row)

    def write_json(self, name: str, obj: Any) -> Path:
        return atomic_write_json(self.path / name, _plain(obj))

    def write_results(self, results: dict[str, Any]) -> Path:
        """Write ``results.json`` with the schema version first."""
        return self.write_json("results.json", {"schema": RESULTS_SCHEMA, **_plain(results)})

    def read_results(self) -> dict[str, Any]:
        return json.loads((self.path / "results.json").read_text())

    def finish(self, title: str | None = None) -> Path:
        """Close streams, write ``report.html``; a staged run is swapped into place."""
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None
        write_report(self.path, title=title or f"bertology {self.command}")
        if self.staged and self.path != self.final:
            swap_directory(self.path, self.final)
            self.path = self.final
        return self.path / "report.html"

    def abandon(self) -> None:
        """A failed staged run: remove its partial directory (an existing run is untouched)."""
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None
        if self.staged and self.path != self.final:
            shutil.rmtree(self.path, ignore_errors=True)
