"""One view per command: what a reader of that run wants first, in the method's words.

:func:`render_run` reads the run directory (``config.yaml``, ``env.json``, ``results.json``,
``metrics.jsonl``, ``figures/`` and per-sample files), builds a :class:`~bertology.report.page.Page`
with the header, the command's view and its figures, and returns the HTML. A command without a
view gets the generic one. Views are imported lazily: writing a probe report imports nothing of
the pruning view.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bertology.report.page import Page
from bertology.report.views.common import generic_results, read_json

# command (config.yaml's ``command``) -> "module:function" under bertology.report.views
VIEWS: dict[str, str] = {
    "pretrain": "training:pretrain_view",
    "dynamics": "training:dynamics_view",
    "uas": "syntax:uas_view",
    "probe": "probe:probe_view",
    "prune": "prune:prune_view",
    "blimp": "evals:blimp_view",
    "twonn": "evals:twonn_view",
    "experiment-sas": "experiments:experiment_sas_view",
    "experiment-lamp": "experiments:experiment_lamp_view",
}

View = Callable[[Page, Path, dict[str, Any]], set[str]]


def view_for(command: str | None) -> View | None:
    """The view function of a command, or None (generic)."""
    target = VIEWS.get(command or "")
    if target is None:
        return None
    module, func = target.split(":")
    return getattr(importlib.import_module(f"bertology.report.views.{module}"), func)


def _config(run: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def render_run(run: str | Path, title: str = "bertology run") -> str:
    """The HTML of ``run/report.html``."""
    run = Path(run)
    config = _config(run)
    env = read_json(run / "env.json")
    results = read_json(run / "results.json")
    command = config.get("command")
    page = Page(title, subtitle=f"run directory: {run}")
    page.header(command, config, env if isinstance(env, dict) else None)
    shown: set[str] = set()
    if isinstance(results, dict):
        status = results.get("status")
        if status not in (None, "completed"):
            page.text(f"status: {status}. {results.get('message') or ''}".strip())
        view = view_for(command)
        if view is not None:
            shown = view(page, run, results) or set()
        else:
            generic_results(page, results)
    else:
        page.text("This run has no results.json (yet): it is running, or it stopped early.")
    figs = sorted((run / "figures").glob("*.png")) if (run / "figures").is_dir() else []
    figs = [f for f in figs if f.name not in shown]
    if figs:
        page.section("Figures", "The PNG versions, for papers, are in figures/.")
        page.figures(figs, collapsed=len(figs) > 6)
    cfg = run / "config.yaml"
    if cfg.exists():
        page.section("Configuration")
        page.details(
            "config.yaml (the resolved configuration; rerun with --config)",
            cfg.read_text(encoding="utf-8"),
        )
    return page.render()
