"""``report.html``: one self-contained, interactive page per run directory.

Every command writes its report through :func:`write_report` (``RunDir.finish`` calls it), so
every run gets the same page: a header (command, settings, environment), the command's view
(headline table in the method's words, interactive charts, sortable per-sample tables, the
attention viewer where the run has ``attention.json``), its PNG figures and its configuration.
The page makes no network request and can be mailed or attached to a supplement as one file.
"""

from __future__ import annotations

from pathlib import Path

from bertology.io import atomic_write_text
from bertology.report.views import render_run


def write_report(run: str | Path, title: str = "bertology run") -> Path:
    """Render ``run/report.html`` (atomically) from the files of the run directory."""
    run = Path(run)
    return atomic_write_text(run / "report.html", render_run(run, title=title))
