"""``bertology demo``'s settings (kept apart from :mod:`bertology.demo`, which imports the
whole library: the CLI builds its flags from this class at start-up)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DemoImpl:
    """Speed only: where every stage runs."""

    device: str = "auto"


@dataclass
class DemoConfig:
    """Sizes of the demo. The defaults take 15-20 minutes on a 2-core CPU.

    ``fact_fraction`` is the share of corpus sentences that state a fact. At the world's
    default (0.2) world-tiny learns syntax but, within a few thousand steps, no facts: its
    predictions ignore the subject. At 0.6 it starts using the subject after ~2000 steps
    (held-out-template probe P@1 0.33 after 4000 steps on a 2M-token world; 0.08 after
    3000 steps on a 1M-token world), so the demo's probe and prune stages have knowledge
    to find.
    """

    tokens: int = 2_000_000
    steps: int = 4000
    seed: int = 0
    fact_fraction: float = 0.6
    prune_relations: int = 4
    prune_epochs: int = 20
    skip_prune: bool = False
    impl: DemoImpl = field(default_factory=DemoImpl)
