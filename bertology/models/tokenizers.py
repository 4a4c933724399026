"""Train BERT-style (WordPiece) and RoBERTa-style (byte-level BPE) tokenizers.

These give the tests real tokenizers of both families without a download, and give
pre-training a vocabulary fitted to its corpus. Both return a
``transformers.PreTrainedTokenizerFast`` that round-trips through ``save_pretrained``.

Why the merges are learned here and not by the ``tokenizers`` trainers
------------------------------------------------------------------------
DESIGN.md asks that the same seed give the same result on CPU, bit for bit, tokenizer
training included. The Rust ``WordPieceTrainer`` does not: it gives the ``##x``
continuation symbols their ids in the iteration order of a hash map of words, which is
seeded afresh in every process, and its merge queue breaks ties between pairs of equal
count by those ids. The same corpus therefore gives a different vocabulary (and different
id order) in every process, and ``RAYON_NUM_THREADS=1`` does not help. So both trainers
below count words with the tokenizer's own normalizer and pre-tokenizer and then learn the
merges with :func:`_learn_merges`, a re-implementation of the Rust BPE trainer's loop whose
ids do not depend on hash order:

* ids are given in a fixed order: special tokens, the alphabet sorted by code point, the
  ``##x`` continuation symbols sorted by code point (WordPiece only), then each merged
  token when it is first made;
* the next merge is the pair with the highest count, ties broken by the smallest pair of
  ids (the rule of the Rust trainer, applied to ids that are now fixed).

For byte-level BPE the Rust trainer's ids were already fixed (its 256-symbol alphabet is
sorted and it has no continuation symbols), and the loop here reproduces it exactly:
``tests/models/test_tokenizers.py`` checks that the two give the same model (vocabulary,
ids and merges) in ``tokenizer.json``. For WordPiece the result differs from a given run
of the Rust trainer only where that run broke a tie differently (on the Brown corpus with
8000 tokens, 3 pieces of 8000). Ties go to the smallest ids rather than, say, the
lexicographically smallest pair so that BPE stays exactly what the Rust trainer gives.
The result is an ordinary ``tokenizers`` tokenizer with the same model options, normalizer,
pre-tokenizer, post-processor, decoder and special tokens as the trainers gave.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable
from typing import Any

_WORDPIECE_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
_BPE_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def _count_words(texts: Iterable[str], split: Callable[[str], list[str]]) -> dict[str, int]:
    """How often each pre-tokenized word occurs in ``texts`` (each text split on its own)."""
    counts: dict[str, int] = {}
    get = counts.get
    for text in texts:
        for word in split(text):
            counts[word] = get(word, 0) + 1
    return counts


def _learn_merges(
    word_counts: dict[str, int],
    specials: list[str],
    initial_alphabet: Iterable[str],
    vocab_size: int,
    min_frequency: int,
    prefix: str,
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Learn BPE merges from word counts; return ``(vocab, merges)``.

    This is the loop of the Rust ``BpeTrainer`` (tokenizers 0.23) with ids that do not depend
    on hash order, so its result is the same in every process:

    * the vocabulary holds, in this id order, ``specials``; every character of the corpus
      and of ``initial_alphabet``, sorted by code point; when ``prefix`` is set (``"##"`` for
      WordPiece), ``prefix + c`` for every character ``c`` seen after the first position of
      a word, sorted; then the merged tokens in the order they are made. The alphabet is
      always kept whole, even where it alone exceeds ``vocab_size``;
    * merging stops when the vocabulary holds ``vocab_size`` tokens (specials included),
      when no pair is left, or when the best pair occurs fewer than ``min_frequency`` times;
    * each step merges the pair of highest count, ties broken by the smallest
      ``(left id, right id)``; the merged token is ``left + right`` with ``prefix`` dropped
      from ``right``. A merge that makes a token already in the vocabulary is still a merge
      (it is listed in ``merges``) but does not grow the vocabulary.

    A word's symbols merge left to right without overlap, and pair counts are kept up to
    date incrementally: a heap of ``(-count, left, right)`` entries, re-pushed when popped
    with a stale count (lazy invalidation), each holding the set of words where its pair was
    formed, so a merge only touches the words that may contain its pair. Following the Rust
    trainer, an entry merges only the words recorded with it.
    """
    id_to_tok: list[str] = []
    tok_to_id: dict[str, int] = {}

    def add(token: str) -> int:
        if token not in tok_to_id:
            tok_to_id[token] = len(id_to_tok)
            id_to_tok.append(token)
        return tok_to_id[token]

    for s in specials:
        add(s)
    alphabet = set(initial_alphabet)
    for word in word_counts:
        alphabet.update(word)
    for c in sorted(alphabet):
        add(c)
    if prefix:
        for c in sorted({c for word in word_counts for c in word[1:]}):
            add(prefix + c)

    # Words in sorted order, so that nothing below depends on the order of the input.
    seqs: list[list[int]] = []
    counts: list[int] = []
    for word, n in sorted(word_counts.items()):
        seqs.append([tok_to_id[word[0]]] + [tok_to_id[prefix + c] for c in word[1:]])
        counts.append(n)

    pair_counts: dict[tuple[int, int], int] = {}
    where: dict[tuple[int, int], set[int]] = {}
    for i, seq in enumerate(seqs):
        n = counts[i]
        for pair in zip(seq[:-1], seq[1:], strict=True):
            pair_counts[pair] = pair_counts.get(pair, 0) + n
            if pair in where:
                where[pair].add(i)
            else:
                where[pair] = {i}

    # Heap entries: (-count, left, right, entry number). The entry number orders entries of
    # the same pair and count (oldest first) and keys the words recorded with the entry.
    heap: list[tuple[int, int, int, int]] = []
    positions: dict[int, set[int]] = {}
    entries = itertools.count()

    def queue_formed_pairs() -> None:
        """Queue every pair formed since the last call (the Rust trainer's ``where_to_update``)."""
        for pair, pos in where.items():
            count = pair_counts[pair]
            if count > 0:
                entry = next(entries)
                positions[entry] = pos
                heapq.heappush(heap, (-count, pair[0], pair[1], entry))
        where.clear()

    queue_formed_pairs()
    heappush, heappop = heapq.heappush, heapq.heappop
    merges: list[tuple[int, int]] = []
    plen = len(prefix)
    while len(id_to_tok) < vocab_size and heap:
        neg, a, b, entry = heappop(heap)
        count = pair_counts[(a, b)]
        if -neg != count:  # stale: re-queue with the current count
            heappush(heap, (-count, a, b, entry))
            continue
        if count < 1 or count < min_frequency:
            break
        right = id_to_tok[b]
        if plen and right.startswith(prefix):
            right = right[plen:]
        new = add(id_to_tok[a] + right)
        merges.append((a, b))
        for i in positions.pop(entry):
            seq = seqs[i]
            n = counts[i]
            j = 0
            while j < len(seq) - 1:
                if seq[j] == a and seq[j + 1] == b:
                    if j > 0:
                        prev = seq[j - 1]
                        pair_counts[(prev, a)] -= n
                        pair = (prev, new)
                        pair_counts[pair] = pair_counts.get(pair, 0) + n
                        where.setdefault(pair, set()).add(i)
                    seq[j : j + 2] = [new]
                    if j < len(seq) - 1:
                        nxt = seq[j + 1]
                        pair_counts[(b, nxt)] -= n
                        pair = (new, nxt)
                        pair_counts[pair] = pair_counts.get(pair, 0) + n
                        where.setdefault(pair, set()).add(i)
                j += 1
        queue_formed_pairs()
    vocab = {token: i for i, token in enumerate(id_to_tok)}
    return vocab, [(id_to_tok[a], id_to_tok[b]) for a, b in merges]


def train_wordpiece_tokenizer(
    texts: Iterable[str], vocab_size: int = 1000, lowercase: bool = True, min_frequency: int = 1
) -> Any:
    """A BERT-style uncased WordPiece tokenizer: ``[CLS] ... [SEP]``, mask ``[MASK]``.

    Deterministic across processes (see the module docstring). The vocabulary is what the
    ``tokenizers`` ``WordPieceTrainer`` learns (BPE merges with a ``##`` continuation
    prefix), except that ties between pairs of equal count are broken in a fixed order:
    ids 0-4 are ``[PAD] [UNK] [CLS] [SEP] [MASK]``, then every character of the normalized
    corpus (sorted), then ``##c`` for every character seen inside a word (sorted), then the
    merged pieces. ``vocab_size`` caps the whole vocabulary (specials included) but never
    drops alphabet symbols; a pair seen fewer than ``min_frequency`` times is not merged.
    """
    from tokenizers import (  # tokenizers: only when training a tokenizer
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )  # tokenizers: only when training a tokenizer
    from transformers import (
        PreTrainedTokenizerFast,  # transformers: slow to import, only on this path
    )  # transformers: slow to import, only on this path

    normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()

    def split(text: str) -> list[str]:
        return [w for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text))]

    vocab, _ = _learn_merges(
        _count_words(texts, split), _WORDPIECE_SPECIALS, (), vocab_size, min_frequency, "##"
    )
    tok = Tokenizer(
        models.WordPiece(
            vocab, unk_token="[UNK]", continuing_subword_prefix="##", max_input_chars_per_word=100
        )
    )
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.add_special_tokens(_WORDPIECE_SPECIALS)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=512,
    )


def train_bpe_tokenizer(
    texts: Iterable[str], vocab_size: int = 1000, min_frequency: int = 1
) -> Any:
    """A RoBERTa-style byte-level BPE tokenizer: ``<s> ... </s>``, mask ``<mask>``.

    Words after the first carry a leading space (``Ġ``), so an object in a cloze prompt must
    be looked up in its leading-space form.

    Deterministic across processes, and the same vocabulary and merges as the
    ``tokenizers`` ``BpeTrainer`` with the full 256-byte initial alphabet: ids 0-4 are
    ``<s> <pad> </s> <unk> <mask>``, then the 256 byte symbols (sorted), then the merged
    tokens. ``vocab_size`` caps the whole vocabulary (specials included); a pair seen fewer
    than ``min_frequency`` times is not merged.
    """
    from tokenizers import (  # tokenizers: only when training a tokenizer
        AddedToken,
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
    )  # tokenizers: only when training a tokenizer
    from transformers import (
        PreTrainedTokenizerFast,  # transformers: slow to import, only on this path
    )  # transformers: slow to import, only on this path

    pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)

    def split(text: str) -> list[str]:
        return [w for w, _ in pre_tokenizer.pre_tokenize_str(text)]

    vocab, merges = _learn_merges(
        _count_words(texts, split),
        _BPE_SPECIALS,
        pre_tokenizers.ByteLevel.alphabet(),
        vocab_size,
        min_frequency,
        "",
    )
    tok = Tokenizer(models.BPE(vocab, merges, unk_token=None))
    tok.pre_tokenizer = pre_tokenizer
    tok.add_special_tokens(_BPE_SPECIALS)
    tok.post_processor = processors.RobertaProcessing(
        ("</s>", tok.token_to_id("</s>")), ("<s>", tok.token_to_id("<s>")), trim_offsets=True
    )
    tok.decoder = decoders.ByteLevel()
    # As in roberta-base: "<mask>" swallows the space before it, so "a <mask>" predicts "Ġword".
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, special=True)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token=AddedToken("<mask>", lstrip=True, rstrip=False),
        model_max_length=512,
    )
