"""The embedded world: an offline synthetic language with gold syntax, facts and minimal pairs.

``generate_world(out_dir, WorldConfig(...))`` writes a corpus with a gold dependency tree for
every sentence, a knowledge base stated in the corpus through paraphrase templates (with one
held-out probe template per relation), and BLiMP-style minimal pairs. A tiny masked LM trained
on it for minutes on a CPU can learn both its syntax and its facts, and the ground truth of both
is known exactly. CLI: ``bertology world --out DIR``.
"""

from bertology.world.config import WorldConfig, load_world_config
from bertology.world.generate import generate_world

__all__ = ["WorldConfig", "generate_world", "load_world_config"]
