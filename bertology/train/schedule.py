"""Learning-rate schedule and checkpoint schedule: pure functions of the step.

The lr is a function of the step alone (no scheduler object with hidden state), so resuming
needs only the step number, and the value logged is exactly the value used.
"""

from __future__ import annotations

import math

from bertology.train.config import CheckpointConfig, TrainConfig


def lr_at(step: int, cfg: TrainConfig) -> float:
    """The learning rate of the update made at ``step`` (0-based: the first update is step 0).

    Linear warmup over ``warmup_steps`` from ``lr / warmup_steps`` to ``lr``, then linear or
    cosine decay to ``min_lr_ratio * lr`` at ``max_steps`` (or constant).
    """
    if cfg.warmup_steps > 0 and step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    if cfg.schedule == "constant":
        return cfg.lr
    span = max(1, cfg.max_steps - cfg.warmup_steps)
    progress = min(1.0, max(0.0, (step - cfg.warmup_steps) / span))
    if cfg.schedule == "linear":
        frac = 1.0 - progress
    else:  # cosine
        frac = 0.5 * (1.0 + math.cos(math.pi * progress))
    return cfg.lr * (cfg.min_lr_ratio + (1.0 - cfg.min_lr_ratio) * frac)


def checkpoint_steps(cfg: CheckpointConfig, max_steps: int) -> list[int]:
    """Sorted steps (number of updates done) at which to checkpoint.

    - step 0 (``initial``), the random initialisation;
    - every ``every`` steps up to ``dense_until`` (the whole run when it is null);
    - after ``dense_until``: the multiples of ``then_every`` (so ``then_every: 500`` gives
      500, 1000, ... whatever ``dense_until`` is), or ``log_per_decade`` log-spaced steps per
      factor of ten (1, 2, 3, 6, 10, 18, ... for 4 per decade);
    - the explicit ``steps`` that fall within the run;
    - the final step.
    """
    out: set[int] = {max_steps}
    if cfg.initial:
        out.add(0)
    dense_end = max_steps if cfg.dense_until is None else min(cfg.dense_until, max_steps)
    if cfg.every > 0:
        out.update(range(cfg.every, dense_end + 1, cfg.every))
    if dense_end < max_steps:
        if cfg.then_every:
            first = (dense_end // cfg.then_every + 1) * cfg.then_every
            out.update(range(first, max_steps + 1, cfg.then_every))
        elif cfg.log_per_decade > 0:
            k = 0
            while True:
                s = round(10 ** (k / cfg.log_per_decade))
                if s > max_steps:
                    break
                if s > dense_end:
                    out.add(s)
                k += 1
    out.update(s for s in cfg.steps if 0 <= s <= max_steps)
    return sorted(out)
