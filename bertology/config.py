"""One configuration loader for every command: typed dataclass trees, YAML, ``--set``, shortcuts.

A command's settings are a dataclass whose fields are values or sections (fields whose type is
itself a dataclass), as cramming's Hydra trees. Each has an ``impl`` section for what changes
only speed or logging; everything outside ``impl`` changes the science. A run is configured, in
increasing precedence, by the defaults, a YAML file (``--config FILE`` or the name of a shipped
config), the command's shortcut flags (``--model``, ``--epochs``, ...), and ``--set key=value``::

    cfg = load(ProbeConfig, "probe.yaml", ["impl.batch_size=8"], {"model": "bert-base-cased"})

Values are typed from the dataclass annotations (``int``, ``float``, ``str``, ``bool``,
``Literal``, ``X | None``, ``list[X]``, ``tuple[X, ...]``, mappings). Every key is checked: an
unknown key gets an error listing the known keys of its section (and the closest one); a value
of the wrong type names the key, the expected type, and the file and line it came from. A key
that moved (``train.grad_accum`` -> ``impl.grad_accum``) is still read, with a warning naming
its new place. :func:`to_dict` gives the YAML written as a run's ``config.yaml``, which
follow-up commands read back through :func:`from_dict`.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from bertology.errors import InputError

T = TypeVar("T")

# The shipped configs are package data, ``bertology/configs/`` (in a wheel too); a checkout's
# ``configs/`` is a symlink to it, so ``--config configs/world-tiny.yaml`` works from the root.
PACKAGE_CONFIGS_DIR = Path(__file__).resolve().parent / "configs"

# Where each dotted key came from, for error messages: (file or "--set", line or None).
Origins = dict[str, tuple[str, int | None]]


def key_of(f: dataclasses.Field) -> str:
    """The YAML name of a field (``metadata={"key": "lambda"}`` for a Python keyword)."""
    return f.metadata.get("key", f.name)


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def is_section(tp: Any) -> bool:
    """Whether a field of type ``tp`` is a section (a nested dataclass)."""
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def known_keys(cls: type) -> list[str]:
    """Every dotted key a config of type ``cls`` may set, e.g. ``sas.lambda``."""
    out: list[str] = []
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        if is_section(hints[f.name]):
            out += [f"{key_of(f)}.{k}" for k in known_keys(hints[f.name])]
        else:
            out.append(key_of(f))
    return out


def field_type(cls: type, dotted: str) -> Any:
    """The annotation of the field at ``dotted`` (KeyError if there is none)."""
    head, _, rest = dotted.partition(".")
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        if key_of(f) == head:
            tp = hints[f.name]
            if rest:
                if not is_section(tp):
                    break
                return field_type(tp, rest)
            return tp
    raise KeyError(dotted)


# --- coercion ---------------------------------------------------------------------------------


def type_name(tp: Any) -> str:
    """A reader's name for a type: ``'max' | 'sum'``, ``int or null``, ``a list of str``."""
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in typing.get_args(tp))
    if origin in (list, tuple):
        return f"a list of {type_name(typing.get_args(tp)[0])}"
    if origin in (dict, Mapping):
        return "a mapping"
    if tp is type(None):
        return "null"
    return getattr(tp, "__name__", str(tp))


def coerce(value: Any, tp: Any, key: str, where: str | None = None, line: int | None = None) -> Any:
    """``value`` as type ``tp``, or an :class:`InputError` naming the key and the expected type.

    Strings are converted where a flag or ``--set`` gives one: ``"1e4"`` for an int,
    ``"null"`` for an optional value, ``"1,10"`` for a list.
    """
    origin = typing.get_origin(tp)
    bad = InputError(f"{key}: expected {type_name(tp)}, got {value!r}", where, line)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if type(None) in args and (value is None or value in ("null", "None", "none")):
            return None
        for a in args:
            if a is type(None):
                continue
            try:
                return coerce(value, a, key, where, line)
            except InputError:
                continue
        raise bad
    if origin is Literal:
        if value in typing.get_args(tp):
            return value
        raise bad
    if origin in (list, tuple):
        args = typing.get_args(tp)
        item = args[0]
        if value is None:
            value = []
        elif isinstance(value, str):
            value = [v.strip() for v in value.split(",")] if "," in value else [value]
        elif not isinstance(value, (list, tuple)):
            value = [value]  # a single path is a list of one
        items = [coerce(v, item, key, where, line) for v in value]
        if origin is tuple:
            if len(args) > 1 and args[1] is not Ellipsis and len(items) != len(args):
                raise InputError(
                    f"{key}: expected {len(args)} values, got {len(items)}", where, line
                )
            return tuple(items)
        return items
    if origin in (dict, Mapping):
        if isinstance(value, dict):
            return value
        raise bad
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):  # "1e4" is a string in YAML 1.1
            try:
                value = float(value)
            except ValueError:
                raise bad from None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise bad
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads 2e-3 (no dot) as a string
            try:
                return float(value)
            except ValueError:
                raise bad from None
        raise bad
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise bad
    raise bad


def unknown_key(
    key: str, known: list[str], where: str | None, line: int | None = None
) -> InputError:
    """An error for an unknown key that lists the known keys of its section."""
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return InputError(
        f"unknown config key {key!r}{hint}; known keys: {', '.join(known)}", where, line
    )


# --- building ---------------------------------------------------------------------------------


def from_dict(
    cls: type[T],
    raw: Mapping[str, Any] | None,
    where: str = "config",
    origins: Origins | None = None,
    _prefix: str = "",
) -> T:
    """Build a ``cls`` from nested data; unknown keys and mistyped values are errors.

    A run's saved ``config.yaml`` carries ``command``; it is ignored here.
    """
    origins = origins or {}
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        name = _prefix.rstrip(".") or "the config"
        raise InputError(f"{name}: expected a mapping, got {raw!r}", where)
    hints = _hints(cls)
    by_key = {key_of(f): f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for k, v in raw.items():
        dotted = f"{_prefix}{k}"
        src, line = origins.get(dotted, (where, None))
        if not _prefix and k == "command":
            continue
        if k not in by_key:
            raise unknown_key(dotted, [f"{_prefix}{kk}" for kk in by_key], src, line)
        f = by_key[k]
        tp = hints[f.name]
        if is_section(tp):
            kwargs[f.name] = from_dict(tp, v, where, origins, f"{dotted}.")
        else:
            kwargs[f.name] = coerce(v, tp, dotted, src, line)
    try:
        return cls(**kwargs)
    except TypeError as e:  # a required field without a value
        missing = [key_of(f) for f in dataclasses.fields(cls) if f.name not in kwargs]
        raise InputError(f"{e}; give {', '.join(_prefix + m for m in missing)}", where) from None


def to_dict(obj: Any) -> dict[str, Any]:
    """A config as plain nested data with the YAML key names, for ``config.yaml``."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            out[key_of(f)] = to_dict(v)
        elif isinstance(v, tuple):
            out[key_of(f)] = list(v)
        else:
            out[key_of(f)] = v
    return out


def without(d: Mapping[str, Any], *sections: str) -> dict[str, Any]:
    """``d`` without the named top-level sections (``without(to_dict(cfg), "impl")``: science)."""
    return {k: v for k, v in d.items() if k not in sections}


# --- sources: YAML files, --set, shortcut flags, moved keys ----------------------------------


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
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        line = text_line_of_byte(p.read_bytes(), e.start)
        raise InputError(f"not UTF-8 text ({e.reason})", p, line) from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"invalid YAML ({getattr(e, 'problem', e)})", p, line) from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping of settings, got {type(data).__name__}", p)
    lines: dict[str, int] = {}
    _key_lines(node, "", lines)
    return data, lines


def text_line_of_byte(data: bytes, offset: int) -> int:
    """1-based line of a byte offset (for an error in a file that is not valid UTF-8)."""
    return data.count(b"\n", 0, offset) + 1


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


def _dotted_keys(nested: Mapping[str, Any], prefix: str = "") -> list[str]:
    out = []
    for k, v in nested.items():
        out.append(f"{prefix}{k}")
        if isinstance(v, dict):
            out += _dotted_keys(v, f"{prefix}{k}.")
    return out


def warn(message: str) -> None:
    """A warning on stderr (the CLI's channel for progress and warnings; results go to files)."""
    print(f"bertology: warning: {message}", file=sys.stderr)


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


def load(
    cls: type[T],
    path: str | Path | None = None,
    overrides: Iterable[str] | None = None,
    flags: Mapping[str, Any] | None = None,
    moved: Mapping[str, str] | None = None,
    base: Mapping[str, Any] | None = None,
    flag_names: Mapping[str, str] | None = None,
) -> T:
    """Defaults < ``base`` < the YAML file < shortcut ``flags`` (dotted key -> value) < ``--set``.

    ``path`` is a file or a shipped config's name; ``flag_names`` (dotted key -> ``--flag``)
    names a flag in errors about its value. Returns a validated ``cls`` (its
    ``validate(where)`` method runs when it has one).
    """
    raw: dict[str, Any] = merge(base or {}, {})
    origins: Origins = {}
    where = "defaults"
    if path is not None:
        p = resolve_config_path(path)
        where = str(p)
        data, lines = read_yaml(p)
        data = apply_moved(data, moved or {}, where, lines)
        raw = merge(raw, data)
        origins.update({k: (where, line) for k, line in lines.items()})
    for dotted, value in (flags or {}).items():
        if value is not None:
            set_dotted(raw, dotted, value)
            flag = (flag_names or {}).get(dotted) or "--" + dotted.rpartition(".")[2].replace(
                "_", "-"
            )
            origins[dotted] = (flag, None)
    if overrides:
        over = apply_moved(parse_overrides(overrides), moved or {}, "--set")
        raw = merge(raw, over)
        origins.update({k: ("--set", None) for k in _dotted_keys(over)})
    cfg = from_dict(cls, raw, where, origins)
    validate = getattr(cfg, "validate", None)
    if callable(validate):
        at = where if not overrides else f"{where} (with --set)"
        if "lines" in inspect.signature(validate).parameters:  # errors can name the line
            validate(
                at, lines={k: line for k, (src, line) in origins.items() if src == where and line}
            )
        else:
            validate(at)
    return cfg


def loader(cls: type[T], moved: Mapping[str, str] | None = None) -> Callable[..., T]:
    """``load`` bound to one config class and its moved keys."""

    def _load(
        path: str | Path | None = None,
        overrides: Iterable[str] | None = None,
        flags: Mapping[str, Any] | None = None,
        base: Mapping[str, Any] | None = None,
    ) -> T:
        return load(cls, path, overrides, flags, moved, base)

    return _load
