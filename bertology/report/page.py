"""The report page: one self-contained HTML file, built from sections by each command's view.

Why a builder rather than templates: every value that comes from a run (relation names,
subjects, sentences, paths) must be escaped, and every block of data must travel as JSON in a
``<script type="application/json">`` block that the page reads with ``JSON.parse``, never as
code. :class:`Page` is the only place that writes HTML, so those two rules hold by construction.

The page makes no network request: CSS and scripts are inline, PNG figures are ``data:`` URIs,
and the chart library (plotly.js, from the ``plotly`` package) is inlined once, compressed, only
when the page has a chart.
"""

from __future__ import annotations

import base64
import functools
import gzip
import html
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

ASSETS = "bertology.report.assets"


def esc(value: Any) -> str:
    """Text for HTML content and attributes (quotes too)."""
    return html.escape(str(value), quote=True)


def json_safe(obj: Any) -> Any:
    """Plain JSON: NaN and infinities become null (``JSON.parse`` rejects them)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "tolist"):
        return json_safe(obj.tolist())
    if isinstance(obj, Path):
        return str(obj)
    return obj


def json_block(obj: Any) -> str:
    """JSON that cannot end its ``<script>`` block: ``<``, ``>`` and ``&`` are escaped as
    ``\\u003c`` etc., which ``JSON.parse`` reads back as the same characters."""
    text = json.dumps(json_safe(obj), ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@functools.cache
def asset(name: str) -> str:
    """An inline asset (CSS or JS) shipped in ``bertology/report/assets``."""
    return resources.files(ASSETS).joinpath(name).read_text(encoding="utf-8")


def attention_scripts() -> list[str]:
    """The attention viewer's script files, in load order (their names sort in it)."""
    names = [
        p.name
        for p in resources.files(ASSETS).iterdir()
        if p.name.startswith("attention") and p.name.endswith(".js")
    ]
    return sorted(names)


@functools.lru_cache(maxsize=1)
def plotly_bundle() -> str:
    """plotly.js from the ``plotly`` package, gzip-compressed and base64-encoded (about 1.9 MB
    instead of 4.8 MB); the page decompresses it with the browser's ``DecompressionStream``."""
    from plotly.offline import get_plotlyjs  # plotly is read only by pages with a chart

    raw = get_plotlyjs().encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")


def fmt_value(v: Any, digits: int = 3) -> str:
    """A number as a reader wants it: integers with separators, floats to ``digits``."""
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return "–" if not math.isfinite(v) else f"{v:.{digits}f}"
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt_value(x, digits) for x in v)
    return str(v)


@dataclass
class Est:
    """A point estimate with its interval (``ci``) and sample size, as one table cell."""

    value: float | None
    ci: Sequence[float] | None = None
    n: int | None = None

    def html(self, digits: int = 3) -> str:
        out = esc(fmt_value(self.value, digits))
        if self.ci is not None and len(self.ci) == 2 and None not in self.ci:
            lo, hi = self.ci
            out += f" <span class='bt-ci'>[{esc(fmt_value(lo, digits))}, {esc(fmt_value(hi, digits))}]</span>"
        return out


def cell(v: Any, digits: int = 3) -> str:
    if isinstance(v, Est):
        return v.html(digits)
    return esc(fmt_value(v, digits))


class Page:
    """A report page. Sections are added in reading order; :meth:`render` returns the HTML."""

    def __init__(self, title: str, subtitle: str | None = None) -> None:
        self.title = title
        self.subtitle = subtitle
        self._parts: list[str] = []
        self._toc: list[tuple[str, str]] = []
        self._n = 0
        self._charts = 0
        self._attention = 0

    # building blocks ---------------------------------------------------------------------
    def _id(self, prefix: str = "bt") -> str:
        self._n += 1
        return f"{prefix}-{self._n}"

    def _data(self, obj: Any) -> str:
        """Add a JSON data block; return its element id."""
        ident = self._id("bt-data")
        self._parts.append(
            f"<script type='application/json' id='{ident}'>{json_block(obj)}</script>"
        )
        return ident

    def raw(self, markup: str) -> None:
        """Markup written by a view from escaped parts (use :func:`esc` on every value)."""
        self._parts.append(markup)

    def section(self, title: str, intro: str | None = None) -> None:
        anchor = self._id("sec")
        self._toc.append((anchor, title))
        self._parts.append(f"<h2 id='{anchor}'>{esc(title)}</h2>")
        if intro:
            self.text(intro)

    def subsection(self, title: str) -> None:
        self._parts.append(f"<h3>{esc(title)}</h3>")

    def text(self, text: str, note: bool = False) -> None:
        cls = " class='bt-note'" if note else ""
        self._parts.append(f"<p{cls}>{esc(text)}</p>")

    def header(
        self,
        command: str | None = None,
        config: dict[str, Any] | None = None,
        env: dict[str, Any] | None = None,
    ) -> None:
        """The run's command line, its main settings and the environment it ran in."""
        rows: list[tuple[str, str]] = []
        argv = (env or {}).get("argv")
        if argv:
            rows.append(("command", " ".join(str(a) for a in argv)))
        elif command:
            rows.append(("command", f"bertology {command}"))
        if config:
            brief = [
                f"{k}={fmt_value(v)}"
                for k, v in config.items()
                if k != "command" and isinstance(v, (str, int, float, bool))
            ]
            if brief:
                rows.append(("settings", " · ".join(brief)))
        if env:
            versions = " · ".join(
                f"{k} {env[k]}"
                for k in ("bertology", "python", "torch", "transformers", "datasets", "spacy")
                if env.get(k)
            )
            rows.append(("environment", versions))
            where = [str(env.get("device") or "")]
            if env.get("cuda_device"):
                where.append(str(env["cuda_device"]))
            if env.get("git_revision"):
                where.append(f"git {str(env['git_revision'])[:12]}")
            if env.get("time"):
                where.append(str(env["time"]))
            rows.append(("run", " · ".join(w for w in where if w)))
        if rows:
            self._parts.append(
                "<dl class='bt-head'>"
                + "".join(f"<dt>{esc(k)}</dt><dd class='bt-mono'>{esc(v)}</dd>" for k, v in rows)
                + "</dl>"
            )

    def headline(
        self,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        caption: str | None = None,
        digits: int = 3,
    ) -> None:
        """A small static table of the method's numbers (cells may be :class:`Est`)."""
        head = "".join(
            f"<th class='{'bt-text' if j == 0 else ''}'>{esc(c)}</th>"
            for j, c in enumerate(columns)
        )
        body = "".join(
            "<tr>"
            + "".join(
                f"<td class='{'bt-text' if j == 0 else ''}'>{cell(v, digits)}</td>"
                for j, v in enumerate(r)
            )
            + "</tr>"
            for r in rows
        )
        cap = f"<caption>{esc(caption)}</caption>" if caption else ""
        self._parts.append(
            f"<div class='bt-scroll'><table class='bt bt-headline'>{cap}<thead><tr>{head}</tr>"
            f"</thead><tbody>{body}</tbody></table></div>"
        )

    def table(
        self,
        columns: Sequence[dict[str, Any] | str],
        rows: Sequence[Sequence[Any]],
        page_size: int = 25,
        note: str | None = None,
    ) -> None:
        """A per-sample table (facts, pairs, sentences): sortable, filterable and paginated in
        the browser, so thousands of rows stay usable. ``columns`` are names or dicts with
        ``key``, ``label``, ``text`` (left-aligned free text) and ``digits``."""
        cols = [c if isinstance(c, dict) else {"key": c, "label": c} for c in columns]
        ident = self._data({"columns": cols, "rows": rows, "page_size": page_size})
        self._parts.append(f"<div class='bt-table' data-source='{ident}'></div>")
        if note:
            self.text(note, note=True)

    def chart(self, spec: dict[str, Any], name: str = "figure", note: str | None = None) -> None:
        """An interactive plotly chart: ``spec`` holds ``data`` (traces) and ``layout``."""
        ident = self._data(spec)
        self._charts += 1
        self._parts.append(
            f"<div class='bt-chart' data-source='{ident}' data-name='{esc(name)}'></div>"
        )
        if note:
            self.text(note, note=True)

    def figures(
        self, paths: Iterable[Path], captions: dict[str, str] | None = None, collapsed: bool = False
    ) -> None:
        """PNG figures (the paper versions in ``figures/``), inline as ``data:`` URIs; many
        figures go in a collapsed block below the interactive ones."""
        items = []
        for p in paths:
            data = base64.b64encode(Path(p).read_bytes()).decode("ascii")
            cap = (captions or {}).get(p.stem, p.name)
            items.append(
                f"<figure class='bt-figure'><img alt='{esc(p.stem)}' "
                f"src='data:image/png;base64,{data}'><figcaption>{esc(cap)}</figcaption></figure>"
            )
        if items:
            grid = "<div class='bt-figs'>" + "".join(items) + "</div>"
            if collapsed:
                grid = f"<details><summary>{len(items)} figures</summary>{grid}</details>"
            self._parts.append(grid)

    def attention(self, doc: dict[str, Any]) -> None:
        """The interactive attention viewer over an ``attention.json`` document."""
        ident = self._data(doc)
        self._attention += 1
        self._parts.append(f"<div class='bt-attention' data-source='{ident}'></div>")

    def claims(self, claims: Iterable[dict[str, Any]]) -> None:
        """Findings and whether each held, judged by the code that made them."""
        items = []
        for c in claims:
            held = c.get("held")
            cls, word = (
                ("bt-held", "held")
                if held is True
                else ("bt-failed", "did not hold")
                if held is False
                else ("bt-unmeasured", "not measurable")
            )
            why = c.get("why") or ""
            items.append(
                f"<li class='{cls}'><span class='bt-badge {cls}'>{word}</span>"
                f"{esc(c.get('claim', c.get('id', '')))}"
                + (f" <span class='bt-ci'>({esc(why)})</span>" if why and why != word else "")
                + "</li>"
            )
        if items:
            self._parts.append("<ul class='bt-claims'>" + "".join(items) + "</ul>")

    def details(self, summary: str, text: str) -> None:
        """Collapsed preformatted text (the full configuration, say)."""
        self._parts.append(
            f"<details><summary>{esc(summary)}</summary><pre>{esc(text)}</pre></details>"
        )

    # output --------------------------------------------------------------------------------
    def render(self) -> str:
        toc = ""
        if len(self._toc) > 2:
            toc = (
                "<nav class='bt-toc'>"
                + "".join(f"<a href='#{a}'>{esc(t)}</a>" for a, t in self._toc)
                + "</nav>"
            )
        css = asset("report.css")
        scripts = [asset("report.js")]
        if self._attention:
            css += asset("attention.css")
            scripts += [asset(name) for name in attention_scripts()]
        plotly = (
            f"<script type='application/octet-stream' id='bt-plotly'>{plotly_bundle()}</script>"
            if self._charts
            else ""
        )
        sub = f"<p class='bt-sub'>{esc(self.subtitle)}</p>" if self.subtitle else ""
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>{esc(self.title)}</title><style>{css}</style></head><body>"
            f"<h1>{esc(self.title)}</h1>{sub}{toc}"
            + "\n".join(self._parts)
            + plotly
            + "".join(f"<script>{s}</script>" for s in scripts)
            + "</body></html>"
        )
