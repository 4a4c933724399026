"""The README's promise for every command: bad input stops with ``FILE:LINE: what was
expected`` (``FILE: ...`` where the input has no lines) and exit code 2, no traceback.

``probe`` and ``world`` are covered in their own tests; these run the console entry point
(``python -m bertology.cli``) in a subprocess, as a user would.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def _assert_input_error(proc: subprocess.CompletedProcess[str], where: str) -> None:
    """Exit code 2 and one clean message that starts with ``where`` (``FILE:LINE:`` or ``FILE:``)."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert f"bertology: error: {where} " in proc.stderr, proc.stderr


def test_uas_names_the_malformed_conllu_line(run_cli, tmp_path: Path, tiny_bert_dir: Path) -> None:
    """Guards ``uas --conllu``: a token line with 4 columns is reported as FILE:LINE."""
    bad = tmp_path / "gold.conllu"
    bad.write_text(
        "# text = paris is\n1\tparis\tparis\tPROPN\tNNP\t_\t2\tnsubj\t_\t_\n2\tis\tbe\tAUX\n\n"
    )
    proc = run_cli(
        "uas",
        "--model",
        str(tiny_bert_dir),
        "--conllu",
        "gold.conllu",
        "--out",
        "run",
        cwd=tmp_path,
    )
    _assert_input_error(proc, "gold.conllu:3:")
    assert "CoNLL-U" in proc.stderr


def test_prune_names_the_malformed_facts_line(run_cli, tmp_path: Path, tiny_bert_dir: Path) -> None:
    """Guards ``prune --facts``: a line that is not JSON is reported as FILE:LINE."""
    bad = tmp_path / "facts.jsonl"
    bad.write_text(
        '{"subject": "paris", "relation": "r", "object": "france", "prompt": "[X] in [Y] ."}\n'
        "\n{oops\n"
    )
    proc = run_cli(
        "prune",
        "--model",
        str(tiny_bert_dir),
        "--facts",
        "facts.jsonl",
        "--out",
        "run",
        cwd=tmp_path,
    )
    _assert_input_error(proc, "facts.jsonl:3:")
    assert "expected a JSON object" in proc.stderr


def test_pretrain_names_the_line_of_invalid_yaml(run_cli, tmp_path: Path) -> None:
    """Guards ``pretrain --config`` on a YAML syntax error: FILE:LINE."""
    (tmp_path / "cfg.yaml").write_text("model:\n  arch: bert\n  layers: [1\n")
    proc = run_cli("pretrain", "--config", "cfg.yaml", "--out", "run", cwd=tmp_path)
    _assert_input_error(proc, "cfg.yaml:4:")


def test_pretrain_names_the_line_of_a_bad_config_value(run_cli, tmp_path: Path) -> None:
    """Guards ``pretrain --config`` on a well-formed YAML with a value of the wrong type: the
    message names the key, the expected type, and FILE:LINE of the value."""
    (tmp_path / "cfg.yaml").write_text("model:\n  arch: bert\ntrain:\n  max_steps: many\n")
    proc = run_cli("pretrain", "--config", "cfg.yaml", "--out", "run", cwd=tmp_path)
    assert "train.max_steps: expected int" in proc.stderr, proc.stderr
    _assert_input_error(proc, "cfg.yaml:4:")


@pytest.mark.parametrize("kind", ["garbage", "model weights"])
def test_masks_stats_names_a_file_that_is_not_a_mask(
    run_cli, tmp_path: Path, tiny_bert_dir: Path, kind: str
) -> None:
    """Guards ``masks stats``: a non-safetensors file, or a safetensors file that holds model
    weights rather than a bertology mask, is refused naming the file (it has no lines)."""
    path = tmp_path / "mask.safetensors"
    if kind == "garbage":
        path.write_text("not a mask\n")
    else:
        path.write_bytes((tiny_bert_dir / "model.safetensors").read_bytes())
    proc = run_cli("masks", "stats", "mask.safetensors", cwd=tmp_path)
    _assert_input_error(proc, "mask.safetensors:")


def test_parse_names_the_line_of_bad_text(run_cli, tmp_path: Path) -> None:
    """Guards ``parse --text``: raw text is line-oriented, so an undecodable byte on line 2 is
    reported as FILE:2 (a byte offset alone sends the user counting bytes)."""
    (tmp_path / "text.txt").write_bytes(b"the cat sat .\n\xff\xfe bad bytes\n")
    proc = run_cli("parse", "--text", "text.txt", "--out", "trees.conllu", cwd=tmp_path)
    _assert_input_error(proc, "text.txt:2:")
