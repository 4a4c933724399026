"""``bertology dynamics`` (issue 15) on a tiny pre-training run: every checkpoint evaluated,
equal to what pre-training logged; the cache reused, extended and resumed; HF Trainer-style
checkpoint directories and list files; two runs compared in one call; bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bertology.cli import main
from bertology.errors import InputError

STEPS = [0, 2, 4, 6, 8, 10]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("dyn")
    (d / "s.yaml").write_text("n_entities: 30\nheldout_trees: 30\npairs_per_paradigm: 10\n")
    main(["world", "--out", str(d / "w"), "--tokens", "20000", "--config", str(d / "s.yaml")])
    w = d / "w"
    (d / "p.yaml").write_text(
        f"""
model: {{arch: bert, layers: 2, hidden: 32, heads: 2, intermediate: 64, max_position: 64}}
tokenizer: {{vocab_size: 600, min_frequency: 1}}
data: {{train: [{w}/corpus/train.txt], trees: [{w}/corpus/train.conllu], valid: [{w}/corpus/valid.txt]}}
train: {{max_steps: 10, batch_size: 8, seq_len: 32, warmup_steps: 1, lr: 0.003}}
checkpoint: {{every: 2, dense_until: 0, then_every: 2}}
eval: {{evaluators: [val_loss, uas], uas_conllu: {w}/trees.conllu, uas_max_sentences: 20,
       val_max_sequences: 8}}
impl: {{device: cpu, threads: 1, cache_dir: {d / "cache"}, print_every: 0}}
"""
    )
    main(["pretrain", "--config", str(d / "p.yaml"), "--out", str(d / "run")])
    return d


ARGS = ["--set", "blimp_per_paradigm=2", "--set", "twonn_n=30", "--no-progress", "--device", "cpu"]


def _copy_run(tiny_run, tmp_path) -> Path:
    run = tmp_path / "run"
    shutil.copytree(tiny_run / "run", run)
    (run / "dynamics-cache.jsonl").unlink(missing_ok=True)
    return run


def test_every_checkpoint_is_evaluated_as_pre_training_logged_it(tiny_run, tmp_path):
    run = _copy_run(tiny_run, tmp_path)
    main(["dynamics", str(run), "--out", str(tmp_path / "out"), *ARGS])
    doc = json.loads((tmp_path / "out" / "dynamics.json").read_text())
    assert doc["schema"] == 1 and list(doc["runs"]) == ["run"]
    m = doc["runs"]["run"]["metrics"]
    for metric in ("val_loss", "uas", "blimp", "twonn"):
        assert m[metric]["steps"] == STEPS and len(m[metric]["values"]) == len(STEPS)
        assert set(m[metric]) >= {"onset", "plateau"}
    logged = {}
    for line in (run / "metrics.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row.get("kind") == "eval":
            logged.setdefault(row["step"], {}).update(row)
    for step, loss, uas in zip(STEPS, m["val_loss"]["values"], m["uas"]["values"], strict=True):
        assert loss == pytest.approx(logged[step]["val_loss"], abs=1e-6)  # the same evaluator,
        assert uas == pytest.approx(logged[step]["uas"], abs=1e-9)  # data and masks
    # the final best head followed back: its last value is the final best-head UAS
    head = doc["runs"]["run"]["uas_fixed_head"]
    assert head["step"] == STEPS[-1] and head["points"] == len(STEPS) and head["note"] is None
    assert m["uas_fixed_head"]["steps"] == STEPS
    assert m["uas_fixed_head"]["values"][-1] == m["uas"]["values"][-1] == head["uas"]
    assert all(
        f <= u for f, u in zip(m["uas_fixed_head"]["values"], m["uas"]["values"], strict=True)
    )
    assert (logged[STEPS[-1]]["uas_layer"], logged[STEPS[-1]]["uas_head"]) == (
        head["layer"], head["head"])  # fmt: skip
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert res["uas_fixed_head"]["run"] == head
    assert (
        res["table"][0]["run"] == "run"
        and res["table"][0]["final_val_loss"] == m["val_loss"]["values"][-1]
    )
    assert set(res["phases"]["run"]) >= {"structure_onset", "capability_onset", "twonn_min_step"}
    assert (tmp_path / "out" / "figures" / "summary.png").is_file()


def test_the_cache_is_reused_extended_and_resumed(tiny_run, tmp_path, monkeypatch):
    import bertology.dynamics.evaluate as evaluate

    run = _copy_run(tiny_run, tmp_path)
    loads = []
    real = evaluate.load_mlm
    monkeypatch.setattr(evaluate, "load_mlm", lambda *a, **k: loads.append(a[0]) or real(*a, **k))
    calls = {"n": 0}

    from bertology.train import registry

    twonn = registry.get_evaluator("twonn")

    class Dies:  # the run is killed in the middle of the fourth checkpoint's TwoNN
        def __init__(self, ctx):
            self.inner = twonn(ctx)

        def __call__(self, model, step):
            calls["n"] += 1
            if calls["n"] == 4:
                raise KeyboardInterrupt
            return self.inner(model, step)

    monkeypatch.setitem(registry.EVALUATORS, "twonn", Dies)
    with pytest.raises(SystemExit) as stop:  # the CLI turns Ctrl-C into exit code 130
        main(["dynamics", str(run), "--out", str(tmp_path / "a"), "--evaluate", "uas,twonn", *ARGS])
    assert stop.value.code == 130
    assert not (tmp_path / "a").exists()  # no half-written run
    cached = (run / "dynamics-cache.jsonl").read_text().splitlines()
    assert len(cached) == 3 * 2 + 1  # three checkpoints whole, and the fourth's uas
    loads.clear()
    monkeypatch.setitem(registry.EVALUATORS, "twonn", twonn)
    main(["dynamics", str(run), "--out", str(tmp_path / "a"), "--evaluate", "uas,twonn", *ARGS])
    assert len(loads) == 3  # resumed: only the checkpoints 6, 8 and 10 were loaded
    assert len((run / "dynamics-cache.jsonl").read_text().splitlines()) == 12
    loads.clear()
    main(["dynamics", str(run), "--out", str(tmp_path / "b"), "--evaluate", "uas,twonn", *ARGS])
    assert loads == []  # everything cached
    main(
        [
            "dynamics",
            str(run),
            "--out",
            str(tmp_path / "c"),
            "--evaluate",
            "uas,twonn,val_loss",
            *ARGS,
        ]
    )
    assert len(loads) == len(STEPS)  # a new metric: every checkpoint, for it alone
    assert len((run / "dynamics-cache.jsonl").read_text().splitlines()) == 18


def test_hf_trainer_directories_list_files_and_two_runs_in_one_call(tiny_run, tmp_path):
    run = _copy_run(tiny_run, tmp_path)
    hf = tmp_path / "hf"
    hf.mkdir()
    for step in STEPS:
        d = hf / f"checkpoint-{step}"
        shutil.copytree(run / "checkpoints" / f"step-{step:06d}", d)
        shutil.rmtree(d / "trainer_state")
        (d / "trainer_state.json").write_text(json.dumps({"global_step": step, "log_history": []}))
    listing = tmp_path / "multiberts.txt"
    listing.write_text("# step model\n" + "".join(f"{s} hf/checkpoint-{s}\n" for s in STEPS))
    w = tiny_run / "w"
    main(["dynamics", str(run), str(hf), str(listing), "--out", str(tmp_path / "out"),
          "--pairs", str(w / "minimal_pairs"), "--texts", str(w / "corpus" / "valid.txt"),
          "--conllu", str(w / "trees.conllu"), "--evaluate", "uas,blimp",
          "--set", "uas_max_sentences=20", *ARGS])  # the run's own setting, for every series  # fmt: skip
    doc = json.loads((tmp_path / "out" / "dynamics.json").read_text())
    assert list(doc["runs"]) == ["run", "hf", "multiberts"]
    for name in ("hf", "multiberts"):
        assert doc["runs"][name]["metrics"]["uas"]["steps"] == STEPS
        assert doc["runs"][name]["metrics"]["uas"]["values"] == pytest.approx(
            doc["runs"]["run"]["metrics"]["uas"]["values"], abs=1e-9
        )
    assert len(json.loads((tmp_path / "out" / "results.json").read_text())["table"]) == 3
    assert (tmp_path / "out" / "figures" / "uas.png").is_file()


def test_bad_series_are_named(tiny_run, tmp_path):
    from bertology.dynamics.config import DynamicsConfig, DynamicsImpl
    from bertology.dynamics.run import dynamics

    empty = tmp_path / "empty"
    (empty / "checkpoints").mkdir(parents=True)
    with pytest.raises(InputError, match=f"^{empty}: no checkpoints here"):
        dynamics([str(empty)], DynamicsConfig(), tmp_path / "o")
    short = tmp_path / "short.txt"
    short.write_text(
        f"0 {tiny_run}/run/checkpoints/step-000000\n2 {tiny_run}/run/checkpoints/step-000002\n"
    )
    with pytest.raises(
        InputError, match=f"^{short}: 2 checkpoints; finding breaks needs at least 4"
    ):
        dynamics([str(short)], DynamicsConfig(), tmp_path / "o")
    bad = tmp_path / "bad.txt"
    bad.write_text("0 a\nten b\n")
    with pytest.raises(InputError, match=f"^{bad}:2: expected 'STEP NAME_OR_PATH'"):
        dynamics([str(bad)], DynamicsConfig(), tmp_path / "o")
    run = _copy_run(tiny_run, tmp_path)
    weights = run / "checkpoints" / "step-000004" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(InputError, match="step-000004/model.safetensors"):
        dynamics(
            [str(run)],
            DynamicsConfig(evaluate=["uas"], impl=DynamicsImpl(progress=False)),
            tmp_path / "o",
        )  # type: ignore[arg-type]
    assert not (tmp_path / "o").exists()
