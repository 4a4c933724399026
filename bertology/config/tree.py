"""Config trees: dataclasses whose fields are values or sections, built from nested data
(:func:`from_dict`), written back (:func:`to_dict`), and loaded from every source
(:func:`load`)."""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from bertology.config.coerce import coerce
from bertology.config.sources import (
    apply_moved,
    dotted_keys,
    merge,
    parse_overrides,
    read_yaml,
    resolve_config_path,
    set_dotted,
)
from bertology.errors import InputError

T = TypeVar("T")

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


def unknown_key(
    key: str, known: list[str], where: str | None, line: int | None = None
) -> InputError:
    """An error for an unknown key that lists the known keys of its section."""
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return InputError(
        f"unknown config key {key!r}{hint}; known keys: {', '.join(known)}", where, line
    )


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
        origins.update({k: ("--set", None) for k in dotted_keys(over)})
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
