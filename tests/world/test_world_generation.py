"""Determinism, world.json, configuration and the ``bertology world`` command."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bertology.errors import InputError
from bertology.world import WorldConfig, generate_world, load_world_config
from bertology.world.grammar import DEFAULT_RULES

EXPECTED_FILES = [
    "corpus/train.conllu", "corpus/train.txt", "corpus/valid.conllu", "corpus/valid.txt",
    "facts.jsonl", "relations.jsonl", "trees.conllu", "world.json",
]  # fmt: skip


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(tmp_path: Path, checks) -> None:
    a = files(generate_world(tmp_path / "a", checks.small_config(seed=7)) and tmp_path / "a")
    b = files(generate_world(tmp_path / "b", checks.small_config(seed=7)) and tmp_path / "b")
    assert set(EXPECTED_FILES) <= set(a)
    assert a == b


def test_output_does_not_depend_on_python_hash_randomization(
    tmp_path: Path, world_dir: Path, checks
) -> None:
    import subprocess

    code = (
        "import sys; from bertology.world import WorldConfig, generate_world; "
        f"generate_world(sys.argv[1], WorldConfig(**{checks.small_config().to_dict()!r}))"
    )
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / hash_seed)], check=True, env=env)
    assert files(tmp_path / "1") == files(tmp_path / "2") == files(world_dir)


def test_another_seed_gives_another_world(tmp_path: Path, world_dir: Path, checks) -> None:
    generate_world(tmp_path / "c", checks.small_config(seed=1))
    assert files(tmp_path / "c")["corpus/train.txt"] != files(world_dir)["corpus/train.txt"]


def test_world_json_holds_config_and_statistics(world_dir: Path, checks) -> None:
    world = json.loads((world_dir / "world.json").read_text())
    assert world["config"] == checks.small_config().validate().to_dict()
    train = world["corpus"]["train"]
    lines = (world_dir / "corpus" / "train.txt").read_text().splitlines()
    assert train["sentences"] == len(lines)
    assert train["tokens"] == sum(len(line.split()) for line in lines) >= 40_000
    assert world["vocabulary"]["size"] == len({w for line in lines for w in line.split()})
    assert 500 <= world["vocabulary"]["size"] <= 3000
    assert world["knowledge"]["entities"] == 40 and world["knowledge"]["relations"] >= 8
    assert len(world["facts"]) == world["knowledge"]["facts"]


def test_yaml_config_overrides_only_the_fields_it_names(tmp_path: Path) -> None:
    path = tmp_path / "world.yaml"
    path.write_text("tokens: 1234\ngrammar:\n  NP:\n    noun_pp: 0.5\n")
    cfg = load_world_config(path)
    assert cfg.tokens == 1234 and cfg.seed == 0
    assert cfg.grammar["NP"]["noun_pp"] == 0.5
    assert cfg.grammar["NP"]["noun"] == DEFAULT_RULES["NP"]["noun"]
    assert cfg.grammar["VP"] == DEFAULT_RULES["VP"]


@pytest.mark.parametrize(
    ("yaml_text", "message", "line"),
    [
        (
            "tokens: 100\ntokenz: 5\n",
            "unknown config key 'tokenz' (did you mean 'tokens'?); known keys: seed, tokens,",
            2,
        ),
        ("p_plural: 2\n", "p_plural must be in [0, 1], got 2", 1),
        ("seed: 0\ntokens: lots\n", "tokens: expected int, got 'lots'", 2),
        (
            "grammar:\n  NP:\n    nown: 1\n",
            "unknown expansion 'nown' of grammar.NP; known: noun, noun_pp,",
            1,
        ),
        ("grammar:\n  XP: {a: 1}\n", "unknown grammar nonterminal 'XP'; known: S, NP, VP", 1),
        ("- a\n- b\n", "expected a mapping of settings, got list", None),
    ],
)
def test_bad_config_stops_with_file_line_and_what_was_expected(
    tmp_path: Path, yaml_text: str, message: str, line: int | None
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text)
    with pytest.raises(InputError) as e:
        load_world_config(path)
    assert message in str(e.value)
    assert e.value.path == str(path) and e.value.line == line


def test_too_many_entities_is_an_input_error(tmp_path: Path) -> None:
    """More entities than the word lists hold are made up (test_world_nonce.py), up to a cap."""
    with pytest.raises(InputError, match="n_entities must be between 1 and 100000, or null"):
        generate_world(tmp_path / "w", WorldConfig(tokens=1000, n_entities=100_001))
    assert not (tmp_path / "w").exists()


def test_grammar_weights_change_the_language(tmp_path: Path, checks) -> None:
    rules = {"NP": {"noun_pp": 0, "subject_relative": 0, "object_relative": 0, "np_and_np": 0}}
    stats = generate_world(tmp_path / "w", checks.small_config(tokens=5000, grammar=rules))
    assert "acl:relcl" not in stats["deprels"]  # no relative clauses (templates have none either)


def test_refuses_to_replace_a_directory_that_is_not_a_world(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("precious")
    with pytest.raises(InputError, match="refusing to replace"):
        generate_world(tmp_path, WorldConfig(tokens=1000))
    assert (tmp_path / "keep.txt").read_text() == "precious"


def test_cli_writes_a_world_from_flags_and_config(tmp_path: Path) -> None:
    from bertology.cli import app

    cfg = tmp_path / "small.yaml"
    cfg.write_text("n_entities: 30\nheldout_trees: 50\npairs_per_paradigm: 20\n")
    out = tmp_path / "world"
    result = CliRunner().invoke(
        app, ["world", "--out", str(out), "--seed", "3", "--tokens", "20000", "--config", str(cfg)]
    )
    assert result.exit_code == 0, result.output
    assert "tokens/s" in result.output
    world = json.loads((out / "world.json").read_text())
    assert world["config"]["seed"] == 3 and world["config"]["tokens"] == 20000
    assert world["config"]["n_entities"] == 30 and world["minimal_pairs"]["transitive"] == 20
    for name in EXPECTED_FILES:
        assert (out / name).is_file()
    # running again replaces the world
    assert (
        CliRunner()
        .invoke(app, ["world", "--out", str(out), "--tokens", "20000", "--config", str(cfg)])
        .exit_code
        == 0
    )


def test_cli_bad_config_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bertology.cli import main

    cfg = tmp_path / "bad.yaml"
    cfg.write_text("tokens: 100\nentities: 5\n")
    monkeypatch.setattr(
        sys, "argv", ["bertology", "world", "--out", str(tmp_path / "w"), "--config", str(cfg)]
    )
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert (
        f"{cfg}:2: unknown config key 'entities' (did you mean 'n_entities'?); known keys:" in err
    )
    assert not (tmp_path / "w").exists()


def test_replacing_an_earlier_world_never_deletes_a_file_it_did_not_write(tmp_path: Path) -> None:
    """An earlier world may be replaced, but a file the user put into it (not one the world
    writes) stops the run, and the earlier world stays as it was."""
    out = tmp_path / "w"
    generate_world(out, WorldConfig(tokens=1000, heldout_trees=20, pairs_per_paradigm=5))
    (out / "corpus" / "my_notes.txt").write_text("precious")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(
        InputError, match=r"holds files the world does not write \(corpus/my_notes.txt\)"
    ):
        generate_world(out, WorldConfig(tokens=1200, heldout_trees=20, pairs_per_paradigm=5))
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not list(tmp_path.glob(".w.*"))
    (out / "corpus" / "my_notes.txt").unlink()
    generate_world(out, WorldConfig(tokens=1200, heldout_trees=20, pairs_per_paradigm=5))
    assert json.loads((out / "world.json").read_text())["config"]["tokens"] == 1200
