"""``report.html``: one self-contained page per run directory.

It shows the command and configuration, the headline numbers of ``results.json`` as tables
(nested dicts of numbers become rows), and every figure in ``figures/`` embedded as base64,
so the page can be mailed or attached to a paper's supplement as one file.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from bertology.io import atomic_write_text

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}pre{background:#f7f7f7;padding:1em;overflow:auto}
"""


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    if v is None:
        return "–"
    return html.escape(str(v))


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (int, float, str, bool))


def _table_of_records(records: dict[str, Any]) -> str | None:
    """A dict of flat dicts of scalars -> an HTML table (rows = keys)."""
    if not records or not all(isinstance(r, dict) for r in records.values()):
        return None
    cols: list[str] = []
    for r in records.values():
        for k, v in r.items():
            if _is_scalar(v) and k not in cols:
                cols.append(k)
    if not cols:
        return None
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["", *cols])
    rows = "".join(
        "<tr><td>"
        + html.escape(str(name))
        + "</td>"
        + "".join(f"<td>{_fmt(r.get(c))}</td>" for c in cols)
        + "</tr>"
        for name, r in records.items()
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def _section(name: str, value: Any, depth: int = 2) -> str:
    title = f"<h{min(depth, 4)}>{html.escape(name)}</h{min(depth, 4)}>"
    if isinstance(value, dict):
        scalars = {k: v for k, v in value.items() if _is_scalar(v)}
        parts = [title]
        if scalars:
            parts.append(_table_of_records({"": scalars}) or "")
        nested = {k: v for k, v in value.items() if isinstance(v, dict)}
        table = _table_of_records(nested)
        if table:
            parts.append(table)
        else:
            for k, v in nested.items():
                parts.append(_section(k, v, depth + 1))
        return "\n".join(parts)
    if isinstance(value, list) and len(value) > 0 and len(json.dumps(value)) > 2000:
        return f"{title}<p>({len(value)} entries; see results.json)</p>"
    return f"{title}<pre>{html.escape(json.dumps(value, indent=1))}</pre>"


def write_report(run: str | Path, title: str = "bertology run") -> Path:
    """Render ``run/report.html`` from ``results.json``, ``config.yaml`` and ``figures/*.png``."""
    run = Path(run)
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>",
    ]
    results_path = run / "results.json"
    if results_path.exists():
        results = json.loads(results_path.read_text())
        scalars = {k: v for k, v in results.items() if _is_scalar(v)}
        if scalars:
            parts.append(_table_of_records({"run": scalars}) or "")
        for k, v in results.items():
            if not _is_scalar(v):
                parts.append(_section(k, v))
    figs = sorted((run / "figures").glob("*.png")) if (run / "figures").exists() else []
    if figs:
        parts.append("<h2>Figures</h2>")
        for fig in figs:
            data = base64.b64encode(fig.read_bytes()).decode("ascii")
            parts.append(
                f"<h3>{html.escape(fig.stem)}</h3><img alt='{html.escape(fig.stem)}' "
                f"src='data:image/png;base64,{data}'>"
            )
    cfg = run / "config.yaml"
    if cfg.exists():
        parts.append(f"<h2>Configuration</h2><pre>{html.escape(cfg.read_text())}</pre>")
    parts.append("</body></html>")
    return atomic_write_text(run / "report.html", "\n".join(parts))
