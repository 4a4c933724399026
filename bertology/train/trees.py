"""Dependency trees for pre-training, through :mod:`bertology.data.dependency` and
:mod:`bertology.syntax`: spaCy parses made once and cached, and UAS at checkpoints. (Gold trees
are read with the corpus, :mod:`bertology.train.corpus`.)"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bertology.data.dependency import JOINED, DependencySentence, read_conllu, write_conllu
from bertology.data.parsing import doc_to_sentences, load_spacy
from bertology.errors import InputError
from bertology.syntax.uas import compute_uas
from bertology.train.corpus import file_identity, iter_texts

# In the cache key: version 2 marks trees joined from several sentences (several roots).
PARSE_CACHE_VERSION = 2


def parse_with_spacy_cached(
    paths: list[str],
    text_column: str,
    spacy_model: str | None,
    cache_dir: Path,
    limit: int | None,
    log: Callable[[str], None] | None,
) -> list[str]:
    """Parse each training file with spaCy once; return the cached CoNLL-U paths (one per file).

    Each line becomes one tree: when spaCy splits a line into several sentences, their trees
    are joined (several roots), so the trees stay aligned line by line with the text.
    """
    out: list[str] = []
    nlp = None
    for src in paths:
        key = hashlib.sha256(
            json.dumps(
                [PARSE_CACHE_VERSION, file_identity(src), text_column, spacy_model, limit]
            ).encode()
        ).hexdigest()[:20]
        target = Path(cache_dir) / f"parse-{key}.conllu"
        out.append(str(target))
        if target.exists() or log is None:  # log is None: a non-main rank, which only reads
            continue
        if nlp is None:
            nlp = load_spacy(spacy_model)
        log(
            f"parsing {src} with spaCy ({nlp.meta.get('name', spacy_model)}), once; cached in {target}"
        )
        rows = list(iter_texts([src], text_column))
        if limit is not None:
            rows = rows[:limit]
        trees: list[DependencySentence] = []
        for (_, line, text), doc in zip(
            rows, nlp.pipe((r[2] for r in rows), batch_size=256), strict=True
        ):
            parts = doc_to_sentences(doc)
            forms, heads, rels, upos, off = [], [], [], [], 0
            for p in parts:
                forms += p.forms
                heads += [h + off if h else 0 for h in p.heads]
                rels += p.deprels
                upos += p.upos
                off += len(p.forms)
            if not forms:
                raise InputError("spaCy found no words in this line", src, line)
            meta = {JOINED: str(len(parts))} if len(parts) > 1 else {}
            trees.append(
                DependencySentence(
                    forms, heads, rels, upos, sent_id=str(line), text=text, metadata=meta
                )
            )
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        write_conllu(trees, target)
    return out


class UASProbe:
    """Best-head UAS of a model on a fixed held-out parse set (read once)."""

    def __init__(
        self, conllu: str | Path, tokenizer: Any, max_sentences: int, batch_size: int, device: Any
    ):
        self.sentences = read_conllu(conllu, max_sentences=max_sentences)
        self.tokenizer = tokenizer
        self.batch_size = batch_size

    def __call__(self, model: Any) -> dict[str, Any]:
        """The checkpoint metrics of :meth:`~bertology.syntax.uas_result.UASResult.checkpoint_metrics`:
        ``uas`` (clean: root and punctuation excluded) with its interval, the best head, the
        margin over the best offset baseline, non-adjacent UAS and every head's UAS."""
        r = compute_uas(
            model, self.tokenizer, self.sentences, batch_size=self.batch_size, progress=False
        )
        return r.checkpoint_metrics()
