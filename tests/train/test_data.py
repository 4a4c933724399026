"""Training data: tokenize once, pack, cache, and carry the gold edges to token positions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bertology.errors import InputError
from bertology.models import train_wordpiece_tokenizer
from bertology.train.batches import BatchOrder
from bertology.train.corpus import iter_sentences
from bertology.train.packed import DataSpec, build_or_load, tokenizer_fingerprint


@pytest.fixture(scope="module")
def small_vocab_tokenizer(toy_world: Path):
    """A vocabulary so small that most words split into several pieces."""
    lines = (toy_world / "corpus" / "train.txt").read_text().splitlines()
    return train_wordpiece_tokenizer(lines, vocab_size=60)


def _build(
    world: Path, tok, tmp: Path, packing: str = "sentences", seq_len: int = 128, trees: bool = True
):
    train = [str(world / "corpus" / "train.txt")]
    tr = [str(world / "corpus" / "train.conllu")] if trees else []
    spec = DataSpec(train, tr, "text", seq_len, packing, None, tokenizer_fingerprint(tok))
    return build_or_load(spec, iter_sentences(train, tr), tok, tmp)


def _reference_rows(world: Path, tok) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """Per sentence: token ids and gold edges (dependent's first piece, head's first piece),
    written here from the tokenizer's own ``word_ids()`` on the pre-split words. It shares
    nothing with the packer, which aligns by character offsets and maps edges with
    ``bertology.train.corpus.token_edges``."""
    from bertology.data.dependency import read_conllu

    out = []
    for t in read_conllu(world / "corpus" / "train.conllu"):
        enc = tok(t.forms, is_split_into_words=True, add_special_tokens=False)
        first: dict[int, int] = {}  # word -> its first token
        for pos, w in enumerate(enc.word_ids()):
            if w is not None and w not in first:
                first[w] = pos
        assert sorted(first) == list(range(len(t.forms)))
        edges = [(first[i], first[h - 1]) for i, h in enumerate(t.heads) if h != 0]
        out.append((list(enc["input_ids"]), sorted(edges)))
    return out


def test_sentence_packing_keeps_whole_sentences_and_maps_gold_edges_to_first_pieces(
    toy_world, small_vocab_tokenizer, tmp_path
):
    tok = small_vocab_tokenizer
    data = _build(toy_world, tok, tmp_path)
    assert data.stats.truncated_sentences == 0
    ref = _reference_rows(toy_world, tok)
    cls, sep, pad = tok.cls_token_id, tok.sep_token_id, tok.pad_token_id
    k = 0
    for r in range(len(data)):
        n = int(data.lengths[r])
        ids = data.input_ids[r].tolist()
        assert ids[0] == cls and ids[n - 1] == sep and all(x == pad for x in ids[n:])
        edges = sorted(
            map(tuple, data.edges[data.edge_offsets[r] : data.edge_offsets[r + 1]].tolist())
        )
        start, expect = 1, []
        while start < n:
            sent_ids, sent_edges = ref[k]
            assert ids[start : start + len(sent_ids)] == sent_ids
            assert ids[start + len(sent_ids)] == sep
            expect += [(a + start, b + start) for a, b in sent_edges]
            start += len(sent_ids) + 1
            k += 1
        assert edges == sorted(expect)
    assert k == len(ref) == data.stats.sentences
    assert data.stats.edges == sum(len(e) for _, e in ref) > 0
    # words split into pieces, and first_pos points every piece at its word's first piece
    first = np.asarray(data.first_pos[0])
    assert (first[first >= 0] < np.flatnonzero(first >= 0)).any()


def test_stream_packing_fills_rows_without_padding_and_keeps_inside_edges(
    toy_world, small_vocab_tokenizer, tmp_path
):
    tok = small_vocab_tokenizer
    data = _build(toy_world, tok, tmp_path, packing="stream", seq_len=40)
    ref = _reference_rows(toy_world, tok)
    stream = [x for ids, _ in ref for x in [*ids, tok.sep_token_id]]
    got = []
    for r in range(len(data)):
        n = int(data.lengths[r])
        assert data.input_ids[r, 0] == tok.cls_token_id
        assert n == 40 or r == len(data) - 1
        got += data.input_ids[r, 1:n].tolist()
        e = data.edges[data.edge_offsets[r] : data.edge_offsets[r + 1]]
        assert ((e >= 1) & (e < n)).all()
    assert got == stream
    assert data.stats.edges + data.stats.dropped_edges == sum(len(e) for _, e in ref)


def test_cache_is_reused_not_rebuilt(toy_world, small_vocab_tokenizer, tmp_path):
    first = _build(toy_world, small_vocab_tokenizer, tmp_path)
    spec = DataSpec(**{k: v for k, v in first.meta["spec"].items()})

    def boom():
        raise AssertionError("the cache was rebuilt")
        yield

    again = build_or_load(spec, boom(), small_vocab_tokenizer, tmp_path)
    assert again.path == first.path
    assert np.array_equal(again.input_ids, first.input_ids)


def test_empty_corpus_stops_with_a_clear_message(tmp_path, small_vocab_tokenizer):
    p = tmp_path / "empty.txt"
    p.write_text("\n  \n")
    spec = DataSpec([str(p)], [], "text", 32, "sentences", None, "x")
    with pytest.raises(InputError, match="corpus is empty"):
        build_or_load(spec, iter_sentences([str(p)], None), small_vocab_tokenizer, tmp_path)


def test_trees_not_aligned_with_text_name_the_line(tmp_path, toy_world):
    text = (toy_world / "corpus" / "train.txt").read_text().splitlines()
    text[2] = "completely different words here"
    p = tmp_path / "t.txt"
    p.write_text("\n".join(text) + "\n")
    with pytest.raises(InputError, match=r"t.txt:3: the tree's word"):
        list(iter_sentences([str(p)], [str(toy_world / "corpus" / "train.conllu")]))
    text = (toy_world / "corpus" / "train.txt").read_text().splitlines()
    p.write_text("\n".join(text[:5]) + "\n")
    with pytest.raises(InputError, match="more trees than"):
        list(iter_sentences([str(p)], [str(toy_world / "corpus" / "train.conllu")]))


def test_jsonl_input_is_read_with_datasets_by_column(tmp_path, small_vocab_tokenizer):
    p = tmp_path / "c.jsonl"
    p.write_text("".join(json.dumps({"body": f"the dog sees a cat {i}"}) + "\n" for i in range(5)))
    sents = list(iter_sentences([str(p)], None, text_column="body"))
    assert [s.text for s in sents][:2] == ["the dog sees a cat 0", "the dog sees a cat 1"]
    with pytest.raises(InputError, match="no column 'text'"):
        list(iter_sentences([str(p)], None))


def test_batch_order_visits_every_row_once_per_epoch_and_depends_on_the_step_only():
    order = BatchOrder(n_rows=10, batch_size=4, seed=0)
    epoch0 = np.concatenate([order.rows(0), order.rows(1), order.rows(2)[:2]])
    assert sorted(epoch0.tolist()) == list(range(10))
    assert np.array_equal(BatchOrder(10, 4, 0).rows(7), order.rows(7))
    assert not np.array_equal(BatchOrder(10, 4, 1).rows(0), order.rows(0))


def test_batch_tensors_and_padding_mask(toy_world, small_vocab_tokenizer, tmp_path):
    data = _build(toy_world, small_vocab_tokenizer, tmp_path)
    b = data.batch(np.array([0, 3]))
    assert b["input_ids"].shape == (2, 128)
    assert b["attention_mask"].sum(1).tolist() == b["lengths"].tolist()
    assert b["edges"][:, 0].unique().tolist() == [0, 1]


def test_a_sentence_longer_than_a_row_is_truncated_counted_and_loses_only_outside_edges(
    toy_world, small_vocab_tokenizer, tmp_path
):
    data = _build(toy_world, small_vocab_tokenizer, tmp_path, seq_len=24)
    assert data.stats.truncated_sentences > 0
    assert data.stats.dropped_edges > 0
    assert (data.edges < 23).all()
    assert (np.asarray(data.lengths) <= 24).all()


def test_spacy_parse_is_made_once_cached_and_aligned_line_by_line(tmp_path):
    pytest.importorskip("spacy")
    from bertology.data.dependency import read_conllu
    from bertology.train.trees import parse_with_spacy_cached

    text = tmp_path / "raw.txt"
    text.write_text("The old farmer sees a horse. It runs.\nDogs bark loudly near the river.\n")
    logs: list[str] = []
    (conllu,) = parse_with_spacy_cached([str(text)], "text", None, tmp_path, None, logs.append)
    trees = read_conllu(conllu)
    assert len(trees) == 2  # one tree per line, even where spaCy saw two sentences
    assert trees[0].heads.count(0) == 2 and trees[1].heads.count(0) == 1
    again = parse_with_spacy_cached([str(text)], "text", None, tmp_path, None, logs.append)
    assert again == [conllu] and len(logs) == 1  # the second call reads the cache
    sents = list(iter_sentences([str(text)], [conllu]))
    assert sents[0].spans[:2] == [(0, 3), (4, 7)]  # "The", "old"
