"""Typer commands built from a config dataclass: ``--config``, ``--set`` and shortcut flags.

Every command that takes settings is declared once, as its config class and a table of
shortcut flags, each naming the config key it sets::

    config_command(
        app, "probe", config=probe_config_class,
        flags=[Flag("model", "--model", "-m", help="HF hub name or local directory."),
               Flag("impl.batch_size", "--batch-size")],
        run=lambda cfg, out: probe(cfg, out), params=[OUT],
    )

The flags' types, defaults and help text come from the config class, and their values go
through the same typed loader as ``--set`` and the YAML file (:func:`bertology.config.load`),
so a setting has one name, one type and one default everywhere. The config class must live in a
module that imports nothing heavy, so that ``bertology --help`` stays instant.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from bertology import config as cfgload

CONFIG_HELP = "YAML config file, or the name of a shipped config. Flags and --set override it."
SET_HELP = "Set any config key, e.g. --set impl.batch_size=8 (repeatable; values are YAML)."


@dataclass(frozen=True)
class Flag:
    """A shortcut flag for one config key (``Flag("train.epochs", "--epochs")``)."""

    key: str
    names: tuple[str, ...]
    help: str = ""
    split: bool = True  # a list flag's values may be comma-separated (not for key=value lists)

    def __init__(self, key: str, *names: str, help: str = "", split: bool = True):  # noqa: A002 - typer's word
        object.__setattr__(self, "key", key)
        object.__setattr__(
            self, "names", names or ("--" + key.rpartition(".")[2].replace("_", "-"),)
        )
        object.__setattr__(self, "help", help)
        object.__setattr__(self, "split", split)

    @property
    def param(self) -> str:
        return "flag__" + self.key.replace(".", "__")


def _default_of(cls: type, dotted: str) -> Any:
    head, _, rest = dotted.partition(".")
    for f in dataclasses.fields(cls):
        if cfgload.key_of(f) == head:
            if rest:
                return _default_of(typing.get_type_hints(cls)[f.name], rest)
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:
                return f.default_factory()
            return dataclasses.MISSING
    raise KeyError(dotted)


def _base_type(tp: Any) -> Any:
    """``X`` for ``X | None``."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def flag_parameter(cls: type, flag: Flag) -> inspect.Parameter:
    """The typer option for ``flag``: a switch for a bool, repeatable for a list, else text
    (typed later by the config loader)."""
    tp = cfgload.field_type(cls, flag.key)
    base = _base_type(tp)
    default = _default_of(cls, flag.key)
    shown = "required" if default is dataclasses.MISSING else f"default {default!r}"
    if isinstance(default, tuple | list):
        shown = "default " + ",".join(map(str, default)) if default else "default none"
    # "\\[": a literal bracket in typer's rich help (a bare "[...]" would be read as markup)
    text = f"{flag.help} \\[{flag.key}: {cfgload.type_name(tp)}; {shown}]".strip()
    names = list(flag.names)
    if base is bool:
        annotation: Any = bool | None
        if not any("/" in n for n in names):
            long = [n for n in names if n.startswith("--")]
            names = [f"{long[0]}/--no-{long[0][2:]}", *[n for n in names if n not in long[:1]]]
    elif typing.get_origin(base) in (list, tuple):
        annotation = list[str] | None
        text += " Repeatable, or comma-separated." if flag.split else " Repeatable."
    else:
        annotation = str | None
    return inspect.Parameter(
        flag.param,
        inspect.Parameter.KEYWORD_ONLY,
        default=typer.Option(None, *names, help=text, show_default=False, metavar=_metavar(base)),
        annotation=annotation,
    )


def _metavar(tp: Any) -> str:
    if typing.get_origin(tp) is typing.Literal:
        return "|".join(str(a) for a in typing.get_args(tp))
    if typing.get_origin(tp) in (list, tuple):
        return _metavar(typing.get_args(tp)[0])
    return {int: "INT", float: "FLOAT", bool: ""}.get(tp, "TEXT")


def _flag_value(value: Any, split: bool = True) -> Any:
    """A repeatable flag's values, each of which may be comma-separated, as one list. A flag
    whose values are ``key=value`` overrides is not split: ``a=[1,2]`` is one value."""
    if isinstance(value, list) and not split:
        return [str(v) for v in value]
    if isinstance(value, list):
        return [v.strip() for item in value for v in str(item).split(",") if v.strip()]
    return value


def config_command(
    app: typer.Typer,
    name: str,
    *,
    config: type,
    run: Callable[..., Any],
    flags: Sequence[Flag] = (),
    params: Sequence[inspect.Parameter] = (),
    moved: Mapping[str, str] | None = None,
    help: str | None = None,  # noqa: A002 - typer's word
    prepare: Callable[[dict[str, Any]], tuple[Any, Mapping[str, Any]]] | None = None,
) -> Callable[..., Any]:
    """Register ``name`` on ``app``: ``run(cfg, **params)`` with ``cfg`` loaded from
    ``--config``, the shortcut ``flags`` and ``--set``.

    ``params`` are the command's other arguments (an output directory, a run directory), as
    :class:`inspect.Parameter` with typer defaults. ``prepare(params)`` may supply a default
    config file and base values from them (``--resume`` reads ``RUN/config.yaml``); it returns
    ``(path or None, base mapping)``.
    """
    sig = [
        inspect.Parameter(
            "config_file",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(None, "--config", "-c", help=CONFIG_HELP),
            annotation=str | None,
        ),
        inspect.Parameter(
            "set_",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(None, "--set", help=SET_HELP),
            annotation=list[str] | None,
        ),
        *[flag_parameter(config, f) for f in flags],
        *[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params],
    ]

    def command(**kwargs: Any) -> Any:
        path = kwargs.pop("config_file")
        overrides = kwargs.pop("set_") or []
        values = {f.key: _flag_value(kwargs.pop(f.param), f.split) for f in flags}
        base: Mapping[str, Any] = {}
        if prepare is not None:
            default_path, base = prepare(kwargs)
            path = path if path is not None else default_path
        names = {f.key: next(n for n in f.names if n.startswith("--")).split("/")[0] for f in flags}
        cfg = cfgload.load(config, path, overrides, values, moved, base, names)
        return run(cfg, **kwargs)

    command.__signature__ = inspect.Signature(sig)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in sig}
    command.__doc__ = help
    command.__name__ = f"{name.replace('-', '_')}_command"
    app.command(name, help=help)(command)
    return command


def option(
    name: str, *names: str, annotation: Any, default: Any = None, **kw: Any
) -> inspect.Parameter:
    """A plain typer option as a parameter for :func:`config_command` (``--out``)."""
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=typer.Option(default, *names, **kw),
        annotation=annotation,
    )


def argument(name: str, *, annotation: Any, default: Any = ..., **kw: Any) -> inspect.Parameter:
    """A positional typer argument as a parameter for :func:`config_command` (``RUN``)."""
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=typer.Argument(default, **kw),
        annotation=annotation,
    )


def out_option(help: str, default: Any = ...) -> inspect.Parameter:  # noqa: A002 - typer's word
    """The ``--out/-o`` option every command writing a run directory or a file has."""
    return option("out", "--out", "-o", annotation=Path, default=default, help=help)


OVERWRITE = option(
    "overwrite",
    "--overwrite",
    annotation=bool,
    default=False,
    help="Replace a run already at --out (only once the new run completes).",
)
