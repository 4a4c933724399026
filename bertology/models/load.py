"""Load any masked LM by hub name or local path, refusing checkpoints without an MLM head."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open

from bertology.errors import InputError
from bertology.io import read_json

# Parameter-name prefixes of the MLM heads of the architectures transformers ships.
_HEAD_PREFIXES = (
    "cls.predictions",  # BERT, ALBERT-style names in some ports
    "lm_head",  # RoBERTa, XLM-R, Camembert, ...
    "vocab_transform",  # DistilBERT
    "vocab_layer_norm",
    "vocab_projector",
    "predictions",  # ALBERT, ELECTRA generator
    "generator_predictions",
    "generator_lm_head",
)

_DTYPES = {
    "fp32": torch.float32,
    "float32": torch.float32,
    "bf16": torch.bfloat16,
    "bfloat16": torch.bfloat16,
    "fp16": torch.float16,
    "float16": torch.float16,
}


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """``"auto"`` -> CUDA if available, else CPU; anything else is passed to ``torch.device``.

    An unknown name, or CUDA on a machine without it, is an input error here rather than a
    torch traceback later."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise InputError(f"unknown device {str(device)!r}; use auto, cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {str(device)!r}: no CUDA device here; use --device cpu")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise InputError(f"device {str(device)!r}: only {torch.cuda.device_count()} CUDA devices")
    return dev


def resolve_dtype(dtype: str | torch.dtype | None) -> torch.dtype:
    """Accept ``None`` (fp32), a torch dtype, or a name such as ``"bf16"``."""
    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    try:
        return _DTYPES[str(dtype).lower()]
    except KeyError:
        raise InputError(f"unknown dtype {dtype!r}; known: {', '.join(_DTYPES)}") from None


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """No progress bars or info logs from transformers inside the block (loading, saving)."""
    from transformers.utils import (
        logging as hf_logging,  # transformers: slow to import, only on this path
    )

    old = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # the "Loading weights" bar, per load
    try:
        yield
    finally:
        hf_logging.set_verbosity(old)
        if bars:
            hf_logging.enable_progress_bar()


WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"


def check_model_dir(src: str | Path) -> None:
    """A local model directory is checked file by file before transformers reads it, so a
    missing, truncated or unreadable file is an error naming that file (a hub name is left to
    transformers)."""
    d = Path(src)
    if not d.exists():
        return
    if not d.is_dir():
        raise InputError("expected a model directory, got a file", d)
    cfg = d / "config.json"
    if not cfg.exists():
        raise InputError("not a Hugging Face model directory (no config.json)", d)
    config = read_json(cfg)
    if not isinstance(config, dict):
        raise InputError(f"expected a JSON object, got {type(config).__name__}", cfg)
    from transformers import CONFIG_MAPPING  # transformers: slow to import, only on this path

    kind = config.get("model_type")
    if kind not in CONFIG_MAPPING:
        raise InputError(f"model_type {kind!r} is not an architecture this transformers knows", cfg)
    weights = [d / w for w in WEIGHT_FILES if (d / w).exists()]
    if not weights:
        raise InputError(f"no model weights (expected one of {', '.join(WEIGHT_FILES)})", d)
    if weights[0].name == "model.safetensors":
        try:
            with safe_open(str(weights[0]), framework="pt"):
                pass  # opening checks the header against the file's length (truncation)
        except Exception as e:  # noqa: BLE001 - safetensors raises several types
            raise InputError(
                f"unreadable safetensors file, truncated or corrupted ({e})", weights[0]
            ) from None
    if not (d / "tokenizer.json").exists():
        raise InputError(
            "no tokenizer.json: bertology needs a fast tokenizer saved with the model", d
        )
    read_json(d / "tokenizer.json")
    if (d / "tokenizer_config.json").exists():
        read_json(d / "tokenizer_config.json")


def load_mlm(
    name_or_path: str | Path,
    device: str | torch.device | None = "auto",
    dtype: str | torch.dtype | None = None,
    attn: str = "eager",
) -> tuple[Any, Any]:
    """Load ``(model, tokenizer)`` for any ``AutoModelForMaskedLM`` checkpoint.

    ``attn="eager"`` is the path that returns attention probabilities (needed by UAS and the
    syntactic regularizer); ``"sdpa"`` is faster and gives the same logits. The model is put in
    eval mode on ``device``. A checkpoint whose MLM head weights are missing (a bare encoder
    such as a sentence-transformers model) is refused: its predictions would come from a
    randomly initialised head.
    """
    from transformers import (  # transformers: slow to import, only on this path
        AutoModelForMaskedLM,
        AutoTokenizer,
    )

    if attn not in ("eager", "sdpa"):
        raise InputError(f"unknown attention implementation {attn!r}; known: eager, sdpa")
    torch_dtype = resolve_dtype(dtype)
    dev = resolve_device(device)
    src = str(name_or_path)
    check_model_dir(src)
    try:
        with quiet_transformers():
            model, info = AutoModelForMaskedLM.from_pretrained(
                src, dtype=torch_dtype, attn_implementation=attn, output_loading_info=True
            )
            tokenizer = AutoTokenizer.from_pretrained(src)
    except Exception as e:  # noqa: BLE001 - transformers, tokenizers, safetensors raise many types
        raise InputError(f"cannot load a masked LM from {src!r}: {_first_line(e)}") from None
    missing_head = sorted(k for k in info.get("missing_keys", []) if k.startswith(_HEAD_PREFIXES))
    if missing_head:
        raise InputError(
            f"{src} has no masked-LM head (missing {', '.join(missing_head[:3])}"
            f"{', ...' if len(missing_head) > 3 else ''}); it is an encoder only and cannot fill "
            "masks. Use it for attention/UAS analysis (bertology uas), or give a checkpoint "
            "saved from *ForMaskedLM."
        )
    if not getattr(tokenizer, "is_fast", False):
        raise InputError(f"{src}: bertology needs a fast tokenizer (tokenizer.json)")
    mask_token(tokenizer, source=src)
    model.to(dev)
    model.eval()
    return model, tokenizer


def max_tokens(model: Any) -> int | None:
    """How many tokens (special ones included) one sequence may have: the position table's
    size, less RoBERTa-style models' offset (their positions start after the padding index,
    so 514 positions hold 512 tokens). ``None`` when the model has no such limit."""
    cfg = model.config
    n = getattr(cfg, "max_position_embeddings", None)
    if n is None:
        return None
    if getattr(cfg, "model_type", "") in ("roberta", "xlm-roberta", "camembert"):
        n -= int(getattr(cfg, "pad_token_id", 1) or 0) + 1
    return int(n)


def mask_token(tokenizer: Any, source: str | None = None) -> str:
    """The tokenizer's mask token (``[MASK]`` for BERT, ``<mask>`` for RoBERTa, ...)."""
    tok = getattr(tokenizer, "mask_token", None)
    if not tok:
        where = f"{source}: " if source else ""
        raise InputError(f"{where}the tokenizer has no mask token; it is not a masked-LM tokenizer")
    return str(tok)


def mask_token_id(tokenizer: Any) -> int:
    """The id of the tokenizer's mask token."""
    mask_token(tokenizer)
    return int(tokenizer.mask_token_id)


def load_encoder(
    name_or_path: str | Path,
    device: str | torch.device | None = "auto",
    dtype: str | torch.dtype | None = None,
) -> tuple[Any, Any]:
    """Load ``(model, tokenizer)`` for attention analysis: any ``AutoModel`` on the eager path.

    Unlike :func:`load_mlm` this accepts encoders without an MLM head (UAS needs only
    attention). A masked-LM checkpoint loads as its ``*ForMaskedLM`` class, so the same
    weights are analysed that probing uses.
    """
    from transformers import (  # transformers: slow to import, only on this path
        AutoConfig,
        AutoModel,
        AutoModelForMaskedLM,
        AutoTokenizer,
    )

    src = str(name_or_path)
    check_model_dir(src)
    try:
        with quiet_transformers():
            config = AutoConfig.from_pretrained(src)
            archs = getattr(config, "architectures", None) or []
            cls = AutoModelForMaskedLM if any("MaskedLM" in a for a in archs) else AutoModel
            model = cls.from_pretrained(
                src, dtype=resolve_dtype(dtype), attn_implementation="eager"
            )
            tokenizer = AutoTokenizer.from_pretrained(src)
    except Exception as e:  # noqa: BLE001 - transformers, tokenizers, safetensors raise many types
        raise InputError(f"cannot load a model from {src!r}: {_first_line(e)}") from None
    model.to(resolve_device(device))
    model.eval()
    return model, tokenizer
