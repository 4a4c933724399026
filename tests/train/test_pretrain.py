"""End-to-end pre-training runs on a toy world: learning, the regularizer, resume, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from bertology.errors import InputError
from bertology.train import TrainingDiverged, pretrain
from bertology.train.checkpoint import list_checkpoints


def _rows(run: Path, kind: str = "train") -> list[dict]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["kind"] == kind]


def _weights(ckpt: Path) -> dict[str, torch.Tensor]:
    return load_file(str(ckpt / "model.safetensors"))


def _edge_attention(model, tok, world: Path, tmp: Path) -> float:
    """Mean over the held-out trees' edges of gamma (max attention over layers and heads,
    both directions): the quantity the regularizer pushes up (SAS+) or down (SAS-)."""
    from bertology.data.dependency import read_conllu
    from bertology.models.attention import set_attention_path
    from bertology.syntax.regularizer import syntactic_attention_loss
    from bertology.train.corpus import iter_sentences
    from bertology.train.packed import DataSpec, build_or_load, tokenizer_fingerprint

    trees = read_conllu(world / "trees.conllu")
    tmp.mkdir(parents=True, exist_ok=True)
    text = tmp / "held_out.txt"
    text.write_text("".join(" ".join(t.forms) + "\n" for t in trees))
    paths, tr = [str(text)], [str(world / "trees.conllu")]
    spec = DataSpec(paths, tr, "text", 32, "sentences", None, tokenizer_fingerprint(tok))
    data = build_or_load(spec, iter_sentences(paths, tr), tok, tmp / "held-out-cache")
    b = data.batch(np.arange(len(data)))
    set_attention_path(model, "eager")
    model.eval()
    with torch.no_grad():
        out = model(
            input_ids=b["input_ids"], attention_mask=b.get("attention_mask"), output_attentions=True
        )
    return float(syntactic_attention_loss(out.attentions, b["edges"], "max"))


def test_loss_falls_on_a_small_world_corpus_within_a_few_hundred_steps(tiny_config, tmp_path):
    cfg = tiny_config(
        train={"max_steps": 150, "lr": 5e-3, "warmup_steps": 15},
        checkpoint={"every": 75},
        eval={"evaluators": ["val_loss"]},
    )
    res = pretrain(cfg, tmp_path / "run")
    losses = [r["loss"] for r in _rows(tmp_path / "run")]
    assert len(losses) == 150
    assert np.mean(losses[-20:]) < np.mean(losses[:5]) - 1.0
    assert res.evals[150]["val_loss"] < res.evals[0]["val_loss"] - 1.0
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["status"] == "completed" and results["final_step"] == 150
    assert (tmp_path / "run" / "figures" / "loss.png").exists()
    assert (tmp_path / "run" / "report.html").exists()


def test_sas_plus_raises_and_sas_minus_lowers_attention_on_gold_edges(
    tiny_config, tmp_path, toy_world
):
    from bertology.models import load_mlm

    gamma = {}
    for lam in (-2.0, 0.0, 2.0):
        cfg = tiny_config(
            model={"dropout": 0.0},
            train={"max_steps": 30, "lr": 3e-3},
            sas={"lambda": lam},
            checkpoint={"every": 0, "initial": False},
            eval={"evaluators": []},
        )
        run = tmp_path / f"lam{lam}"
        pretrain(cfg, run)
        model, tok = load_mlm(run / "checkpoints" / "step-000030", device="cpu")
        gamma[lam] = _edge_attention(model, tok, toy_world, tmp_path / f"h{lam}")
        rows = _rows(run)
        assert all(r["sas_active"] == (lam != 0) for r in rows)
        assert all((r["sas_reg"] > 0) == (lam != 0) for r in rows)
    assert gamma[-2.0] > 1.5 * gamma[0.0]
    assert gamma[2.0] < 0.9 * gamma[0.0]


def test_attention_is_materialised_only_while_the_regularizer_is_on(tiny_config, tmp_path):
    seen = []
    cfg = tiny_config(
        train={"max_steps": 6},
        sas={"lambda": 0.5, "until_step": 3},
        checkpoint={"every": 0},
        eval={"evaluators": []},
    )
    pretrain(
        cfg, tmp_path / "run", on_step=lambda s, r: seen.append((s, r["attn"], r["sas_active"]))
    )
    assert seen == [
        (1, "eager", True),
        (2, "eager", True),
        (3, "eager", True),
        (4, "sdpa", False),
        (5, "sdpa", False),
        (6, "sdpa", False),
    ]
    plain = []
    cfg0 = tiny_config(train={"max_steps": 2}, checkpoint={"every": 0}, eval={"evaluators": []})
    pretrain(cfg0, tmp_path / "run0", on_step=lambda s, r: plain.append(r["attn"]))
    assert plain == ["sdpa", "sdpa"]


class _Killed(Exception):
    pass


def test_resume_is_bitwise_identical_to_uninterrupted_run(tiny_config, tmp_path):
    # dropout on, warmup + decay, the regularizer switching off mid-run: all must resume exactly
    cfg = tiny_config(
        train={"max_steps": 12, "warmup_steps": 3},
        sas={"lambda": -0.5, "until_step": 7},
        checkpoint={"every": 4},
    )
    pretrain(cfg, tmp_path / "straight")

    def kill(step, row):
        if step == 6:  # after checkpoint 4, before checkpoint 8: steps 5-6 are lost
            raise _Killed

    with pytest.raises(_Killed):
        pretrain(cfg, tmp_path / "resumed", on_step=kill)
    assert [s for s, _ in list_checkpoints(tmp_path / "resumed" / "checkpoints")] == [0, 4]
    pretrain(cfg, tmp_path / "resumed", resume=True)

    a = tmp_path / "straight" / "checkpoints" / "step-000012"
    b = tmp_path / "resumed" / "checkpoints" / "step-000012"
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    oa = load_file(str(a / "trainer_state" / "optimizer.safetensors"))
    ob = load_file(str(b / "trainer_state" / "optimizer.safetensors"))
    assert oa.keys() == ob.keys() and all(torch.equal(oa[k], ob[k]) for k in oa)
    # metrics.jsonl of the resumed run has no duplicate or lost steps and equal losses
    la = [(r["step"], r["loss"], r["sas_reg"]) for r in _rows(tmp_path / "straight")]
    lb = [(r["step"], r["loss"], r["sas_reg"]) for r in _rows(tmp_path / "resumed")]
    assert la == lb
    ea = [(r["step"], r["evaluator"]) for r in _rows(tmp_path / "straight", "eval")]
    eb = [(r["step"], r["evaluator"]) for r in _rows(tmp_path / "resumed", "eval")]
    assert ea == eb


def test_checkpoint_is_an_hf_model_directory_with_tokenizer_and_trainer_state(
    tiny_config, tmp_path
):
    from bertology.models import load_mlm

    cfg = tiny_config(train={"max_steps": 3}, checkpoint={"every": 0}, eval={"evaluators": []})
    pretrain(cfg, tmp_path / "run")
    ckpts = list_checkpoints(tmp_path / "run" / "checkpoints")
    assert [(s, p.name) for s, p in ckpts] == [(0, "step-000000"), (3, "step-000003")]
    path = ckpts[-1][1]
    for f in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "trainer_state.json",
        "trainer_state/optimizer.safetensors",
        "trainer_state/rng.safetensors",
    ]:
        assert (path / f).exists(), f
    model, tok = load_mlm(path, device="cpu")
    state = json.loads((path / "trainer_state.json").read_text())
    assert state["step"] == 3 and state["samples_seen"] == 3 * 8
    assert tok.mask_token == "[MASK]"
    assert not any(p.name.startswith(".") for p in (tmp_path / "run" / "checkpoints").iterdir())


def test_trainer_state_latest_keeps_optimizer_state_only_in_the_newest(tiny_config, tmp_path):
    cfg = tiny_config(
        train={"max_steps": 4},
        checkpoint={"every": 2, "trainer_state": "latest"},
        eval={"evaluators": []},
    )
    pretrain(cfg, tmp_path / "run")
    ckpts = list_checkpoints(tmp_path / "run" / "checkpoints")
    assert [(p / "trainer_state").exists() for _, p in ckpts] == [False, False, True]
    assert all((p / "model.safetensors").exists() for _, p in ckpts)


def test_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(
    tiny_config, tmp_path, monkeypatch
):
    from bertology.train.objective import MLMObjective

    forward = MLMObjective.forward
    calls = {"n": 0}

    def poisoned(self, *args, **kwargs):
        ce, ok, reg = forward(self, *args, **kwargs)
        if self.model.training:
            calls["n"] += 1
            if calls["n"] == 5:  # the 5th update
                ce = ce * float("nan")
        return ce, ok, reg

    monkeypatch.setattr(MLMObjective, "forward", poisoned)
    cfg = tiny_config(train={"max_steps": 10}, checkpoint={"every": 3}, eval={"evaluators": []})
    run = tmp_path / "run"
    with pytest.raises(
        TrainingDiverged, match=r"diverged at step 5.*last good checkpoint is .*step-000003"
    ):
        pretrain(cfg, run)
    assert [s for s, _ in list_checkpoints(run / "checkpoints")] == [0, 3]
    assert _weights(run / "checkpoints" / "step-000003")  # loadable
    results = json.loads((run / "results.json").read_text())
    assert results["status"] == "diverged" and "step 5" in results["message"]
    assert [r["step"] for r in _rows(run)] == [1, 2, 3, 4]


def test_interrupted_save_leaves_no_half_checkpoint(tiny_config, tmp_path, monkeypatch):
    import bertology.train.checkpoint as ck

    real = ck.save_file
    calls = {"n": 0}

    def crash(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # the optimizer file of the second checkpoint
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(ck, "save_file", crash)
    cfg = tiny_config(train={"max_steps": 6}, checkpoint={"every": 3}, eval={"evaluators": []})
    run = tmp_path / "run"
    with pytest.raises(OSError, match="disk full"):
        pretrain(cfg, run)
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["step-000000"]
    monkeypatch.setattr(ck, "save_file", real)
    pretrain(cfg, run, resume=True)
    assert [s for s, _ in list_checkpoints(run / "checkpoints")] == [0, 3, 6]


def test_resume_with_a_different_tokenizer_is_refused(tiny_config, tmp_path, toy_world):
    """A changed tokenizer setting is refused by the science check; a tokenizer whose files
    changed under the same tokenizer.path is refused by its fingerprint."""
    from bertology.models import train_wordpiece_tokenizer

    text = (toy_world / "corpus" / "train.txt").read_text().splitlines()[:300]
    tok_dir = tmp_path / "tok"
    train_wordpiece_tokenizer(text, vocab_size=200).save_pretrained(str(tok_dir))
    common = dict(
        train={"max_steps": 4},
        checkpoint={"every": 2},
        tokenizer={"path": str(tok_dir)},
        eval={"evaluators": []},
    )

    def kill(step, row):
        if step == 3:
            raise _Killed

    run = tmp_path / "run"
    with pytest.raises(_Killed):
        pretrain(tiny_config(**common), run, on_step=kill)
    train_wordpiece_tokenizer(["completely other words"] * 10, vocab_size=80).save_pretrained(
        str(tok_dir)
    )  # other files under the same path
    with pytest.raises(
        InputError, match="tokenizer of tokenizer.path=.* differs from the checkpoint's"
    ):
        pretrain(tiny_config(**common), run, resume=True)
    with pytest.raises(InputError, match=r"cannot resume .*tokenizer.vocab_size: 200 -> 300"):
        changed = {**common, "tokenizer": {"path": str(tok_dir), "vocab_size": 300}}
        pretrain(tiny_config(**changed), run, resume=True)


def test_a_run_directory_with_checkpoints_needs_resume(tiny_config, tmp_path):
    cfg = tiny_config(train={"max_steps": 1}, checkpoint={"every": 0}, eval={"evaluators": []})
    pretrain(cfg, tmp_path / "run")
    with pytest.raises(InputError, match="pass --resume"):
        pretrain(cfg, tmp_path / "run")


def test_empty_training_corpus_stops_with_a_clear_message(tiny_config, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    cfg = tiny_config(data={"train": [str(empty)], "trees": []}, eval={"evaluators": []})
    with pytest.raises(InputError, match="training corpus is empty"):
        pretrain(cfg, tmp_path / "run")


def test_cli_pretrain_with_set_overrides_and_resume(tiny_config, tmp_path, toy_world):
    import typer
    import yaml
    from typer.testing import CliRunner

    from bertology.train.commands import register

    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keep "pretrain" a subcommand
        pass

    cfg = tiny_config(eval={"evaluators": []})
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg.to_dict()))
    run = tmp_path / "run"
    r = CliRunner().invoke(
        app,
        [
            "pretrain",
            "--config",
            str(path),
            "--out",
            str(run),
            "--set",
            "train.max_steps=3",
            "--set",
            "checkpoint.every=2",
        ],
    )
    assert r.exit_code == 0, r.output
    assert [s for s, _ in list_checkpoints(run / "checkpoints")] == [0, 2, 3]
    # --resume reads RUN/config.yaml; a --set outside impl/checkpoint is refused, naming it
    r = CliRunner().invoke(
        app, ["pretrain", "--out", str(run), "--resume", "--set", "train.max_steps=5"]
    )
    assert isinstance(r.exception, InputError), r.output
    assert "train.max_steps: 3 -> 5" in str(r.exception)
    assert [s for s, _ in list_checkpoints(run / "checkpoints")] == [0, 2, 3]
    r = CliRunner().invoke(
        app, ["pretrain", "--out", str(run), "--resume", "--set", "impl.print_every=1"]
    )
    assert r.exit_code == 0, r.output  # speed settings may change; the run is complete
    assert [s for s, _ in list_checkpoints(run / "checkpoints")] == [0, 2, 3]


def test_continue_pretraining_from_an_hf_model_directory(tiny_config, tmp_path):
    first = tiny_config(train={"max_steps": 2}, checkpoint={"every": 0}, eval={"evaluators": []})
    pretrain(first, tmp_path / "a")
    src = tmp_path / "a" / "checkpoints" / "step-000002"
    cont = tiny_config(
        model={"init_from": str(src)},
        train={"max_steps": 2},
        checkpoint={"every": 0},
        eval={"evaluators": ["val_loss"]},
    )
    res = pretrain(cont, tmp_path / "b")
    # the continued run starts from the first run's weights, not a fresh initialisation
    w0 = _weights(tmp_path / "b" / "checkpoints" / "step-000000")
    assert all(torch.equal(w0[k], v) for k, v in _weights(src).items())
    assert res.final_step == 2


@pytest.mark.slow
def test_torch_compile_path_gives_the_eager_losses(tiny_config, tmp_path):
    losses = {}
    for compiled in (False, True):
        cfg = tiny_config(
            model={"dropout": 0.0},
            train={"max_steps": 3},
            checkpoint={"every": 0, "initial": False},
            eval={"evaluators": []},
            impl={"compile": compiled},
        )
        pretrain(cfg, tmp_path / f"c{compiled}")
        losses[compiled] = [r["loss"] for r in _rows(tmp_path / f"c{compiled}")]
    np.testing.assert_allclose(losses[True], losses[False], rtol=1e-4)


def test_resume_refuses_only_a_changed_science_setting(tiny_config, tmp_path, capsys):
    """impl (speed, logging) and checkpoint (what is saved) may change on resume silently;
    a changed science setting is refused, named in the error, and config.yaml is kept."""
    base = dict(train={"max_steps": 4}, checkpoint={"every": 2}, eval={"evaluators": []})

    def kill(step, row):
        if step == 3:
            raise _Killed

    for name in ("speed", "science"):
        with pytest.raises(_Killed):
            pretrain(tiny_config(**base), tmp_path / name, on_step=kill)
    capsys.readouterr()
    speed = tiny_config(
        train={"max_steps": 4},
        checkpoint={"every": 1},
        eval={"evaluators": []},
        impl={"print_every": 1, "eval_batch_size": 4, "grad_accum": 2},
    )
    pretrain(speed, tmp_path / "speed", resume=True)
    assert "config changed" not in capsys.readouterr().err
    science = tiny_config(**{**base, "train": {"max_steps": 4, "lr": 1e-3}})
    before = (tmp_path / "science" / "config.yaml").read_bytes()
    with pytest.raises(InputError, match=r"cannot resume .*train\.lr: 0\.002 -> 0\.001"):
        pretrain(science, tmp_path / "science", resume=True)
    assert (tmp_path / "science" / "config.yaml").read_bytes() == before  # still the trained one
