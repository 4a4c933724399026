"""The experiments' table helpers (issue 16): seed statistics, cells, the final evaluation
of a run read from a dynamics run's metrics."""

from __future__ import annotations

import json

from bertology.experiments.table import final_evals, fmt_cell, markdown_table, seed_stats


def test_seed_stats_need_every_seed():
    assert seed_stats([1.0, 3.0]) == (2.0, 2.0**0.5)
    assert seed_stats([1.0]) == (1.0, None)
    assert seed_stats([1.0, None]) == (None, None)  # a missing seed is not averaged away
    assert seed_stats([]) == (None, None)


def test_cells_show_sd_or_interval():
    assert fmt_cell(0.41234, 0.01) == "0.412 ± 0.010"
    assert fmt_cell(0.41234, None, [0.39, 0.43]) == "0.412 [0.39, 0.43]"
    assert fmt_cell(800.0, 50.0) == "800 ± 50"
    assert fmt_cell(None) == "—"
    table = markdown_table(["a", "b"], [["1", "2"]])
    assert table == "| a | b |\n|---|---|\n| 1 | 2 |\n"


def test_final_evals_takes_the_last_step_of_the_named_run(tmp_path):
    rows = [{"run": "a", "step": 0, "uas": 0.1}, {"run": "b", "step": 900, "uas": 0.9},
            {"run": "a", "step": 500, "uas": 0.5, "uas_ci": [0.4, 0.6]},
            {"run": "a", "step": 200, "uas": 0.2}]  # fmt: skip
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"run": "a", "st')
    last = final_evals(path, "a")
    assert last["step"] == 500 and last["uas_ci"] == [0.4, 0.6]
    assert final_evals(path, "c") == {} and final_evals(tmp_path / "none.jsonl", "a") == {}
