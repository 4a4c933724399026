"""The renderer without a browser: escaping, numbers as the reader sees them, baselines, and
what a report says when one of its files is broken."""

from __future__ import annotations

import json

import pytest
import yaml

from bertology.report.html import write_report
from bertology.report.page import Est, Page, fmt_value, json_block
from bertology.report.views.common import layer_span
from bertology.report.views.experiments import markdown_rows
from bertology.report.views.probe import baselines


def test_json_block_cannot_close_its_script_and_reads_back_the_same():
    value = {"s": "</script><script>x()</script> & <!-- \u2028", "nan": float("nan")}
    text = json_block(value)
    assert "<" not in text and ">" not in text and "&" not in text
    back = json.loads(text)
    assert back["s"] == value["s"] and back["nan"] is None  # JSON.parse rejects NaN


def test_numbers_and_intervals_as_cells():
    assert fmt_value(1234) == "1,234" and fmt_value(0.12345) == "0.123" and fmt_value(None) == "–"
    assert Est(0.25, [0.1, 0.4]).html() == "0.250 <span class='bt-ci'>[0.100, 0.400]</span>"
    assert Est(0.25).html() == "0.250"


def test_layer_span_reads_as_a_range():
    assert layer_span([0, 3]) == "layers 0–3" and layer_span([2, 2]) == "layer 2"


def test_markdown_rows_skip_the_rule_line():
    head, rows = markdown_rows("| a | b |\n|---|:-:|\n| x | 1 [0, 2] |\n")
    assert head == ["a", "b"] and rows == [["x", "1 [0, 2]"]]


def test_probe_baselines_against_a_count_by_hand():
    preds = [{"relation": "R", "object": o} for o in ["a", "a", "a", "b", "c"]]
    preds += [{"relation": "S", "object": "z"}]
    b = baselines(preds)
    assert b["R"] == {"majority": 3 / 5, "chance": 1 / 3, "n": 5}
    assert b["S"]["majority"] == 1.0 and b["S"]["chance"] == 1.0


def test_page_escapes_every_user_string():
    page = Page("<t>", subtitle="<s>")
    page.header("probe", {"model": "<m>"}, {"argv": ["bertology", "<a>"]})
    page.section("<h>")
    page.headline(["<c>"], [["<v>"]])
    page.claims([{"claim": "<claim>", "held": True}])
    html = page.render()
    for s in ("<t>", "<s>", "<m>", "<a>", "<h>", "<c>", "<v>", "<claim>"):
        assert s not in html
        assert s.replace("<", "&lt;").replace(">", "&gt;") in html


@pytest.fixture
def uas_run(tmp_path):
    run = tmp_path / "uas"
    run.mkdir()
    (run / "config.yaml").write_text(yaml.safe_dump({"command": "uas"}))
    (run / "results.json").write_text(json.dumps({"schema": 1, "best_head": {}}))
    return run


def test_a_broken_attention_file_is_named_in_the_report(uas_run):
    (uas_run / "attention.json").write_text('{"schema": 1, "items": [')
    text = write_report(uas_run).read_text()
    assert "attention.json could not be shown" in text and "bt-attention" not in text


def test_a_report_without_charts_carries_no_chart_library(uas_run):
    text = write_report(uas_run).read_text()
    assert "id='bt-plotly'" not in text and len(text) < 200_000


def test_a_run_without_results_says_so(tmp_path):
    run = tmp_path / "r"
    run.mkdir()
    (run / "config.yaml").write_text(yaml.safe_dump({"command": "probe"}))
    assert "has no results.json" in write_report(run).read_text()
