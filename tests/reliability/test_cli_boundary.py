"""The CLI's one error boundary (issue 13): usage errors and bad input exit 2 with one clear
message and no traceback; ``--debug`` (or ``BERTOLOGY_DEBUG=1``) shows the traceback."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["probe", "--model"], "Option '--model' requires an argument"),
        (["probe", "-m", "m", "-f", "f", "--out", "o", "--batch-size", "abc"], "--batch-size: impl.batch_size: expected int, got 'abc'"),
        (["probe", "-m", "m", "-f", "f"], "Missing option '--out'"),
        (["nosuchcommand"], "No such command 'nosuchcommand'"),
        (["masks", "nosuch"], "No such command 'nosuch'"),
        (["prune", "-m", "m", "-f", "f", "--out", "o", "--set", "train.epoch=3"], "unknown config key 'train.epoch' (did you mean 'train.epochs'?)"),
        (["uas", "-m", "m", "--out", "o", "--from-agg", "max"], "from_agg: expected 'first' | 'mean' | 'sum', got 'max'"),
        (["pretrain", "--resume", "--out", "no/such/run"], "no/such/run: --resume: no such run directory"),
        (["world", "--out", "w", "--set", "tokens"], "--set expects key=value"),
    ],
    ids=lambda x: " ".join(x) if isinstance(x, list) else None,
)  # fmt: skip
def test_a_usage_or_input_error_is_one_clear_line_and_exit_2(run_cli, tmp_path, args, says):
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert says in proc.stderr, proc.stderr
    assert not list(tmp_path.iterdir())  # nothing was written


def test_bare_bertology_shows_the_commands_and_exits_2(run_cli, tmp_path):
    proc = run_cli(cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "probe" in proc.stdout + proc.stderr and "pretrain" in proc.stdout + proc.stderr


def test_debug_shows_the_traceback(run_cli, tmp_path):
    args = ["pretrain", "--resume", "--out", "no/such/run"]
    for extra, env in (([], {"BERTOLOGY_DEBUG": "1"}), (["--debug"], None)):
        proc = run_cli(*args, *extra, cwd=tmp_path, env=env)
        assert proc.returncode == 1 and "Traceback" in proc.stderr
        assert "InputError" in proc.stderr and "no such run directory" in proc.stderr


def test_a_long_offending_input_is_cut_in_the_message(run_cli, tmp_path):
    long = "x" * 5000
    proc = run_cli(
        "probe", "-m", "m", "-f", "f", "--out", "o", "--set", f"split={long}", cwd=tmp_path
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith("bertology: error: ") and len(line) <= 420 and line.endswith("…")


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (OSError(28, "No space left on device", "/runs/x/results.json"), "/runs/x/results.json: No space left on device"),
        (PermissionError(13, "Permission denied", "/runs/ro"), "/runs/ro: Permission denied"),
        (OSError(30, "Read-only file system", "/mnt/ro/run"), "/mnt/ro/run: Read-only file system"),
    ],
)  # fmt: skip
def test_an_environment_error_is_one_line_naming_the_path_and_exit_1(
    monkeypatch, capsys, error, says
):
    """A full disk, a read-only file system or a missing permission (simulated: root can
    write anywhere here) is one line naming the path, exit code 1, no traceback; nothing
    half-written stays, as the atomic writes guarantee (tests/test_io.py)."""
    import bertology.cli as cli

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(cli, "app", fail)
    with pytest.raises(SystemExit) as e:
        cli.main(["probe", "--out", "x"])
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert err.strip() == f"bertology: error: {says}" and "Traceback" not in err


def test_ctrl_c_in_a_command_exits_130_and_leaves_no_run(
    monkeypatch, capsys, tmp_path, tiny_bert_dir
):
    """typer turns a KeyboardInterrupt inside a command into a *returned* code when not in
    standalone mode; the boundary must still exit 130 (it once exited 0), and the staged run
    must be gone."""
    import json

    import bertology.cli as cli
    import bertology.probe.run as run

    facts = tmp_path / "f.jsonl"
    facts.write_text(json.dumps({"subject": "paris", "relation": "capital", "object": "france",
                                 "prompt": "paris is the capital of [MASK] ."}) + "\n")  # fmt: skip

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "evaluate_facts", interrupted)
    with pytest.raises(SystemExit) as e:
        cli.main(["probe", "-m", str(tiny_bert_dir), "-f", str(facts), "--device", "cpu",
                  "--out", str(tmp_path / "run")])  # fmt: skip
    assert e.value.code == 130
    assert "bertology: interrupted" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.jsonl"]  # nothing half-written
