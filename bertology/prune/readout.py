"""What a relation's subnetwork changes inside the model: where [MASK] attends, and how its
final representation clusters by relation (the LAMP paper's qualitative analyses, with numbers).

- **[MASK] attention.** For every layer, the share of the [MASK] token's attention (averaged
  over heads) that goes to the subject's tokens, to [MASK] itself, to special tokens
  (``[CLS]``/``[SEP]``, ``<s>``/``</s>``) and to the rest of the template. The full model and
  each relation's subnetwork read the same test prompts, so the change is paired.
- **Representations.** A final hidden state for every test fact, under the full model and
  under the fact's own relation's subnetwork: [MASK]'s (``state="mask"``, the default) or the
  first token's, [CLS] / ``<s>`` (``state="cls"``, what the LAMP paper's t-SNE shows). How
  well they separate by relation is the silhouette score (cosine distance;
  ``sklearn.metrics.silhouette_score``); the figure is a 2-D t-SNE of each
  (``sklearn.manifold.TSNE``), which is for the eye only.
- **Collapse.** A subnetwork that ignores the subject maps all of a relation's prompts to
  one state, and the silhouette then *rises* for no good reason. Each relation's distinct
  states are counted (:mod:`bertology.prune.collapse`); collapsed relations are listed, and
  a silhouette computed with any of them is marked as not meaningful.

The subject is located in each prompt by a case-insensitive whole-word search, and its tokens
through the fast tokenizer's character offsets; prompts where it is not found (LAMA
ConceptNet sentences, say) count for every share except ``subject``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from bertology.data.facts import MASK, Fact
from bertology.errors import InputError
from bertology.models.attention import eager_attention
from bertology.models.heads import encoder_kwargs, encoder_of
from bertology.models.load import mask_token, mask_token_id
from bertology.prune.apply import applied
from bertology.prune.collapse import collapse_stats, state_tolerance
from bertology.prune.masks import SubnetworkMask

GROUPS = ("subject", "mask", "special", "template")
STATES = ("mask", "cls")  # which final hidden state the representation analysis reads


@dataclass
class MaskTokenReadout:
    """What the model does at [MASK] for each fact, in the order of ``facts``."""

    facts: list[Fact]
    shares: Tensor  # (N, L, 4): attention share of each group in GROUPS, mean over heads
    subject_found: Tensor  # (N,) bool: whether the subject was located in the prompt
    hidden: Tensor  # (N, D): final hidden state at [MASK]
    cls: Tensor  # (N, D): final hidden state at position 0 ([CLS] / <s>)

    def states(self, state: str) -> Tensor:
        """The ``(N, D)`` states the representation analysis reads: ``mask`` or ``cls``."""
        if state not in STATES:
            raise InputError(f"unknown state {state!r}; known states: {', '.join(STATES)}")
        return self.hidden if state == "mask" else self.cls

    def part(self, start: int, stop: int) -> MaskTokenReadout:
        """Facts ``start:stop`` of this readout."""
        return MaskTokenReadout(
            self.facts[start:stop],
            self.shares[start:stop],
            self.subject_found[start:stop],
            self.hidden[start:stop],
            self.cls[start:stop],
        )

    @staticmethod
    def concat(parts: Sequence[MaskTokenReadout]) -> MaskTokenReadout:
        """The readouts one after another."""
        return MaskTokenReadout(
            [f for p in parts for f in p.facts],
            torch.cat([p.shares for p in parts]),
            torch.cat([p.subject_found for p in parts]),
            torch.cat([p.hidden for p in parts]),
            torch.cat([p.cls for p in parts]),
        )


def subject_span(prompt: str, subject: str) -> tuple[int, int] | None:
    """Character span of the first whole-word, case-insensitive occurrence of ``subject``."""
    m = re.search(rf"(?<!\w){re.escape(subject)}(?!\w)", prompt, flags=re.IGNORECASE)
    return m.span() if m else None


def token_groups(
    offsets: Sequence[tuple[int, int]],
    special: Sequence[bool],
    mask_index: int,
    span: tuple[int, int] | None,
) -> list[int]:
    """The group (index into :data:`GROUPS`) of every token of one prompt.

    A token belongs to the subject when its character range overlaps the subject's span.
    """
    groups = []
    for i, ((a, b), sp) in enumerate(zip(offsets, special, strict=True)):
        if i == mask_index:
            groups.append(1)
        elif sp:
            groups.append(2)
        elif span is not None and a < span[1] and b > span[0]:
            groups.append(0)
        else:
            groups.append(3)
    return groups


def read_mask_token(
    model: Any, tokenizer: Any, facts: Sequence[Fact], batch_size: int = 64
) -> MaskTokenReadout:
    """Attention shares and final hidden states (at [MASK] and at position 0) for each
    fact's first prompt."""
    if not getattr(tokenizer, "is_fast", False):
        raise InputError("[MASK]-attention analysis needs a fast tokenizer (character offsets)")
    facts = list(facts)
    if not facts:
        raise InputError("no facts to inspect")
    mtok, mid = mask_token(tokenizer), mask_token_id(tokenizer)
    prompts = [f.prompts[0].replace(MASK, mtok) for f in facts]
    device = next(model.parameters()).device
    shares, found, hidden, cls = [], [], [], []
    with eager_attention(model), torch.inference_mode():
        for start in range(0, len(facts), batch_size):
            chunk = list(range(start, min(start + batch_size, len(facts))))
            enc = tokenizer(
                [prompts[i] for i in chunk],
                padding=True,
                return_tensors="pt",
                return_offsets_mapping=True,
                return_special_tokens_mask=True,
            )
            ids = enc["input_ids"]
            B, T = ids.shape
            group = torch.full((B, T), -1, dtype=torch.long)  # -1: padding
            mask_pos = torch.zeros(B, dtype=torch.long)
            for b, i in enumerate(chunk):
                n = int(enc["attention_mask"][b].sum())
                hits = (ids[b, :n] == mid).nonzero(as_tuple=True)[0]
                if len(hits) != 1:
                    raise InputError(
                        f"prompt {prompts[i]!r} has {len(hits)} mask tokens after "
                        "tokenization, expected 1"
                    )
                mask_pos[b] = hits[0]
                span = subject_span(prompts[i], facts[i].subject)
                found.append(span is not None)
                offsets = [tuple(o) for o in enc["offset_mapping"][b, :n].tolist()]
                special = [bool(s) for s in enc["special_tokens_mask"][b, :n].tolist()]
                group[b, :n] = torch.tensor(token_groups(offsets, special, int(hits[0]), span))
            batch = {k: enc[k].to(device) for k in ("input_ids", "attention_mask")}
            if "token_type_ids" in enc:
                batch["token_type_ids"] = enc["token_type_ids"].to(device)
            out = encoder_of(model)(**encoder_kwargs(model, batch), output_attentions=True)
            rows, cols = torch.arange(B, device=device), mask_pos.to(device)
            # (B, L, H, T) -> [MASK]'s row, mean over heads -> (B, L, T)
            attn = torch.stack([a[rows, :, cols] for a in out.attentions], 1)
            attn = attn.float().mean(2).cpu()
            onehot = torch.nn.functional.one_hot(group.clamp(min=0), len(GROUPS)).float()
            onehot[group < 0] = 0.0
            shares.append(torch.einsum("blt,btg->blg", attn, onehot))
            hidden.append(out.last_hidden_state[rows, cols].float().cpu())
            # the first real token ([CLS] / <s>): position 0 unless the tokenizer pads left
            first = enc["attention_mask"].argmax(dim=1).to(device)  # (B,)
            cls.append(out.last_hidden_state[rows, first].float().cpu())
    return MaskTokenReadout(
        facts, torch.cat(shares), torch.tensor(found), torch.cat(hidden), torch.cat(cls)
    )


def attention_summary(readout: MaskTokenReadout) -> dict[str, Any]:
    """Mean share per group and layer (``{group: [L floats]}``) and the facts counted.

    ``subject`` is averaged over the prompts where the subject was found; NaN if none.
    """
    out: dict[str, Any] = {}
    for g, name in enumerate(GROUPS):
        s = readout.shares[:, :, g]
        if name == "subject":
            s = s[readout.subject_found]
        out[name] = s.mean(0).tolist() if len(s) else [math.nan] * readout.shares.shape[1]
    out["n"] = len(readout.facts)
    out["n_subject_found"] = int(readout.subject_found.sum())
    return out


def cluster_quality(hidden: Tensor, labels: Sequence[str]) -> float:
    """Silhouette score (cosine) of ``labels`` on ``hidden``; NaN with fewer than 2 labels."""
    from sklearn.metrics import silhouette_score  # scikit-learn: only for this analysis

    if len(set(labels)) < 2 or len(set(labels)) >= len(labels):
        return math.nan
    return float(silhouette_score(hidden.numpy(), list(labels), metric="cosine"))


def tsne_2d(hidden: Tensor, seed: int = 0) -> np.ndarray:
    """A 2-D t-SNE (cosine, PCA init) of ``hidden`` for plotting; perplexity fits small sets."""
    from sklearn.manifold import TSNE  # scikit-learn: only for this analysis

    n = hidden.shape[0]
    if n < 3:
        return np.zeros((n, 2))
    perplexity = float(min(30.0, (n - 1) / 3))
    tsne = TSNE(2, perplexity=perplexity, metric="cosine", init="pca", random_state=seed)
    return tsne.fit_transform(hidden.numpy().astype(np.float64))


def inspect_masks(
    model: Any,
    tokenizer: Any,
    test: Mapping[str, Sequence[Fact]],
    masks: Mapping[str, SubnetworkMask],
    soft: bool = False,
    batch_size: int = 64,
    state: str = "mask",
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Full model vs each relation's subnetwork on that relation's test facts.

    Returns the JSON-ready results (per relation and layer: attention shares, full and
    subnetwork; silhouette scores of the ``state`` representations overall, with each
    relation's collapse check) and the raw arrays the figures need.
    """
    if state not in STATES:
        raise InputError(f"unknown state {state!r}; known states: {', '.join(STATES)}")
    rels = [r for r in masks if test.get(r)]
    if not rels:
        raise InputError("no relation has both a mask and test facts to inspect")
    facts = [f for r in rels for f in test[r]]
    labels = [f.relation for f in facts]
    full = read_mask_token(model, tokenizer, facts, batch_size)
    subs = []
    for r in rels:
        with applied(model, masks[r], soft=soft):
            subs.append(read_mask_token(model, tokenizer, test[r], batch_size))
    sub = MaskTokenReadout.concat(subs)
    rtol = state_tolerance(next(model.parameters()).dtype)
    per: dict[str, Any] = {}
    coll: dict[str, Any] = {}
    start = 0
    for r, s in zip(rels, subs, strict=True):
        n = len(s.facts)
        part = full.part(start, start + n)
        per[r] = {"full": attention_summary(part), "subnetwork": attention_summary(s)}
        prompts = [f.prompts[0] for f in s.facts]
        coll[r] = {
            "full": collapse_stats(part.states(state), prompts, rtol),
            "subnetwork": collapse_stats(s.states(state), prompts, rtol),
        }
        # how much the subnetwork shrank the relation's cloud (1: as spread as the full model)
        full_spread = coll[r]["full"]["spread"]
        coll[r]["spread_vs_full"] = (
            coll[r]["subnetwork"]["spread"] / full_spread if full_spread else math.nan
        )
        start += n
    collapsed = {
        side: [r for r in rels if coll[r][side]["collapsed"]] for side in ("full", "subnetwork")
    }
    results = {
        "groups": list(GROUPS),
        "layers": full.shares.shape[1],
        "eval": "soft" if soft else "hard",
        "mask_attention": {
            "all": {"full": attention_summary(full), "subnetwork": attention_summary(sub)},
            "relations": per,
        },
        "representations": {
            "state": state,
            "n": len(facts),
            "relations": rels,
            "silhouette_full": cluster_quality(full.states(state), labels),
            "silhouette_subnetwork": cluster_quality(sub.states(state), labels),
            # a collapsed relation inflates the silhouette (zero within-relation distance)
            "silhouette_full_meaningful": not collapsed["full"],
            "silhouette_subnetwork_meaningful": not collapsed["subnetwork"],
            "collapsed_full": collapsed["full"],
            "collapsed_subnetwork": collapsed["subnetwork"],
            "collapse": {"rtol": rtol, "relations": coll},
        },
    }
    arrays = {
        "labels": np.array(labels),
        "tsne_full": tsne_2d(full.states(state)),
        "tsne_subnetwork": tsne_2d(sub.states(state)),
    }
    return results, arrays
