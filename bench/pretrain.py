"""Benchmark: tokens/s of ``bertology pretrain``'s loop vs HF Trainer, and the regularizer's cost.

Variants, all with the same model (BERT, 4 layers x 256, 4 heads, a 30522-token WordPiece
vocabulary like bert-base-uncased's, trained on Brown), the same packed Brown rows, batch
size, sequence length, AdamW, warmup + linear decay and clipping, fp32 on the CPU:

- ``hf``: ``transformers.Trainer`` with ``DataCollatorForLanguageModeling`` (15%, 80/10/10)
  on the same rows: the baseline (goal: bertology >= 1.5x);
- ``ours``: :func:`bertology.train.pretrain` with lambda = 0 (SDPA, LM head at the masked
  positions only);
- ``ours_sas``: the same with lambda != 0 (eager attention with probabilities, plus the
  regularizer) (goal: <= 1.6x the time of lambda = 0).

Each variant runs ``--steps`` steps per round, for ``--rounds`` rounds in turn, and the
median time between consecutive steps (data, masking, forward, backward, optimizer, all in)
is reported, so other load on a shared machine falls on all alike.

    python bench/pretrain.py [--steps 8] [--rounds 3] [--batch-size 16] [--seq-len 128]
    python bench/pretrain.py --gpu-mfu      # CUDA: MFU of a BERT-base-shaped model in bf16
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CACHE, bert_base_tokenizer, brown_sentences  # noqa: E402


def _corpus(n: int) -> Path:
    path = CACHE / f"pretrain-brown-{n}.txt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(s + "\n" for s in brown_sentences(n)))
    return path


def _config(
    args: argparse.Namespace, corpus: Path, tok_dir: Path, lam: float, steps: int, device: str
) -> Any:
    from bertology.train.config import config_from_dict

    return config_from_dict(
        {
            "model": {
                "layers": args.layers,
                "hidden": args.hidden,
                "heads": args.heads,
                "intermediate": 4 * args.hidden,
                "dropout": 0.1,
            },
            "tokenizer": {"path": str(tok_dir)},
            "data": {
                "train": [str(corpus)],
                "trees": [],
                "parser": "spacy",
            },
            "train": {
                "max_steps": steps,
                "batch_size": args.batch_size,
                "seq_len": args.seq_len,
                "lr": 1e-4,
                "warmup_steps": 2,
                "seed": 0,
            },
            "sas": {"lambda": lam},
            "checkpoint": {"every": 0, "initial": False},
            "eval": {"evaluators": []},
            "impl": {
                "cache_dir": str(CACHE / "pretrain-cache"),
                "print_every": 0,
                "device": device,
                "precision": args.precision,
                "compile": args.compile,
                "threads": args.threads,
            },
        }
    )


def _step_gaps(stamps: list[float], skip: int) -> list[float]:
    return [b - a for a, b in zip(stamps[skip:], stamps[skip + 1 :], strict=False)]


def run_ours(cfg: Any) -> tuple[list[float], list[dict]]:
    """Times between consecutive steps of bertology's loop, and its metrics rows."""
    from bertology.train import pretrain

    stamps, rows = [], []

    def on_step(step: int, row: dict) -> None:
        if cfg.impl.device.startswith("cuda"):
            torch.cuda.synchronize()
        stamps.append(time.perf_counter())
        rows.append(row)

    with tempfile.TemporaryDirectory() as d:
        pretrain(cfg, Path(d) / "run", on_step=on_step)
    return _step_gaps(stamps, 1), rows


def run_hf(cfg: Any, tokenizer: Any, rows: Any, device: str, bf16: bool) -> list[float]:
    """Times between consecutive steps of HF Trainer + DataCollatorForLanguageModeling."""
    from transformers import (
        DataCollatorForLanguageModeling,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    from bertology.train.setup import new_model

    model = new_model(cfg, tokenizer, attn="sdpa")  # the very model bertology's loop builds
    model.train()
    stamps: list[float] = []

    class Stamp(TrainerCallback):
        def on_step_end(self, *a: Any, **k: Any) -> None:
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            stamps.append(time.perf_counter())

    t = cfg.train
    with tempfile.TemporaryDirectory() as d:
        args = TrainingArguments(
            output_dir=d,
            per_device_train_batch_size=t.batch_size,
            max_steps=t.max_steps,
            learning_rate=t.lr,
            weight_decay=t.weight_decay,
            adam_epsilon=t.adam_eps,
            warmup_steps=t.warmup_steps,
            lr_scheduler_type="linear",
            max_grad_norm=t.clip,
            logging_steps=10**9,
            save_strategy="no",
            report_to=[],
            disable_tqdm=True,
            dataloader_num_workers=0,
            use_cpu=not device.startswith("cuda"),
            bf16=bf16,
            seed=0,
            torch_compile=cfg.impl.compile,
        )
        collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
        Trainer(
            model=model, args=args, train_dataset=rows, data_collator=collator, callbacks=[Stamp()]
        ).train()
    return _step_gaps(stamps, 1)


def _hf_rows(cfg: Any, tokenizer: Any) -> tuple[list[dict], float]:
    """The packed rows bertology trains on, as a list for the Trainer; mean tokens per row."""
    from bertology.train.corpus import iter_sentences
    from bertology.train.packed import DataSpec, build_or_load, tokenizer_fingerprint

    d = cfg.data
    spec = DataSpec(
        list(d.train),
        [],
        "text",
        cfg.train.seq_len,
        d.packing,
        None,
        tokenizer_fingerprint(tokenizer),
    )
    data = build_or_load(
        spec, iter_sentences(d.train, None), tokenizer, cfg.impl.cache_dir, "train"
    )
    n = min(len(data), 4096)
    rows = []
    for r in range(n):
        length = int(data.lengths[r])
        ids = torch.from_numpy(data.input_ids[r].astype("int64"))
        rows.append({"input_ids": ids, "attention_mask": (torch.arange(len(ids)) < length).long()})
    return rows, float(data.lengths[:n].mean())


def cpu_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    tok = bert_base_tokenizer()
    tok_dir = CACHE / "wordpiece-30522"
    corpus = _corpus(args.sentences)
    if args.threads:
        torch.set_num_threads(args.threads)
    steps = args.steps + 2
    base = _config(args, corpus, tok_dir, 0.0, steps, "cpu")
    hf_rows, tokens_per_row = _hf_rows(base, tok)
    sas = _config(args, corpus, tok_dir, args.lam, steps, "cpu")
    times: dict[str, list[float]] = {"hf": [], "ours": [], "ours_sas": []}
    for r in range(args.rounds):
        times["ours"] += run_ours(base)[0]
        times["ours_sas"] += run_ours(sas)[0]
        times["hf"] += run_hf(base, tok, hf_rows, "cpu", bf16=False)
        print(
            f"round {r + 1}/{args.rounds}: "
            + ", ".join(f"{k} {statistics.median(v):.3f} s/step" for k, v in times.items()),
            flush=True,
        )
    tokens_per_step = tokens_per_row * args.batch_size
    med = {k: statistics.median(v) for k, v in times.items()}
    tps = {k: tokens_per_step / v for k, v in med.items()}
    return {
        "device": "cpu",
        "threads": torch.get_num_threads(),
        "model": f"bert {args.layers}x{args.hidden}, {args.heads} heads, vocab {len(tok)}",
        "batch_size": args.batch_size,
        "seq_len": args.seq_len,
        "tokens_per_step": tokens_per_step,
        "median_step_s": med,
        "tokens_per_s": tps,
        "speedup_vs_hf_trainer": tps["ours"] / tps["hf"],
        "regularizer_overhead": med["ours_sas"] / med["ours"],
        "steps_timed": {k: len(v) for k, v in times.items()},
    }


def gpu_mfu(args: argparse.Namespace) -> dict[str, Any]:
    """MFU of a BERT-base-shaped model (12 x 768, vocab 30522) in bf16 on CUDA."""
    if not torch.cuda.is_available():
        raise SystemExit("--gpu-mfu needs CUDA")
    args.layers, args.hidden, args.heads = 12, 768, 12
    args.precision = "bf16"
    tok = bert_base_tokenizer()
    tok_dir = CACHE / "wordpiece-30522"
    corpus = _corpus(args.sentences)
    steps = args.steps + 5
    out: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0),
        "batch_size": args.batch_size,
        "seq_len": args.seq_len,
        "compile": args.compile,
    }
    for name, lam in (("ours", 0.0), ("ours_sas", args.lam)):
        gaps, rows = run_ours(_config(args, corpus, tok_dir, lam, steps, "cuda"))
        mfu = [r["mfu"] for r in rows[5:] if "mfu" in r]
        tps = [r["tokens_per_s"] for r in rows[5:]]
        out[name] = {
            "mfu_median": statistics.median(mfu) if mfu else None,
            "tokens_per_s_median": statistics.median(tps),
            "median_step_s": statistics.median(gaps[4:]),
        }
        print(name, out[name], flush=True)
    base = _config(args, corpus, tok_dir, 0.0, steps, "cuda")
    hf_rows, tokens_per_row = _hf_rows(base, tok)
    hf = run_hf(base, tok, hf_rows, "cuda", bf16=True)
    out["hf"] = {
        "tokens_per_s_median": tokens_per_row * args.batch_size / statistics.median(hf[4:])
    }
    out["speedup_vs_hf_trainer"] = (
        out["ours"]["tokens_per_s_median"] / out["hf"]["tokens_per_s_median"]
    )
    out["regularizer_overhead"] = out["ours_sas"]["median_step_s"] / out["ours"]["median_step_s"]
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=8, help="timed steps per variant and round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--lam", type=float, default=-0.1, help="lambda of the regularized variant")
    p.add_argument("--sentences", type=int, default=6000, help="Brown sentences to pack")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--precision", default="fp32")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--gpu-mfu", action="store_true", help="BERT-base shape, bf16, CUDA: report MFU")
    args = p.parse_args()
    if args.gpu_mfu:
        if args.batch_size == 16:
            args.batch_size = 128
        res = gpu_mfu(args)
    else:
        res = cpu_benchmark(args)
    print(json.dumps(res, indent=2))
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ("pretrain-gpu.json" if args.gpu_mfu else "pretrain.json")).write_text(
        json.dumps(res, indent=2)
    )
    if not args.gpu_mfu:
        print(
            "RATIO pretrain bertology vs HF Trainer: "
            f"{res['speedup_vs_hf_trainer']:.2f}x tokens/s (goal >= 1.5x); "
            f"regularizer overhead: {res['regularizer_overhead']:.2f}x (goal <= 1.6x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
