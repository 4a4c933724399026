"""Benchmark: facts/s of bertology's probing vs the LAMA-style baseline.

Baseline: ``transformers.pipeline("fill-mask")`` called once per prompt, as LAMA-style code
does. Same model (random BERT-base shape: 12 layers, hidden 768), same 1,000 prompts, CPU.
Both sides produce the top-10 predictions of every prompt; the benchmark checks they agree.
The two run interleaved, a chunk of prompts each in turn, so that other load on a shared
machine falls on both alike; wall-time and process-CPU-time ratios are printed.

    python bench/probe.py [--n 1000] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    bert_base_model,
    bert_base_tokenizer,
    brown_sentences,
    encoder_matrix_params,
    gemm_gflops,
)

from bertology.data.facts import MASK, Fact  # noqa: E402
from bertology.probe.run import evaluate_facts  # noqa: E402


def lama_prompts(n: int, tokenizer, seed: int = 0) -> list[Fact]:
    """LAMA-length prompts (6-14 words) from Brown, one alphabetic word masked in each."""
    rng = random.Random(seed)
    facts = []
    for sent in brown_sentences(min_words=6, max_words=14, seed=seed):
        words = sent.lower().split()
        cands = [i for i, w in enumerate(words) if w.isalpha() and len(tokenizer.tokenize(w)) == 1]
        if not cands:
            continue
        i = rng.choice(cands)
        prompt = " ".join([*words[:i], MASK, *words[i + 1 :]])
        facts.append(Fact(f"s{len(facts)}", "brown", words[i], (prompt,)))
        if len(facts) == n:
            break
    return facts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument(
        "--baseline-n", type=int, default=None, help="prompts timed for the baseline (default: all)"
    )
    ap.add_argument("--chunk", type=int, default=250, help="prompts per interleaved round")
    args = ap.parse_args()
    from transformers import pipeline

    torch.manual_seed(0)
    tok = bert_base_tokenizer()
    model = bert_base_model(tok, attn="sdpa").eval()
    facts = lama_prompts(args.n, tok)
    print(
        f"model: random BERT-base shape (12x768), vocab {len(tok)}; {len(facts)} prompts; "
        f"torch threads {torch.get_num_threads()}"
    )

    fill = pipeline("fill-mask", model=model, tokenizer=tok, top_k=10, device="cpu")
    nb = args.baseline_n or len(facts)
    # warm-up both paths (allocator, kernels)
    evaluate_facts(model, tok, facts[:8], batch_size=args.batch_size)
    fill(facts[0].prompts[0].replace(MASK, tok.mask_token))
    # Interleave the two in chunks, so that other load on a shared machine falls on both alike.
    t_ours = t_base = c_ours = c_base = 0.0
    scores, ref = [], []
    for start in range(0, len(facts), args.chunk):
        chunk = facts[start : start + args.chunk]
        t0, c0 = time.perf_counter(), time.process_time()
        scores += evaluate_facts(model, tok, chunk, batch_size=args.batch_size).scores
        t_ours += time.perf_counter() - t0
        c_ours += time.process_time() - c0
        base = [f.prompts[0].replace(MASK, tok.mask_token) for f in chunk[: max(0, nb - start)]]
        t0, c0 = time.perf_counter(), time.process_time()
        ref += [fill(p) for p in base]
        t_base += time.perf_counter() - t0
        c_base += time.process_time() - c0
    agree = sum(s.top_ids == [r["token"] for r in rr] for s, rr in zip(scores, ref, strict=False))
    ours_fps = len(facts) / t_ours
    base_fps = nb / t_base
    print(f"bertology probe : {ours_fps:8.1f} facts/s ({t_ours:.2f} s for {len(facts)})")
    print(f"fill-mask/prompt: {base_fps:8.1f} facts/s ({t_base:.2f} s for {nb})")
    print(f"top-10 agreement: {agree}/{nb}")
    # Roofline: the work each side does (2 FLOPs per MAC; encoder matrices at every real
    # token, the MLM head only at the mask for us, at every token for the pipeline)
    n_tok = [len(tok(f.prompts[0])["input_ids"]) for f in facts]
    body = encoder_matrix_params(model)
    head = model.config.vocab_size * model.config.hidden_size
    flops_ours = 2 * (body * sum(n_tok) + head * len(facts))
    flops_base = 2 * (body + head) * sum(n_tok[:nb])
    peak = gemm_gflops()
    print(
        f"achieved: bertology {flops_ours / t_ours / 1e9:.0f} GFLOP/s, fill-mask "
        f"{flops_base / t_base / 1e9:.0f} GFLOP/s; large fp32 GEMM on this machine {peak:.0f} "
        f"GFLOP/s -> ratio ceiling here ~{peak / (flops_base / t_base / 1e9) * (flops_base / nb) / (flops_ours / len(facts)):.1f}x"
    )
    print(
        f"roofline: bertology {flops_ours / t_ours / 1e9 / peak:.0%} of the large fp32 GEMM "
        f"(same run; goal >= 80%), fill-mask {flops_base / t_base / 1e9 / peak:.0%}"
    )
    cpu_ratio = (c_base / nb) / (c_ours / len(facts))
    print(f"CPU time: bertology {c_ours:.1f} s, fill-mask {c_base:.1f} s")
    print(
        f"RATIO probe facts/s vs fill-mask pipeline per prompt: {ours_fps / base_fps:.2f}x wall, "
        f"{cpu_ratio:.2f}x CPU time (goal >= 10x)"
    )


if __name__ == "__main__":
    main()
