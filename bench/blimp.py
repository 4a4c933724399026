"""Benchmark: BLiMP pairs/s of bertology's PLL scoring vs minicons' ``MaskedLMScorer``.

Same model (random BERT-base shape: 12 layers, hidden 768, vocab 30522, CPU), same BLiMP
pairs (the first pairs of every paradigm of ``../shared/data/blimp``, or ``--data``), same
metric (``word_l2r`` = minicons' ``within_word_l2r``) and the same reduction (the sum).
minicons is batched as its README does it: ``sequence_score`` on a list of sentences per call
(``--minicons-batch`` sentences). The two sides run interleaved, a chunk of pairs each in
turn, so that other load on the machine falls on both alike; the scores are checked equal.

It also prints:

- the fraction of the same-run fp32 GEMM roofline that each side reaches (FLOPs: the encoder
  matrices at every real token of every masked copy, plus the MLM head where it runs: at the
  predicted position for bertology, at every position for minicons);
- the peak memory of both at 100 and at 1,000 sentences, each in a fresh process (the RSS
  high-water mark during the scoring, reset after loading the model, minus the RSS then): bertology with all sentences in one call, minicons
  batched as above and in one call (capped by ``--memory-cap-gb``).

    python bench/blimp.py [--pairs 200] [--chunk 50] [--minicons-batch 20] [--no-memory]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bert_base_model, bert_base_tokenizer, encoder_matrix_params, gemm_gflops  # noqa: E402

from bertology.evals.blimp import read_pairs, score_pairs  # noqa: E402
from bertology.evals.pll import PLLStats  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "blimp"


def blimp_pairs(data: Path, n: int) -> list:
    """``n`` pairs taken round-robin over the paradigms (the first pairs of each)."""
    if not data.is_dir():
        sys.exit(f"no BLiMP directory at {data} (give --data)")
    per = -(-n // len(list(data.glob("*.jsonl"))))
    pairs = read_pairs(data, limit=per)
    by_uid: dict[str, list] = {}
    for p in pairs:
        by_uid.setdefault(p.uid, []).append(p)
    out = [p for k in range(per) for ps in by_uid.values() if k < len(ps) for p in [ps[k]]]
    return out[:n]


def minicons_scorer(model, tok):
    from minicons import scorer

    if not hasattr(tok, "batch_encode_plus"):  # removed in transformers 5; minicons calls it
        tok.batch_encode_plus = lambda texts, **kw: tok(texts, **kw)
    return scorer.MaskedLMScorer(model, device="cpu", tokenizer=tok, PLL_metric="within_word_l2r")


def minicons_scores(s, sentences: list[str], batch: int) -> list[float]:
    out: list[float] = []
    for i in range(0, len(sentences), batch):
        out += s.sequence_score(
            sentences[i : i + batch],
            reduction=lambda x: x.sum(0).item(),
            PLL_metric="within_word_l2r",
        )
    return out


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    """Reset this process's peak RSS (VmHWM) to its current RSS (Linux: clear_refs 5), so
    that the peak measured next is that of the scoring alone, not of building the model."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def memory_child(side: str, n: int, data: Path, batch: int) -> None:
    """In a fresh process: load, score ``n`` sentences, print the peak RSS above the model."""
    torch.manual_seed(0)
    tok = bert_base_tokenizer()
    model = bert_base_model(tok, attn="sdpa").eval()
    sentences = [s for p in blimp_pairs(data, n // 2) for s in (p.good, p.bad)]
    _reset_peak()
    base = _status_kb("VmRSS")
    try:
        if side == "bertology":
            from bertology.evals.pll import pll

            pll(model, tok, sentences, "word_l2r")
        else:
            minicons_scores(minicons_scorer(model, tok), sentences, batch)
        print(json.dumps({"peak_mb": (_status_kb("VmHWM") - base) / 1024}))
    except (RuntimeError, MemoryError) as e:
        print(json.dumps({"error": f"{type(e).__name__}: {str(e)[:80]}"}))


def memory_table(data: Path, batch: int, cap_gb: float) -> None:
    def child(side: str, n: int, b: int) -> str:
        def limit() -> None:
            cap = int(cap_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

        p = subprocess.run(
            [sys.executable, __file__, "--memory-child", side, str(n), "--data", str(data),
             "--minicons-batch", str(b)],
            capture_output=True, text=True, preexec_fn=limit,
        )  # fmt: skip
        lines = [x for x in p.stdout.splitlines() if x.startswith("{")]
        if not lines:
            return f"failed (exit {p.returncode}{', over the cap' if p.returncode < 0 else ''})"
        r = json.loads(lines[-1])
        return (
            f"{r['peak_mb']:.0f} MB" if "peak_mb" in r else f"over {cap_gb:.0f} GB ({r['error']})"
        )

    print("peak memory above the loaded model (fresh process each):")
    for n in (100, 1000):
        ours = child("bertology", n, batch)
        theirs = child("minicons", n, batch)
        one = child("minicons", n, n)
        print(
            f"  {n:5d} sentences: bertology (one call) {ours}; minicons ({batch}/call) {theirs}; minicons (one call) {one}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--chunk", type=int, default=50, help="pairs per interleaved round")
    ap.add_argument("--minicons-batch", type=int, default=20, help="sentences per minicons call")
    ap.add_argument("--token-budget", type=int, default=2048)
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--memory-only", action="store_true")
    ap.add_argument("--memory-cap-gb", type=float, default=12.0)
    ap.add_argument("--memory-child", nargs=2, metavar=("SIDE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        memory_child(
            args.memory_child[0], int(args.memory_child[1]), args.data, args.minicons_batch
        )
        return
    if args.memory_only:
        memory_table(args.data, args.minicons_batch, args.memory_cap_gb)
        return
    torch.manual_seed(0)
    tok = bert_base_tokenizer()
    model = bert_base_model(tok, attn="sdpa").eval()
    pairs = blimp_pairs(args.data, args.pairs)
    print(
        f"model: random BERT-base shape (12x768), vocab {len(tok)}; {len(pairs)} BLiMP pairs from "
        f"{len({p.uid for p in pairs})} paradigms; word_l2r, sum; torch threads {torch.get_num_threads()}"
    )
    peak = gemm_gflops()
    mc = minicons_scorer(model, tok)
    score_pairs(model, tok, pairs[:2], "word_l2r")  # warm-up both paths
    minicons_scores(mc, [pairs[0].good], args.minicons_batch)
    t_ours = t_theirs = 0.0
    ours, theirs = [], []
    stats = PLLStats()
    for start in range(0, len(pairs), args.chunk):
        chunk = pairs[start : start + args.chunk]
        t0 = time.perf_counter()
        ours += score_pairs(model, tok, chunk, "word_l2r", args.token_budget, stats=stats)
        t_ours += time.perf_counter() - t0
        t0 = time.perf_counter()
        theirs += minicons_scores(
            mc, [s for p in chunk for s in (p.good, p.bad)], args.minicons_batch
        )
        t_theirs += time.perf_counter() - t0
    mine = [x for s in ours for x in (s.good.total, s.bad.total)]
    diff = max(abs(a - b) for a, b in zip(mine, theirs, strict=True))
    same = sum(
        (mine[2 * i] > mine[2 * i + 1]) == (theirs[2 * i] > theirs[2 * i + 1])
        for i in range(len(ours))
    )
    n = len(pairs)
    print(f"bertology blimp : {n / t_ours:7.2f} pairs/s ({t_ours:.1f} s)")
    print(
        f"minicons        : {n / t_theirs:7.2f} pairs/s ({t_theirs:.1f} s, {args.minicons_batch} sentences/call)"
    )
    print(f"equal scores: max |PLL difference| {diff:.2e}; same decision on {same}/{n} pairs")
    body = encoder_matrix_params(model)
    head = model.config.vocab_size * model.config.hidden_size
    # both sides run every masked copy through the encoder at its real tokens; the head runs
    # at one position per copy for us, at every (padded) position for minicons
    flops_ours = 2 * (body * stats.real_tokens + head * stats.copies)
    flops_theirs = 2 * (body + head) * stats.real_tokens
    for name, f, t in (("bertology", flops_ours, t_ours), ("minicons", flops_theirs, t_theirs)):
        print(
            f"roofline: {name} {f / t / 1e9:.0f} GFLOP/s = {f / t / 1e9 / peak:.0%} of the large fp32 GEMM ({peak:.0f} GFLOP/s, same run)"
        )
    print(
        f"RATIO blimp pairs/s vs minicons MaskedLMScorer: {t_theirs / t_ours:.2f}x (goal >= 1.3x)"
    )
    if not args.no_memory:
        memory_table(args.data, args.minicons_batch, args.memory_cap_gb)


if __name__ == "__main__":
    main()
