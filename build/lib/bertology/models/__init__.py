"""Loading and building masked language models.

- :func:`load_mlm` loads any ``AutoModelForMaskedLM`` by hub name or local path.
- :func:`build_mlm` builds a small randomly initialised MLM from a :class:`SmallMLMConfig`.
- :func:`train_wordpiece_tokenizer` / :func:`train_bpe_tokenizer` train BERT- and
  RoBERTa-style tokenizers with ``tokenizers`` (for tests and pre-training from scratch).
"""

from bertology.models.build import SUPPORTED_ARCHS, SmallMLMConfig, build_mlm
from bertology.models.load import (
    load_encoder,
    load_mlm,
    mask_token,
    mask_token_id,
    resolve_device,
    resolve_dtype,
)
from bertology.models.tokenizers import train_bpe_tokenizer, train_wordpiece_tokenizer

__all__ = [
    "SUPPORTED_ARCHS",
    "SmallMLMConfig",
    "build_mlm",
    "load_encoder",
    "load_mlm",
    "mask_token",
    "mask_token_id",
    "resolve_device",
    "resolve_dtype",
    "train_bpe_tokenizer",
    "train_wordpiece_tokenizer",
]
