"""``bertology uas`` and ``bertology parse`` end to end, on a tiny model saved to disk."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bertology.cli import app
from bertology.data.dependency import read_conllu, write_conllu
from bertology.errors import InputError

runner = CliRunner()


@pytest.fixture(scope="module")
def conllu_file(tmp_path_factory, trees):
    path = tmp_path_factory.mktemp("trees") / "trees.conllu"
    write_conllu([trees[i % len(trees)] for i in range(40)], path)
    return path


def test_help_lists_the_syntax_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "uas" in result.output and "parse" in result.output


def test_uas_writes_a_run_directory_with_the_results_schema(tmp_path, syn_bert_dir, conllu_file):
    out = tmp_path / "run"
    args = ["uas", "--model", str(syn_bert_dir), "--conllu", str(conllu_file), "--out", str(out)]
    result = runner.invoke(app, args + ["--max-sentences", "36", "--batch-size", "8"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    res = json.loads((out / "results.json").read_text())
    assert res["schema"] == 1
    assert res["n_sentences"] == 36 and res["skipped_long"] == 0
    assert res["n_words"] == sum(len(s) for s in read_conllu(conllu_file)[:36])
    for variant in ("reference", "clean"):
        assert len(res["uas"][variant]["dep_to_head"]) == 2  # layers
        assert len(res["uas"][variant]["head_to_dep"][0]) == 4  # heads
        assert set(res["best"][variant]) == {"layer", "head", "direction", "uas"}
        assert "+1" in res["baselines"][variant] and "-3" in res["baselines"][variant]
    assert "det" in res["by_relation"] and "det" in res["baselines"]["by_relation"]
    assert res["config"] == {"from_agg": "mean", "to_agg": "sum", "max_length": 512}
    for name in ("config.yaml", "env.json", "metrics.jsonl", "report.html"):
        assert (out / name).exists(), name
    assert (out / "figures" / "uas_heatmap.png").stat().st_size > 0
    assert (out / "figures" / "by_relation.png").stat().st_size > 0
    assert "best head" in result.output
    for variant in ("reference", "clean"):
        b = res["best_head"][variant]
        assert b["n_sentences"] == 36 and b["n_nonadjacent"] == res["nonadjacent"][variant]["n"]
        assert b["uas_ci"][0] <= b["uas"] <= b["uas_ci"][1]
        assert b["uas_margin"] == pytest.approx(b["uas"] - res["best_baseline"][variant]["uas"])
    for words in ("non-adjacent UAS", "margin", "offset UAS", "95% CI"):
        assert words in result.output, words


def test_uas_aggregation_options_reach_the_computation(tmp_path, syn_bert_dir, conllu_file):
    out = tmp_path / "run"
    args = ["uas", "--model", str(syn_bert_dir), "--conllu", str(conllu_file), "--out", str(out)]
    result = runner.invoke(app, args + ["--from-agg", "first", "--to-agg", "mean"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert json.loads((out / "results.json").read_text())["config"]["from_agg"] == "first"
    bad = runner.invoke(app, args + ["--to-agg", "max"])
    msg = str(bad.exception)
    assert isinstance(bad.exception, InputError) and "'first' | 'mean' | 'sum', got 'max'" in msg


def test_parse_then_uas_on_raw_text(tmp_path, syn_bert_dir):
    pytest.importorskip("spacy")
    from bertology.data.parsing import load_spacy

    try:
        load_spacy()
    except InputError as e:
        pytest.skip(str(e))
    text = tmp_path / "text.txt"
    text.write_text("The dog chased the cat.\n\nShe gave the boy a red ball. It was new.\n")
    parsed = tmp_path / "text.conllu"
    result = runner.invoke(app, ["parse", "--text", str(text), "--out", str(parsed)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    sents = read_conllu(parsed)
    assert [s.sent_id for s in sents] == ["1-1", "3-1", "3-2"]
    out = tmp_path / "run"
    args = ["uas", "--model", str(syn_bert_dir), "--text", str(text), "--out", str(out)]
    result = runner.invoke(app, args + ["--max-sentences", "2"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert json.loads((out / "results.json").read_text())["n_sentences"] == 2
    assert len(read_conllu(out / "parsed.conllu")) == 2  # the parses are kept


@pytest.mark.parametrize(
    "content, expected",
    [
        ("", "no sentences found"),
        ("1\tThe\tthe\tDET\t_\t_\t2\tdet\t_\t_\n1\tdog\n", ":2: expected 10 tab-separated"),
    ],
)
def test_bad_conllu_stops_with_file_and_line(tmp_path, syn_bert_dir, content, expected):
    bad = tmp_path / "bad.conllu"
    bad.write_text(content)
    args = ["uas", "--model", str(syn_bert_dir), "--conllu", str(bad), "--out", str(tmp_path / "r")]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, InputError)
    assert str(result.exception).startswith(str(bad)) and expected in str(result.exception)
    assert not (tmp_path / "r" / "results.json").exists()


def test_exactly_one_input_is_required(tmp_path, syn_bert_dir, conllu_file):
    base = ["uas", "--model", str(syn_bert_dir), "--out", str(tmp_path / "r")]
    for extra in ([], ["--conllu", str(conllu_file), "--text", str(conllu_file)]):
        result = runner.invoke(app, base + extra)
        assert isinstance(result.exception, InputError)
        assert "exactly one of" in str(result.exception)


def test_empty_text_file_is_a_clear_error(tmp_path, syn_bert_dir):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    result = runner.invoke(app, ["parse", "--text", str(empty), "--out", str(tmp_path / "x")])
    assert isinstance(result.exception, InputError) and "empty" in str(result.exception)


def test_model_directory_without_config_is_a_clear_error(tmp_path, conllu_file):
    args = [
        "uas",
        "--model",
        str(tmp_path),
        "--conllu",
        str(conllu_file),
        "--out",
        str(tmp_path / "r"),
    ]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, InputError) and "config.json" in str(result.exception)
