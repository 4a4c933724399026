"""Every ``bertology`` command takes ``--config`` and ``--set`` (one configuration system)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from bertology.cli import app


def _leaf_commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    out: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        if hasattr(cmd, "commands"):  # a group (typer vendors its own click classes)
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
        else:
            out.append(path)

    walk(root, [])
    return out


COMMANDS = _leaf_commands()


def test_the_command_table_is_complete():
    names = {" ".join(c) for c in COMMANDS}
    for expected in ("probe", "prune", "specialize", "inspect", "masks combine", "masks export",
                     "masks stats", "masks overlap", "uas", "parse", "world", "pretrain", "demo",
                     "data wordnet"):  # fmt: skip
        assert expected in names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_every_command_takes_config_and_set(command):
    res = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "--config" in res.output and "--set" in res.output


def test_an_unknown_set_key_names_the_known_keys_of_its_section(tmp_path):
    res = CliRunner().invoke(
        app, ["probe", "-m", "x", "-f", "y", "--out", str(tmp_path), "--set", "impl.batchsize=2"]
    )
    assert res.exit_code != 0
    msg = str(res.exception)
    assert "unknown config key 'impl.batchsize' (did you mean 'impl.batch_size'?)" in msg
    assert "impl.device" in msg and not (tmp_path / "config.yaml").exists()
