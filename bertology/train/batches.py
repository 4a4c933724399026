"""The order of training rows: which rows make up each step's global batch."""

from __future__ import annotations

import numpy as np

from bertology.errors import InputError


class BatchOrder:
    """Which rows make up the global batch of each step: a pure function of ``(seed, step)``.

    Rows are visited in a fresh random permutation each epoch; step ``s`` takes items
    ``[s * B, (s + 1) * B)`` of the endless sequence of epochs. Resuming needs only the step.
    """

    def __init__(self, n_rows: int, batch_size: int, seed: int):
        if n_rows <= 0:
            raise InputError("the training data packed into no rows")
        self.n, self.b, self.seed = n_rows, batch_size, seed
        self._perms: dict[int, np.ndarray] = {}

    def _perm(self, epoch: int) -> np.ndarray:
        if epoch not in self._perms:
            if len(self._perms) > 2:
                self._perms.pop(min(self._perms))
            self._perms[epoch] = np.random.default_rng([self.seed, epoch]).permutation(self.n)
        return self._perms[epoch]

    def rows(self, step: int) -> np.ndarray:
        """``(B,)`` row indices of the global batch of ``step``."""
        items = np.arange(step * self.b, (step + 1) * self.b, dtype=np.int64)
        epochs, pos = items // self.n, items % self.n
        return np.array(
            [self._perm(int(e))[p] for e, p in zip(epochs, pos, strict=True)], dtype=np.int64
        )

    def epoch(self, step: int) -> float:
        return step * self.b / self.n
