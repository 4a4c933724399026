"""The attention viewer (``bertology/report/assets/attention-*.js``) in a real browser.

Each test writes a self-contained page the way the report renderer does (the CSS inlined, the data
in a ``<script type="application/json">`` block with ``<`` written as ``\\u003c``, then every
``attention-*.js`` part inlined in name order, each in its own ``<script>``), opens it from file://
and drives the viewer through its controls.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest


def _conftest():
    """tests/report/conftest.py as a module (for ``screenshot_not_blank``): the one pytest loaded."""
    path = Path(__file__).with_name("conftest.py").resolve()
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if f and Path(f).resolve() == path and hasattr(mod, "screenshot_not_blank"):
            return mod
    spec = importlib.util.spec_from_file_location("_report_conftest", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


screenshot_not_blank = _conftest().screenshot_not_blank
ASSETS = Path(__file__).resolve().parents[2] / "bertology" / "report" / "assets"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "runs" / "screenshots"


def script_parts() -> list[Path]:
    """The viewer's standalone scripts, in load (name) order."""
    return sorted(ASSETS.glob("attention-*.js"), key=lambda p: p.name)


INJECTIONS = [
    '<img src=x onerror="window.__pwned=1">',
    "</script><script>window.__pwned=1</script>",
    "\"'><b>x</b>",
]

SENTENCE = ["The", "old", "dog", "chased", "a", "small", "cat", "across", "the", "yard", "."]
# gold heads (index of the head word, -1 for the root) of SENTENCE
GOLD = [2, 2, 3, -1, 6, 6, 3, 9, 9, 3, 3]


# ---------------------------------------------------------------- building pages


def _softmax_rows(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _encode(m: np.ndarray) -> str:
    b = np.clip(np.rint(np.asarray(m) * 255), 0, 255).astype(np.uint8)
    return base64.b64encode(b.tobytes()).decode("ascii")


def _head(rng: np.random.Generator, n: int, layer: int, head: int, gold=None) -> np.ndarray:
    """A softmax matrix with some structure so heads differ visibly."""
    logits = rng.normal(size=(n, n)) * 1.5
    idx = np.arange(n)
    pattern = (layer * 7 + head) % 4
    if pattern == 0:  # previous token
        logits[idx[1:], idx[1:] - 1] += 4
    elif pattern == 1:  # next token
        logits[idx[:-1], idx[:-1] + 1] += 4
    elif pattern == 2 and gold is not None:  # a "syntactic" head: the gold head
        for i, g in enumerate(gold):
            if g >= 0:
                logits[i, g] += 5
    else:  # broad attention to the first token
        logits[:, 0] += 3
    return _softmax_rows(logits)


def make_data(
    items: list[dict],
    *,
    kind: str = "dependency",
    layers: int = 3,
    heads: int = 4,
    variants: tuple[str, ...] = ("full",),
    best_heads: dict | None = None,
    scores: bool = True,
    seed: int = 0,
) -> dict:
    """The viewer's JSON document; ``items`` are dicts of id, label, tokens, gold_heads, query."""
    rng = np.random.default_rng(seed)
    out_items = []
    for it in items:
        n = len(it["tokens"])
        att = {}
        for v in variants:
            att[v] = [
                [_encode(_head(rng, n, layer, h, it.get("gold_heads"))) for h in range(heads)]
                for layer in range(layers)
            ]
        out_items.append(
            {
                "id": it["id"],
                "label": it["label"],
                "tokens": it["tokens"],
                "gold_heads": it.get("gold_heads"),
                "query": it.get("query"),
                "attention": att,
            }
        )
    return {
        "schema": 1,
        "kind": kind,
        "model": "tiny-bert",
        "layers": layers,
        "heads": heads,
        "encoding": "uint8-base64",
        "head_scores": (
            {"name": "UAS", "values": rng.uniform(0.1, 0.7, size=(layers, heads)).round(4).tolist()}
            if scores
            else None
        ),
        "best_heads": best_heads or {},
        "variants": list(variants),
        "items": out_items,
    }


def write_page(tmp_path: Path, data: dict, name: str = "viewer.html") -> Path:
    css = (ASSETS / "attention.css").read_text()
    scripts = "".join(f"<script>{p.read_text()}</script>" for p in script_parts())
    payload = json.dumps(data).replace("<", "\\u003c")
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>attention</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        f"{css}</style></head><body><h1>Attention</h1>"
        f'<script type="application/json" id="att-1">{payload}</script>'
        '<div class="bt-attention" data-source="att-1"></div>'
        f"{scripts}</body></html>"
    )
    path = tmp_path / name
    path.write_text(page, encoding="utf-8")
    return path


def dependency_data(**kw) -> dict:
    items = [
        {"id": "s1", "label": "sentence 1", "tokens": SENTENCE, "gold_heads": GOLD},
        {
            "id": "s2",
            "label": "sentence 2",
            "tokens": ["Birds", "sing", "loudly", "."],
            "gold_heads": [1, -1, 1, 1],
        },
    ]
    kw.setdefault("best_heads", {"nsubj": [1, 2], "det": [2, 3]})
    return make_data(items, **kw)


def mask_data() -> dict:
    toks = ["[CLS]", "a", "dog", "is", "a", "[MASK]", ".", "[SEP]"]
    items = [
        {"id": "IsA#0", "label": "IsA: 'a dog is a [MASK] .'", "tokens": toks, "query": 5},
        {
            "id": "CapableOf#0",
            "label": "CapableOf: 'birds can [MASK] .'",
            "tokens": ["[CLS]", "birds", "can", "[MASK]", ".", "[SEP]"],
            "query": 3,
        },
    ]
    return make_data(
        items,
        kind="mask",
        variants=("full", "subnetwork"),
        best_heads={"IsA": [2, 1], "CapableOf": [0, 3]},
    )


# ---------------------------------------------------------------- page helpers


def canvas_png(page, cls: str) -> str:
    return page.evaluate(f"() => document.querySelector('canvas.{cls}').toDataURL()")


def arcs_signature(page) -> list:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('svg.bt-att-arcs path.bt-att-arc'))
              .map(p => [p.getAttribute('data-i'), p.getAttribute('data-j'), p.getAttribute('data-w')])"""
    )


def assert_clean(opened, path: Path) -> None:
    assert opened.console_errors == []
    assert opened.page_errors == []
    assert opened.foreign_requests(path.resolve().as_uri()) == []


def choose(page, cls: str, value: str) -> None:
    page.select_option(f"select.{cls}", value)


# ---------------------------------------------------------------- tests


def test_asset_can_be_inlined_in_a_script_element():
    parts = script_parts()
    assert len(parts) >= 2 and not (ASSETS / "attention.js").exists()
    for p in parts:
        js = p.read_text()
        assert "</script" not in js.lower() and "<!--" not in js, p.name
        assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "eval(" not in js, (
            p.name
        )
        assert len(js.splitlines()) <= 450, (p.name, len(js.splitlines()))


def test_loads_without_errors_or_requests(tmp_path, open_report):
    path = write_page(tmp_path, dependency_data())
    o = open_report(path)
    page = o.page
    assert page.get_attribute("div.bt-attention", "data-state") == "ready"
    for cls in ("bt-att-item", "bt-att-layer", "bt-att-head", "bt-att-best", "bt-att-filter"):
        assert page.locator(f".{cls}").count() == 1, cls
    assert page.locator(".bt-att-cell").count() == 3 * 4
    assert page.locator("canvas.bt-att-heatmap-canvas").count() == 1
    assert page.locator("svg.bt-att-arcs path.bt-att-arc").count() > 0
    # the head grid shows the scores, the current head is outlined
    assert page.locator(".bt-att-cell.is-current").count() == 1
    assert page.locator(".bt-att-cell").first.inner_text().startswith(".")
    # the viewer fits a 1100px page
    box = page.locator("div.bt-attention").bounding_box()
    assert box["width"] <= 1100
    assert_clean(o, path)


def test_controls_switch_the_drawn_views(tmp_path, open_report):
    path = write_page(tmp_path, dependency_data())
    o = open_report(path)
    page = o.page
    # starts at the first best head (nsubj -> layer 1, head 2)
    assert page.input_value("select.bt-att-layer") == "1"
    assert page.input_value("select.bt-att-head") == "2"

    pixels, arcs = canvas_png(page, "bt-att-heatmap-canvas"), arcs_signature(page)
    choose(page, "bt-att-head", "0")
    assert canvas_png(page, "bt-att-heatmap-canvas") != pixels
    assert arcs_signature(page) != arcs

    pixels, arcs = canvas_png(page, "bt-att-heatmap-canvas"), arcs_signature(page)
    choose(page, "bt-att-layer", "2")
    assert canvas_png(page, "bt-att-heatmap-canvas") != pixels
    assert arcs_signature(page) != arcs

    # another item: other tokens in the arcs, another heatmap
    pixels = canvas_png(page, "bt-att-heatmap-canvas")
    choose(page, "bt-att-item", "1")
    assert canvas_png(page, "bt-att-heatmap-canvas") != pixels
    assert page.locator("svg.bt-att-arcs text.bt-att-tok").all_text_contents() == [
        "Birds",
        "sing",
        "loudly",
        ".",
    ]
    assert page.locator(".bt-att-label").inner_text() == "sentence 2"

    # clicking a head-grid cell selects that layer and head, and outlines it
    page.click(".bt-att-cell[data-layer='0'][data-head='3']")
    assert page.input_value("select.bt-att-layer") == "0"
    assert page.input_value("select.bt-att-head") == "3"
    current = page.locator(".bt-att-cell.is-current")
    assert current.count() == 1
    assert current.get_attribute("data-layer") == "0" and current.get_attribute("data-head") == "3"

    # arrow keys on the grid move the current head
    page.focus(".bt-att-grid")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowLeft")
    assert page.input_value("select.bt-att-layer") == "1"
    assert page.input_value("select.bt-att-head") == "2"

    # the best-head picker sets layer and head
    page.select_option("select.bt-att-best", label="det \u2192 2-3")
    assert page.input_value("select.bt-att-layer") == "2"
    assert page.input_value("select.bt-att-head") == "3"
    assert page.get_attribute(".bt-att-cell.is-current", "data-layer") == "2"

    # the text filter narrows the item picker
    page.fill("input.bt-att-filter", "birds")
    assert page.locator("select.bt-att-item option").all_text_contents() == ["2. sentence 2"]
    page.fill("input.bt-att-filter", "dog")
    assert page.input_value("select.bt-att-item") == "0"
    assert page.locator(".bt-att-label").inner_text() == "sentence 1"
    assert_clean(o, path)


def test_heatmap_hover_shows_from_to_value(tmp_path, open_report):
    path = write_page(tmp_path, dependency_data())
    o = open_report(path)
    page = o.page
    g = page.evaluate(
        "() => { const v = window.bertologyAttention.viewers[0]; return [v.g.LW, v.g.LH, v.g.cell]; }"
    )
    lw, lh, cell = g
    # row 2 ("dog") -> column 3 ("chased")
    page.hover(
        "canvas.bt-att-heatmap-canvas",
        position={"x": lw + 3.5 * cell, "y": lh + 2.5 * cell},
    )
    tip = page.locator(".bt-att-tip")
    assert tip.is_visible()
    assert tip.inner_text().startswith("dog \u2192 chased: 0.")


def test_gold_arcs_drawn_when_gold_heads_given(tmp_path, open_report):
    path = write_page(tmp_path, dependency_data())
    o = open_report(path)
    page = o.page
    gold = page.locator("svg.bt-att-arcs path.bt-att-gold")
    assert gold.count() == len(GOLD)  # one per word; the root's is a short stub
    assert page.locator("svg.bt-att-arcs path.bt-att-gold.is-root").count() == 1
    pairs = {(int(p.get_attribute("data-i")), int(p.get_attribute("data-j"))) for p in gold.all()}
    assert pairs == {(i, g) for i, g in enumerate(GOLD)}
    stroke = gold.first.get_attribute("stroke")
    assert stroke != page.locator("svg.bt-att-arcs path.bt-att-arc").first.get_attribute("stroke")
    assert page.locator(".bt-att-legend-item.is-gold").is_visible()
    assert "gold" in page.locator(".bt-att-legend-item.is-gold").inner_text()

    # without gold heads: no gold arcs, no gold legend
    items = [{"id": "x", "label": "no parse", "tokens": SENTENCE}]
    path2 = write_page(tmp_path, make_data(items), name="nogold.html")
    page2 = open_report(path2).page
    assert page2.locator("svg.bt-att-arcs path.bt-att-gold").count() == 0
    assert not page2.locator(".bt-att-legend-item.is-gold").is_visible()
    assert page2.locator("svg.bt-att-arcs path.bt-att-arc").count() > 0


def test_injected_tokens_and_labels_are_text(tmp_path, open_report):
    label = " | ".join(INJECTIONS)
    tokens = ["a", *INJECTIONS, "end"]
    items = [
        {"id": INJECTIONS[1], "label": label, "tokens": tokens, "gold_heads": [1, -1, 1, 1, 1]},
        {"id": "plain", "label": INJECTIONS[0], "tokens": ["x", "y"], "gold_heads": [-1, 0]},
    ]
    data = make_data(items, best_heads={INJECTIONS[2]: [1, 1]})
    path = write_page(tmp_path, data)
    o = open_report(path)
    page = o.page
    assert page.get_attribute("div.bt-attention", "data-state") == "ready"
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    # no element was made from the data
    for tag in ("img", "b", "script"):
        assert page.locator(f"div.bt-attention {tag}").count() == 0, tag
    # ...which is shown as text instead
    assert page.locator(".bt-att-label").inner_text() == label
    body = page.inner_text("body")
    for s in INJECTIONS:
        assert s in body
    opts = page.locator("select.bt-att-item option").all_text_contents()
    assert opts == ["1. " + label, "2. " + INJECTIONS[0]]
    best = page.locator("select.bt-att-best option").all_text_contents()
    assert INJECTIONS[2] + " \u2192 1-1" in best
    toks = page.locator("svg.bt-att-arcs text.bt-att-tok").all_text_contents()
    assert INJECTIONS[2] in toks  # short enough to be shown whole
    assert "<img src=x oner\u2026" in toks  # long tokens are shortened in the arcs ...
    # ... and shown whole on hover
    page.hover("svg.bt-att-arcs text.bt-att-tok[data-tok='1']")
    assert INJECTIONS[0] in page.inner_text(".bt-att-tip")
    # and escaped in the SVG export
    with page.expect_download() as dl:
        page.click("button.bt-att-save-svg")
    svg = Path(dl.value.path()).read_text(encoding="utf-8")
    texts = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    for s in INJECTIONS:
        assert s in texts
    assert "<img" not in svg and "&lt;img src=x" in svg
    page.select_option("select.bt-att-item", "1")
    page.select_option("select.bt-att-best", "0")
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert_clean(o, path)


def test_long_input_is_lazy_and_fast(tmp_path, open_report):
    n = 512
    rng = np.random.default_rng(3)
    tokens = [f"w{i}" for i in range(n)]
    gold = [-1] + [int(rng.integers(0, n)) for _ in range(n - 1)]
    items = [{"id": "long", "label": "a 512-token document", "tokens": tokens, "gold_heads": gold}]
    path = write_page(tmp_path, make_data(items, layers=4, heads=4, best_heads={"x": [3, 3]}))
    o = open_report(path)
    page = o.page
    assert page.get_attribute("div.bt-attention", "data-state") == "ready"
    # only the selected heads were decoded
    assert page.evaluate("() => window.bertologyAttention.viewers[0].cache.size") == 1

    times = page.evaluate(
        """() => {
            const sel = document.querySelector('select.bt-att-head');
            const lay = document.querySelector('select.bt-att-layer');
            const out = [];
            for (const [l, h] of [[0, 0], [0, 1], [1, 2], [2, 3], [3, 0]]) {
                const t0 = performance.now();
                lay.value = String(l); lay.dispatchEvent(new Event('change'));
                sel.value = String(h); sel.dispatchEvent(new Event('change'));
                out.push(performance.now() - t0);
            }
            return out;
        }"""
    )
    assert max(times) < 1000, times
    # each change of layer or head decodes one matrix: 11 at most of the 16
    assert page.evaluate("() => window.bertologyAttention.viewers[0].cache.size") <= 11
    mount_ms = page.evaluate(
        """() => {
            const div = document.querySelector('div.bt-attention');
            const data = JSON.parse(document.getElementById(div.dataset.source).textContent);
            const t0 = performance.now();
            window.bertologyAttention.mount(div, data);
            return performance.now() - t0;
        }"""
    )
    assert mount_ms < 2000, mount_ms
    nodes = page.evaluate("() => document.getElementsByTagName('*').length")
    assert nodes < 5000, nodes

    # the heatmap canvas is the size of its box, not of the 512x512 matrix, and repaints on scroll
    size = page.evaluate(
        "() => { const c = document.querySelector('canvas.bt-att-heatmap-canvas');"
        " return [c.clientWidth, c.clientHeight]; }"
    )
    assert size[0] <= 1100 and size[1] <= 520
    before = canvas_png(page, "bt-att-heatmap-canvas")
    page.evaluate(
        "() => { const s = document.querySelector('.bt-att-heatmap'); s.scrollTop = 4000; s.scrollLeft = 3000; }"
    )
    page.wait_for_timeout(100)
    assert canvas_png(page, "bt-att-heatmap-canvas") != before

    # the arcs follow the scrolled range: the last tokens are drawn once scrolled to the end
    toks = page.locator("svg.bt-att-arcs text.bt-att-tok").all_text_contents()
    assert "w0" in toks and "w511" not in toks and len(toks) < 200
    page.evaluate(
        "() => { const s = document.querySelector('.bt-att-arcscroll'); s.scrollLeft = s.scrollWidth; }"
    )
    page.wait_for_timeout(150)
    toks = page.locator("svg.bt-att-arcs text.bt-att-tok").all_text_contents()
    assert "w511" in toks and "w0" not in toks
    assert page.locator("svg.bt-att-arcs path").count() < 1500
    assert page.evaluate("() => document.getElementsByTagName('*').length") < 5000
    assert_clean(o, path)


def test_mask_kind_shows_both_variants(tmp_path, open_report):
    path = write_page(tmp_path, mask_data())
    o = open_report(path)
    page = o.page
    for v in ("full", "subnetwork"):
        lab = page.locator(f".bt-att-compare .bt-att-vlabel[data-variant='{v}']")
        assert lab.is_visible() and lab.inner_text() == v
    assert page.locator(".bt-att-compare .bt-att-vlabel.is-diff").is_visible()
    # the compared row is the [MASK] position
    assert page.get_attribute("div.bt-attention", "data-focus") == "5"
    title = page.inner_text(".bt-att-compare-title")
    assert "[MASK]" in title and "full vs subnetwork" in title
    stats = page.inner_text(".bt-att-stats")
    assert "full: [MASK]" in stats and "subnetwork: [MASK]" in stats
    # both variant rows of the strip are painted, and differently
    rows = page.evaluate(
        """() => {
            const c = document.querySelector('canvas.bt-att-compare-canvas');
            const ctx = c.getContext('2d'); const r = devicePixelRatio || 1;
            const row = (k) => Array.from(ctx.getImageData(0, Math.round((k * 22 + 11) * r), c.width, 1).data);
            return [row(1), row(2)];
        }"""
    )
    full, sub = (np.array(r).reshape(-1, 4)[:, :3] for r in rows)
    assert (full < 240).any() and (sub < 240).any()
    assert not np.array_equal(full, sub)
    # the variant picker switches the heatmap between the two
    assert page.locator("select.bt-att-variant").is_visible()
    pixels = canvas_png(page, "bt-att-heatmap-canvas")
    choose(page, "bt-att-variant", "subnetwork")
    assert canvas_png(page, "bt-att-heatmap-canvas") != pixels
    assert page.get_attribute("div.bt-attention", "data-variant") == "subnetwork"
    # the next item's query row
    choose(page, "bt-att-item", "1")
    assert page.get_attribute("div.bt-attention", "data-focus") == "3"
    assert page.locator("svg.bt-att-arcs text.bt-att-tok.is-query").text_content() == "[MASK]"
    assert_clean(o, path)


def test_save_png_and_svg_download(tmp_path, open_report):
    import matplotlib.image as mpimg

    path = write_page(tmp_path, dependency_data())
    o = open_report(path)
    page = o.page
    with page.expect_download() as dl:
        page.click("button.bt-att-save-png")
    d = dl.value
    assert d.suggested_filename == "attention_s1_L1H2.png"
    png = Path(d.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(io.BytesIO(png), format="png")
    assert img.shape[0] > 11 * 8 and img.shape[1] > 11 * 8
    assert screenshot_not_blank(png) > 0.02

    with page.expect_download() as dl:
        page.click("button.bt-att-save-svg")
    d = dl.value
    assert d.suggested_filename.endswith("_heatmap.svg")
    root = ET.fromstring(Path(d.path()).read_bytes())
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == ns + "svg"
    assert len(list(root.iter(ns + "rect"))) >= len(SENTENCE) ** 2
    texts = [t.text for t in root.iter(ns + "text")]
    assert "chased" in texts and "yard" in texts

    with page.expect_download() as dl:
        page.click("button.bt-att-save-arcs")
    d = dl.value
    assert d.suggested_filename.endswith("_arcs.svg")
    root = ET.fromstring(Path(d.path()).read_bytes())
    texts = [t.text for t in root.iter(ns + "text")]
    assert "chased" in texts
    assert len(list(root.iter(ns + "path"))) > len(SENTENCE)
    assert_clean(o, path)


@pytest.mark.parametrize("kind", ["dependency", "mask"])
def test_screenshot_is_not_blank(tmp_path, open_report, kind):
    data = dependency_data() if kind == "dependency" else mask_data()
    path = write_page(tmp_path, data)
    o = open_report(path, width=1200, height=1000)
    page = o.page
    if kind == "dependency":
        page.click("svg.bt-att-arcs text.bt-att-tok[data-tok='3']")  # select "chased"
        assert page.get_attribute("div.bt-attention", "data-focus") == "3"
        assert page.locator("svg.bt-att-arcs path.bt-att-focus-arc").count() > 0
    png = page.screenshot(full_page=True)
    assert screenshot_not_blank(png) > 0.02
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = "attention_viewer.png" if kind == "dependency" else "attention_viewer_mask.png"
    (SCREENSHOTS / name).write_bytes(png)
    assert_clean(o, path)
