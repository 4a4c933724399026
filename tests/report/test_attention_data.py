"""``attention.json``: encoding, the schema check, and errors that name the file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bertology.errors import InputError
from bertology.report.attention import (
    AttentionItem,
    attention_document,
    decode_matrix,
    encode_matrix,
    item_attention,
    read_attention,
    write_attention,
)


def _softmax_rows(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _attention(L: int, H: int, n: int, seed: int = 0) -> np.ndarray:
    return _softmax_rows(np.random.default_rng(seed).normal(size=(L, H, n, n)) * 2)


def _doc(kind: str = "mask", n: int = 5) -> dict:
    tokens = [f"t{i}" for i in range(n)]
    item = AttentionItem(
        "a#0",
        "a: t0 t1",
        tokens,
        {"full": _attention(2, 3, n)},
        gold_heads=[-1] + [0] * (n - 1) if kind == "dependency" else None,
        query=2 if kind == "mask" else None,
    )
    return attention_document(kind, "tiny", [item], layers=2, heads=3)


def test_encode_decode_round_trip_within_one_byte():
    m = _attention(1, 1, 9)[0, 0]
    text = encode_matrix(m)
    back = decode_matrix(text, 9)
    assert back.shape == (9, 9) and back.dtype == np.float32
    assert np.abs(back - m).max() <= 0.5 / 255 + 1e-7
    # row-major, rows are the attending token: an asymmetric matrix keeps its orientation
    tri = np.triu(np.ones((4, 4)))
    np.testing.assert_array_equal(decode_matrix(encode_matrix(tri), 4), tri)
    # clipped to 0..255, NaN to 0
    edge = decode_matrix(encode_matrix(np.array([[-0.2, 1.7], [np.nan, 0.5]])), 2)
    np.testing.assert_allclose(edge, [[0, 1], [0, 128 / 255]])
    with pytest.raises(ValueError, match="expected 3 x 3"):
        decode_matrix(text, 3)


def test_document_round_trips_through_a_file(tmp_path):
    doc = _doc("dependency")
    path = write_attention(tmp_path / "attention.json", doc)
    back = read_attention(path)
    assert back == json.loads(json.dumps(doc))
    expected = _attention(2, 3, 5)
    np.testing.assert_allclose(item_attention(back, 0), expected, atol=0.5 / 255 + 1e-7)


def test_schema_check_catches_a_wrong_token_count():
    item = AttentionItem("x", "x", ["a", "b", "c"], {"full": _attention(2, 3, 4)}, query=0)
    with pytest.raises(InputError, match=r"shape \(2, 3, 4, 4\), expected \(2, 3, 3, 3\)"):
        attention_document("mask", "tiny", [item], layers=2, heads=3)
    doc = _doc()
    doc["items"][0]["tokens"].append("extra")  # the matrices are 5 x 5
    with pytest.raises(InputError, match=r"25 bytes, expected 6 x 6"):
        write_attention("unused.json", doc)


def test_schema_check_catches_bad_gold_heads_and_queries():
    doc = _doc("dependency")
    doc["items"][0]["gold_heads"][2] = 7
    with pytest.raises(InputError, match=r"gold_heads\[2\] = 7"):
        write_attention("unused.json", doc)
    doc = _doc("mask")
    doc["items"][0]["query"] = 5
    with pytest.raises(InputError, match="query must be a token index in 0..4"):
        write_attention("unused.json", doc)
    with pytest.raises(InputError, match="gold_heads must list one head per token"):
        item = AttentionItem("x", "x", ["a", "b"], {"full": _attention(2, 3, 2)}, gold_heads=[-1])
        attention_document("dependency", "tiny", [item], layers=2, heads=3)


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "malformed JSON"),
        (json.dumps([1, 2]), "expected a JSON object"),
        ("SCHEMA2", "unknown schema 2"),
        ("KIND", "kind must be one of dependency, mask"),
        ("SIZE", "items[0]: attention['full'][1][2]: 16 bytes, expected 5 x 5"),
        ("BASE64", "not base64"),
        ("LAYERS", "attention['full'] must have 2 layers"),
        ("BEST", "best_heads['all'] = [2, 0] is outside 2 layers x 3 heads"),
        ("SCORES", "head_scores.values must be 2 rows of 3 numbers"),
    ],
)
def test_read_attention_rejects_malformed_files_naming_them(tmp_path, content, message):
    doc = _doc()
    if content == "SCHEMA2":
        doc["schema"] = 2
    elif content == "KIND":
        doc["kind"] = "tokens"
    elif content == "SIZE":
        doc["items"][0]["attention"]["full"][1][2] = encode_matrix(np.eye(4))
    elif content == "BASE64":
        doc["items"][0]["attention"]["full"][0][0] = "!!!"
    elif content == "LAYERS":
        doc["items"][0]["attention"]["full"].pop()
    elif content == "BEST":
        doc["best_heads"] = {"all": [2, 0]}
    elif content == "SCORES":
        doc["head_scores"] = {"name": "UAS", "values": [[0.1, 0.2, 0.3]]}
    text = content if content.startswith(("{", "[")) else json.dumps(doc)
    path = tmp_path / "run" / "attention.json"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(InputError) as e:
        read_attention(path)
    assert str(path) in str(e.value)
    assert message in str(e.value)


def test_the_module_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, bertology.report.attention; sys.exit(1 if 'torch' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
