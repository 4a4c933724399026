"""Where config values come from: YAML files (with each key's line), ``--set key=value``,
deep merges, and keys that moved (read in their new place, with a warning)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from bertology.errors import InputError
from bertology.io import iter_text_lines

# The shipped configs are package data, ``bertology/configs/`` (in a wheel too); a checkout's
# ``configs/`` is a symlink to it, so ``--config configs/world-tiny.yaml`` works from the root.
PACKAGE_CONFIGS_DIR = Path(__file__).resolve().parent.parent / "configs"


def resolve_config_path(path: str | Path) -> Path:
    """A config file path, or the name of a shipped config (``world-tiny``)."""
    p = Path(path)
    if p.exists():
        return p
    for cand in (PACKAGE_CONFIGS_DIR / f"{path}.yaml", PACKAGE_CONFIGS_DIR / str(path)):
        if cand.exists():
            return cand
    shipped = sorted(q.stem for q in PACKAGE_CONFIGS_DIR.glob("*.yaml"))
    raise InputError(
        f"config file not found; shipped configs: {', '.join(shipped) or '(none)'}", str(path)
    )


def _key_lines(node: Any, prefix: str, out: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                dotted = f"{prefix}{k.value}"
                out[dotted] = k.start_mark.line + 1
                _key_lines(v, f"{dotted}.", out)


def read_yaml(path: str | Path) -> tuple[dict[str, Any], dict[str, int]]:
    """A YAML mapping and the 1-based line of every (dotted) key in it."""
    p = Path(path)
    # the one UTF-8 reader: a directory, a missing file and a byte that is not UTF-8 are
    # errors naming the file (and line and column), as for every other input file
    text = "".join(line + "\n" for _, line in iter_text_lines(p))
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        why = str(getattr(e, "problem", None) or e)
        start = getattr(e, "context_mark", None)
        if start is not None and mark is not None and start.line != mark.line:
            why += f"; {getattr(e, 'context', 'it starts')} at line {start.line + 1}"
        raise InputError(f"invalid YAML ({why})", p, line) from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping of settings, got {type(data).__name__}", p)
    lines: dict[str, int] = {}
    _key_lines(node, "", lines)
    return data, lines


def set_dotted(nested: dict[str, Any], dotted: str, value: Any) -> None:
    """``nested[a][b][c] = value`` for ``dotted = "a.b.c"``, creating mappings on the way."""
    *path, last = dotted.split(".")
    d = nested
    for p in path:
        nxt = d.get(p)
        if not isinstance(nxt, dict):
            nxt = d[p] = {}
        d = nxt
    d[last] = value


def pop_dotted(nested: dict[str, Any], dotted: str) -> tuple[bool, Any]:
    """Remove ``dotted`` from ``nested``; ``(found, value)``."""
    *path, last = dotted.split(".")
    d: Any = nested
    for p in path:
        d = d.get(p) if isinstance(d, dict) else None
    if isinstance(d, dict) and last in d:
        return True, d.pop(last)
    return False, None


def parse_overrides(overrides: Iterable[str] | None) -> dict[str, Any]:
    """``["sas.lambda=-1", "data.train=[a.txt,b.txt]"]`` -> nested dict (values parsed as YAML)."""
    nested: dict[str, Any] = {}
    for item in overrides or []:
        if "=" not in item:
            raise InputError(f"--set expects key=value (e.g. train.max_steps=100), got {item!r}")
        key, _, text = item.partition("=")
        key = key.strip()
        if not key or any(not part for part in key.split(".")):
            raise InputError(f"--set: bad key {key!r} in {item!r}")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError as e:
            raise InputError(f"--set {key}: cannot parse value {text!r} ({e})") from None
        set_dotted(nested, key, value)
    return nested


def merge(base: Mapping[str, Any] | None, over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge of two nested config dicts (``over`` wins)."""
    out = {k: (merge(v, {}) if isinstance(v, dict) else v) for k, v in (base or {}).items()}
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def dotted_keys(nested: Mapping[str, Any], prefix: str = "") -> list[str]:
    out = []
    for k, v in nested.items():
        out.append(f"{prefix}{k}")
        if isinstance(v, dict):
            out += dotted_keys(v, f"{prefix}{k}.")
    return out


def warn(message: str) -> None:
    """A warning on stderr (the CLI's channel for progress and warnings; results go to files)."""
    from bertology.console import warn as _warn  # rich: imported when there is a warning

    _warn(message)


def apply_moved(
    raw: dict[str, Any],
    moved: Mapping[str, str],
    where: str,
    lines: dict[str, int] | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    """Move old keys to their new places (``{"train.grad_accum": "impl.grad_accum"}``), each
    with a warning naming the new place (``quiet``: none, for a run directory written before
    the move). A value given in both places is an error."""
    raw = merge(raw, {})
    for old, new in moved.items():
        found, value = pop_dotted(raw, old)
        if not found:
            continue
        line = (lines or {}).get(old)
        at = f"{where}:{line}" if line else where
        if pop_dotted(merge(raw, {}), new)[0]:
            raise InputError(f"{old} moved to {new}, and both are given; keep {new}", where, line)
        if not quiet:
            warn(f"{at}: {old} has moved to {new}; read as {new}")
        set_dotted(raw, new, value)
        if lines is not None and line is not None:
            lines[new] = line
    return raw
