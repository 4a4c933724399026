"""Typing config values from dataclass annotations, with errors that name the key."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from bertology.errors import InputError


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
