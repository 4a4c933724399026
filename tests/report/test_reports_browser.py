"""Every report type in a real browser (Playwright + Debian's Chromium).

The reports come from a real toy demo (world → pretrain → dynamics → uas → probe → prune with
specialize and inspect) and from small run directories written here, whose relation names,
subjects, sentences and paths carry injection strings. Each page must load with no console
error and no request that leaves the file, its controls must switch views, injected markup must
show as text and never run, and its screenshot must not be blank.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bertology.report.html import write_report

INJECTIONS = [
    '<img src=x onerror="window.__pwned=1">',
    "</script><script>window.__pwned=1</script>",
    "\"'><b id=pwned>bold</b>",
]
SHOTS = Path(
    os.environ.get("BERTOLOGY_SCREENSHOTS", Path(__file__).parents[2] / "runs" / "screenshots")
)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    from bertology.cli import app

    out = tmp_path_factory.mktemp("demo") / "demo"
    args = ["demo", "--out", str(out), "--tokens", "20000", "--steps", "8"]
    args += ["--prune-relations", "2", "--prune-epochs", "1"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    return out


def _check_loaded(opened, path: Path, name: str, min_std: float = 0.02) -> None:

    assert opened.page_errors == [], opened.page_errors
    assert opened.console_errors == [], opened.console_errors
    assert opened.foreign_requests(path.resolve().as_uri()) == []
    png = opened.page.screenshot(full_page=True)
    assert _std(png) > min_std
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"{name}.png").write_bytes(png)


def _std(png: bytes) -> float:
    import io

    import matplotlib.image as mpimg
    import numpy as np

    return float(np.asarray(mpimg.imread(io.BytesIO(png), format="png"))[..., :3].std())


def _chart_count(page) -> int:
    return page.evaluate("() => document.querySelectorAll('.bt-chart.js-plotly-plot').length")


@pytest.mark.parametrize("stage", ["pretrain", "dynamics", "uas", "probe", "prune"])
def test_stage_report_loads_offline_with_its_charts(demo_dir, open_report, stage):
    path = demo_dir / stage / "report.html"
    opened = open_report(path)
    _check_loaded(opened, path, f"demo_{stage}")
    page = opened.page
    # every chart drawn by plotly, from the inline bundle
    n_divs = page.evaluate("() => document.querySelectorAll('.bt-chart').length")
    assert n_divs >= 1
    assert _chart_count(page) == n_divs
    # no empty headings: every h2 is followed by content before the next h2
    empty = page.evaluate(
        """() => Array.from(document.querySelectorAll('h2')).filter(h => {
               const n = h.nextElementSibling; return !n || n.tagName === 'H2'; }).length"""
    )
    assert empty == 0
    text = page.inner_text("body")
    if stage == "prune":  # numbers a reader needs are in tables, not only inside figures
        assert re.search(r"Pruned layers? \d+(–\d+)? \(", text), "layer span as a range"
        for words in (
            "full P@1",
            "subnetwork P@1",
            "random-mask P@1",
            "drop under other masks",
            "silhouette",
        ):
            assert words in text
    if stage == "uas":
        assert "best offset baseline" in text and "margin over offset" in text


def test_index_tells_the_story_with_findings_and_links(demo_dir, open_report):
    path = demo_dir / "index.html"
    opened = open_report(path)
    _check_loaded(opened, path, "demo_index")
    page = opened.page
    text = page.inner_text("body")
    for words in ("World", "Pre-training dynamics", "UAS", "probe", "LAMP", "Downstream"):
        assert words in text
    badges = page.evaluate("() => document.querySelectorAll('ul.bt-claims .bt-badge').length")
    assert badges >= 3
    links = page.evaluate(
        "() => Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))"
    )
    for stage in ("pretrain", "dynamics", "uas", "probe", "prune"):
        assert f"{stage}/report.html" in links
    assert _chart_count(page) >= 4  # dynamics, head grid, probe, prune (+ specialization)


def test_training_curves_share_one_x_axis_and_mark_breaks(demo_dir, open_report):
    page = open_report(demo_dir / "dynamics" / "report.html").page
    axes = page.evaluate(
        """() => { const gd = document.querySelector('.bt-chart');
                   return {x: new Set(gd.data.map(t => t.xaxis)).size,
                           panels: new Set(gd.data.map(t => t.yaxis)).size,
                           shapes: (gd.layout.shapes || []).length}; }"""
    )
    assert axes["x"] == 1 and axes["panels"] >= 3
    phases = json.loads((demo_dir / "dynamics" / "results.json").read_text())["phases"]["pretrain"]
    found = sum(phases.get(k) is not None for k in
                ("structure_onset", "capability_onset", "twonn_drop_onset"))  # fmt: skip
    assert axes["shapes"] == found


# small run directories with hostile strings ------------------------------------------------
def _run(tmp: Path, name: str, command: str, results: dict, **files) -> Path:
    run = tmp / name
    run.mkdir(parents=True)
    cfg = {"command": command, "model": f"models/{INJECTIONS[0]}", "facts": INJECTIONS[1]}
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    (run / "env.json").write_text(json.dumps({"argv": ["bertology", command, INJECTIONS[2]],
                                              "python": "3.11", "device": "cpu"}))  # fmt: skip
    (run / "results.json").write_text(json.dumps({"schema": 1, **results}))
    for fname, text in files.items():
        (run / fname.replace("__", ".")).write_text(text)
    write_report(run, title=f"bertology {command}")
    return run / "report.html"


def _probe_run(tmp: Path, n_facts: int = 120) -> Path:
    rels = {r: {"n": 40, "skipped": 0, "p@1": 0.25, "p@1_ci": [0.1, 0.4], "p@10": 0.5,
                "p@10_ci": [0.3, 0.7], "mrr": 0.3, "mrr_ci": [0.2, 0.4]}
            for r in ("IsA", INJECTIONS[0], INJECTIONS[1])}  # fmt: skip
    preds = [
        {"subject": f"{INJECTIONS[i % 3]} s{i}", "relation": list(rels)[i % 3],
         "object": f"o{i % 7}", "prompt": f"{INJECTIONS[(i + 1) % 3]} is a [MASK] .",
         "rank": 1 + (i * 37) % 50, "gold_log_prob": -0.01 * i,
         "top": [{"token": INJECTIONS[2], "id": 1, "log_prob": -0.5}]}
        for i in range(n_facts)
    ]  # fmt: skip
    results = {"n_facts": n_facts, "candidates": "relation", "split": "all", "relations": rels,
               "macro": {"n_relations": 3, "p@1": 0.25, "p@1_ci": [0.1, 0.4]}}  # fmt: skip
    return _run(tmp, "probe", "probe", results,
                predictions__jsonl="\n".join(json.dumps(p) for p in preds) + "\n")  # fmt: skip


def test_injected_strings_show_as_text_and_never_run(tmp_path, open_report):
    path = _probe_run(tmp_path)
    opened = open_report(path)
    _check_loaded(opened, path, "probe_injection")
    page = opened.page
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.getElementById('pwned')") is None
    assert page.evaluate("() => document.querySelectorAll('img:not([src^=\"data:\"])').length") == 0
    text = page.inner_text("body")
    for s in INJECTIONS:
        assert s in text  # shown as the text it is: in tables, the header and the chart data


def test_per_sample_table_sorts_filters_and_pages(tmp_path, open_report):
    page = open_report(_probe_run(tmp_path, n_facts=1200)).page
    table = page.locator("div.bt-table").first
    info = table.locator(".bt-info")
    assert info.inner_text().startswith("1200 of 1200 rows")
    assert table.locator("tbody tr").count() == 25  # one page, not 1,200 rows
    ranks = lambda: [int(c) for c in table.locator("tbody tr td:nth-child(5)").all_inner_texts()]  # noqa: E731
    table.locator("th", has_text="rank").click()
    first = ranks()
    assert first == sorted(first) and first[0] == 1
    table.locator("th", has_text="rank").click()
    desc = ranks()
    assert desc == sorted(desc, reverse=True) and desc[0] == 50
    table.locator(".bt-next").click()
    assert "page 2 /" in info.inner_text()
    table.locator("input.bt-filter").fill("o3")
    assert info.inner_text().startswith(f"{sum(1 for i in range(1200) if i % 7 == 3)} of 1200")
    table.locator("select.bt-size").select_option("100")
    assert table.locator("tbody tr").count() == min(100, sum(1 for i in range(1200) if i % 7 == 3))


def test_generic_report_for_a_command_without_a_view(tmp_path, open_report):
    results = {"status": "completed", "accuracy": 0.5, "accuracy_ci": [0.4, 0.6],
               "per_relation": {INJECTIONS[0]: {"n": 3, "hits": 1}},
               "rows": [{"question": INJECTIONS[1], "right": True}], "empty": {}}  # fmt: skip
    path = _run(tmp_path, "kbc", "kbc", results)
    opened = open_report(path)
    _check_loaded(opened, path, "generic_kbc")
    text = opened.page.inner_text("body")
    assert "0.500 [0.400, 0.600]" in text and INJECTIONS[0] in text
    assert "empty" not in [h.strip() for h in opened.page.locator("h2, h3").all_inner_texts()]
    assert opened.page.evaluate("() => window.__pwned") is None


def test_blimp_and_twonn_reports(demo_dir, tmp_path, open_report):
    from bertology.cli import main

    model = sorted((demo_dir / "pretrain" / "checkpoints").glob("step-*"))[-1]
    main(["blimp", "-m", str(model), "--data", str(demo_dir / "world" / "minimal_pairs"),
          "--device", "cpu", "--out", str(tmp_path / "blimp")])  # fmt: skip
    main(["twonn", "-m", str(model), "--texts", str(demo_dir / "world" / "corpus" / "valid.txt"),
          "--n", "60", "--device", "cpu", "--out", str(tmp_path / "twonn")])  # fmt: skip
    for name in ("blimp", "twonn"):
        path = tmp_path / name / "report.html"
        opened = open_report(path)
        _check_loaded(opened, path, name)
        assert _chart_count(opened.page) >= 1
    page = open_report(tmp_path / "blimp" / "report.html").page
    n_pairs = len((tmp_path / "blimp" / "pairs.jsonl").read_text().splitlines())
    assert page.locator(".bt-info").first.inner_text().startswith(f"{n_pairs} of {n_pairs} rows")
    paradigms = json.loads((tmp_path / "blimp" / "results.json").read_text())["paradigms"]
    bars = page.evaluate("() => document.querySelector('.bt-chart').data[0].y.length")
    assert bars == len(paradigms)


def test_charts_save_as_png_and_svg(demo_dir, open_report):
    page = open_report(demo_dir / "uas" / "report.html").page
    chart = page.locator(".bt-chart").first
    chart.hover()
    titles = chart.locator(".modebar-btn").evaluate_all("bs => bs.map(b => b.dataset.title)")
    assert not [t for t in titles if "share" in t.lower() or "cloud" in t.lower()]  # no upload
    for title, suffix in (("Download plot as a PNG", ".png"), ("Download plot as SVG", ".svg")):
        with page.expect_download() as dl:
            chart.locator(f".modebar-btn[data-title='{title}']").click()
        assert dl.value.suggested_filename.endswith(suffix)
        data = Path(dl.value.path()).read_bytes()
        assert data.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in data[:400]


@pytest.mark.parametrize("stage", ["uas", "probe", "prune"])
def test_attention_viewer_in_the_stage_reports(demo_dir, open_report, stage):
    """uas (word attention, gold arcs, head grid), probe --attention and prune inspect (the
    [MASK] row, full model beside the subnetwork) embed attention.json in the viewer."""
    path = demo_dir / stage / "report.html"
    doc = json.loads((demo_dir / stage / "attention.json").read_text())
    opened = open_report(path)
    page = opened.page
    viewer = page.locator("div.bt-attention")
    assert viewer.get_attribute("data-state") == "ready"
    _check_loaded(opened, path, f"demo_{stage}_attention")
    items = page.locator("select.bt-att-item option").count()
    assert items == len(doc["items"])
    before = viewer.locator("canvas.bt-att-heatmap-canvas").screenshot()
    layer = str(doc["layers"] - 1)
    page.locator("select.bt-att-layer").select_option(layer)
    assert viewer.get_attribute("data-layer") == layer
    assert viewer.locator("canvas.bt-att-heatmap-canvas").screenshot() != before
    if doc["kind"] == "dependency":
        assert page.locator("path.bt-att-gold").count() > 0
        page.locator(".bt-att-cell[data-layer='0'][data-head='1']").click()
        assert (viewer.get_attribute("data-layer"), viewer.get_attribute("data-head")) == ("0", "1")
    else:
        shown = page.locator(".bt-att-vlabel[data-variant]").evaluate_all(
            "ls => ls.map(l => l.dataset.variant)"
        )
        assert [v for v in doc["variants"] if v in shown] == doc["variants"]
        assert doc["variants"] == (["full", "subnetwork"] if stage == "prune" else ["full"])


def test_experiment_reports(tmp_path, open_report):
    claims = [
        {"id": "a", "claim": f"structure before capability {INJECTIONS[0]}", "held": True},
        {"id": "b", "claim": "SAS- faster early", "held": False, "why": "did not hold"},
        {"id": "c", "claim": "TwoNN leads", "held": None, "why": "not measurable: no drop"},
    ]
    table = (
        "| variant | final UAS |\n|---|---|\n| baseline | 0.416 [0.41, 0.43] |\n| sas- | 0.179 |\n"
    )
    sas = _run(tmp_path, "sas", "experiment-sas", {"claims": claims, "table": table})
    grids = {"subnetwork": [[0.1, 0.2], [0.3, 0.0]], "drop": [[-0.01, 0.02], [0.0, 0.03]]}
    lamp = _run(tmp_path, "lamp", "experiment-lamp",
                {"claims": claims, "table": table, "relations": ["IsA"], "bottom_layers": [0, 1],
                 "top_layer": 3, "init_sparsities": [0.3, 0.5], "grids": grids,
                 "cells": {"lb0-s0.30": {"n_test": 10, "subnetwork": 0.1,
                                         "subnetwork_ci": [0.0, 0.2]}}})  # fmt: skip
    for path, charts in ((sas, 0), (lamp, 2)):
        opened = open_report(path)
        _check_loaded(opened, path, f"experiment_{path.parent.name}")
        page = opened.page
        badges = page.locator("ul.bt-claims .bt-badge").all_inner_texts()
        assert badges == ["held", "did not hold", "not measurable"]
        assert "0.416 [0.41, 0.43]" in page.inner_text("table.bt-headline")
        assert _chart_count(page) == charts
        assert page.evaluate("() => window.__pwned") is None
