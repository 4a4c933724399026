"""Benchmark: cost of LAMP mask training vs full fine-tuning, memory, and 16 relations at once.

Model: random BERT-base shape (12 layers, hidden 768, WordPiece vocab 30,522 trained on Brown),
masks on layers 6-11 (36 matrices, 42.5M scores). Batch: 32 LAMA-length prompts (Brown
sentences of 6-14 words, one word masked). CPU.

- **step ratio**: time of one mask-training step (sample masks, forward, backward to the
  scores, Adam on the scores) / time of one full fine-tuning step (forward, backward, AdamW
  on all 110M weights) with the same model, batch and loss (NLL of the gold word at the mask).
  Goal: <= 1.3.
- **memory per relation**: growth of the process's peak resident set (``ru_maxrss``) over
  the loaded model while one relation trains (scores, Adam state, gradients, activations).
- **16 relations in one process**: ``train_relation_masks`` on 16 relations of 64 facts, one
  epoch each, one loaded model; time per step and the peak RSS after all 16.

    python bench/prune.py [--steps 5] [--relations 16]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bert_base_model, bert_base_tokenizer, timed_steps  # noqa: E402
from probe import lama_prompts  # noqa: E402

from bertology.data.facts import Fact  # noqa: E402
from bertology.models.heads import logits_at, mask_positions  # noqa: E402
from bertology.probe.scoring import encode_prompts  # noqa: E402
from bertology.prune.apply import frozen, masked  # noqa: E402
from bertology.prune.config import PruneConfig, PruneImpl  # noqa: E402
from bertology.prune.masks import init_scores  # noqa: E402
from bertology.prune.targets import find_targets  # noqa: E402
from bertology.prune.train import mask_training_step, train_relation_masks  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def time_mask_steps(model, targets, cfg, batch, gold, mask_id: int, n: int) -> list[float]:
    """Seconds per mask-training step of one relation (scores and Adam state freed after)."""
    gen = torch.Generator().manual_seed(0)
    with frozen(model), masked(model, targets) as mm:
        scores = init_scores(targets, cfg.mask_config(), gen)
        opt = torch.optim.Adam(scores, lr=cfg.lr)
        times = timed_steps(
            lambda: mask_training_step(model, mm, scores, opt, batch, gold, mask_id, cfg, gen), n
        )
        mm.set(None)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3, help="timed steps per measurement")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved mask / fine-tuning rounds")
    ap.add_argument("--relations", type=int, default=16)
    ap.add_argument("--facts-per-relation", type=int, default=32, help="32 = one step per relation")
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()

    torch.manual_seed(0)
    tok = bert_base_tokenizer()
    model = bert_base_model(tok, attn="sdpa").eval()
    n_rel, n_per = args.relations, args.facts_per_relation
    facts = lama_prompts(n_rel * n_per + args.batch_size, tok)
    batch_facts = facts[: args.batch_size]
    lengths = [len(tok(f.prompts[0])["input_ids"]) for f in batch_facts]
    cfg = PruneConfig(layers="6-11", batch_size=args.batch_size, split_ratios=(1.0, 0.0, 0.0))
    targets = find_targets(model, cfg.layers)
    n_scores = sum(t.shape[0] * t.shape[1] for t in targets)
    print(
        f"model: random BERT-base shape (12x768), vocab {len(tok)}; masks on layers 6-11: "
        f"{len(targets)} matrices, {n_scores / 1e6:.1f}M scores; batch {args.batch_size} prompts of "
        f"{min(lengths)}-{max(lengths)} tokens (mean {statistics.mean(lengths):.1f}); "
        f"torch threads {torch.get_num_threads()}"
    )
    mask_id = tok.mask_token_id
    batch = encode_prompts(
        tok,
        [f.prompts[0].replace("[MASK]", tok.mask_token) for f in batch_facts],
        torch.device("cpu"),
    )
    gold = torch.tensor([tok.convert_tokens_to_ids(f.object) for f in batch_facts])
    base_peak, base_rss = peak_rss_mb(), current_rss_mb()

    # 1. one relation's mask-training step (the loop's own step function)
    mask_times = time_mask_steps(model, targets, cfg, batch, gold, mask_id, args.steps)
    one_rel_peak = peak_rss_mb()
    print(
        f"peak memory, one relation: +{one_rel_peak - base_peak:.0f} MiB over the loaded model "
        f"(ru_maxrss {one_rel_peak:.0f} MiB; model loaded: RSS {base_rss:.0f} MiB)"
    )

    # 2. 16 relations trained one after another in one process (library entry point)
    rel_facts = [
        Fact(f.subject, f"R{i // n_per:02d}", f.object, f.prompts)
        for i, f in enumerate(facts[args.batch_size : args.batch_size + n_rel * n_per])
    ]
    t0 = time.perf_counter()
    out = train_relation_masks(
        model,
        tok,
        rel_facts,
        PruneConfig(**{**cfg.__dict__, "epochs": 1}),
        impl=PruneImpl(progress=False),
    )
    wall = time.perf_counter() - t0
    steps = sum(r.steps for r in out.relations.values())
    train_s = sum(r.seconds for r in out.relations.values())
    multi_peak = peak_rss_mb()
    print(
        f"{n_rel} relations in one process: {steps} steps, {train_s / steps:.3f}s per step "
        f"(training loop incl. per-epoch bookkeeping; {wall:.1f}s wall incl. data preparation); "
        f"peak RSS {multi_peak:.0f} MiB (+{multi_peak - base_peak:.0f} MiB over the model, "
        f"vs +{one_rel_peak - base_peak:.0f} for one relation)"
    )
    del out

    # 3. full fine-tuning step: forward, backward, AdamW on all weights (same batch and loss),
    # interleaved with more mask-training steps, round by round, so that other load on a
    # shared machine falls on both alike
    ft_opt = None
    rows, cols = mask_positions(batch["input_ids"], mask_id)

    def ft_step() -> None:
        loss = F.cross_entropy(logits_at(model, batch, rows, cols).float(), gold)
        ft_opt.zero_grad(set_to_none=True)
        loss.backward()
        ft_opt.step()

    ft_times: list[float] = []
    for r in range(args.rounds):
        if r:
            mask_times += time_mask_steps(model, targets, cfg, batch, gold, mask_id, args.steps)
        for p in model.parameters():
            p.requires_grad_(True)
        if ft_opt is None:
            ft_opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
        ft_times += timed_steps(ft_step, args.steps, warmup=2 if r == 0 else 1)
    t_mask, t_ft = statistics.median(mask_times), statistics.median(ft_times)
    print(
        f"mask-training step:      median {t_mask:.3f}s over {args.rounds} rounds  "
        f"(steps: {', '.join(f'{t:.2f}' for t in mask_times)})"
    )
    print(
        f"full fine-tuning step:   median {t_ft:.3f}s  (steps: {', '.join(f'{t:.2f}' for t in ft_times)})"
    )
    print(f"RATIO mask step / fine-tuning step = {t_mask / t_ft:.2f}x (goal <= 1.3x)")
    print(f"RATIO 16-relation loop step / fine-tuning step = {train_s / steps / t_ft:.2f}x")


if __name__ == "__main__":
    main()
