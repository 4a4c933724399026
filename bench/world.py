"""Benchmark: how fast ``bertology world`` generates a world, against the 30 s budget for 1M tokens.

Baseline: the issue's budget, 1M training tokens in 30 s. Timed: the whole ``generate_world``
call (grammar, trees, facts, held-out trees, minimal pairs, all files written), pure Python,
one core. The world is written to a temporary directory and removed afterwards.

    python bench/world.py [--tokens 1000000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bertology.world import WorldConfig, generate_world

BUDGET_S = 30.0  # for 1M tokens


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1, help="runs; the best time is reported")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    best, stats = float("inf"), None
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            stats = generate_world(
                Path(tmp) / "world", WorldConfig(seed=args.seed, tokens=args.tokens)
            )
            best = min(best, time.perf_counter() - t0)
    assert stats is not None
    train, valid = stats["corpus"]["train"], stats["corpus"]["valid"]
    tokens = train["tokens"] + valid["tokens"]
    per_million = best * 1_000_000 / train["tokens"]
    print(
        f"world: {train['tokens']:,} train + {valid['tokens']:,} valid tokens, "
        f"{train['sentences'] + valid['sentences']:,} sentences with trees, "
        f"{stats['knowledge']['facts']:,} facts, {sum(stats['minimal_pairs'].values()):,} pairs"
    )
    print(f"time: {best:.2f} s ({tokens / best:,.0f} tokens/s)")
    print(
        f"RATIO world 1M tokens in {per_million:.2f} s; budget {BUDGET_S:.0f} s; "
        f"ratio budget/time {BUDGET_S / per_million:.2f}x (goal >= 1x)"
    )


if __name__ == "__main__":
    main()
