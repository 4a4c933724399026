/* bertology attention viewer: self-contained (no libraries, no network), inlined into report.html.
 *
 * Contract with the page:
 *   a script element of type application/json with id SOME-ID holding {"schema": 1, ...}
 *   (its "<" written as \u003c), and <div class="bt-attention" data-source="SOME-ID"></div>
 * Every div.bt-attention is mounted when the DOM is ready; window.bertologyAttention.mount(div, data)
 * mounts one by hand and returns the viewer (its .state, .select({...}), .lastRenderMs serve tests).
 *
 * Tokens, labels and ids are user data: they reach the page only through textContent, setAttribute
 * and canvas fillText, never as markup; the SVG exports XML-escape them.
 * Matrices are decoded lazily (only the heads looked at, with a small cache); the heatmap and the
 * variant comparison are canvases that paint only what is visible in their scrolling box, and the
 * arc view draws only the tokens in view (plus a margin), each with its top-k attention arcs.
 */
(function () {
  "use strict";
  if (window.bertologyAttention && window.bertologyAttention.version) return; // inlined twice

  const SVGNS = "http://www.w3.org/2000/svg";
  const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  const FONT = "12px " + FONT_FAMILY;
  const CACHE_MAX = 48; // decoded matrices kept (a 512-token matrix is 256 KiB)
  const MAX_OPTIONS = 1000; // items listed in the picker at once; the filter narrows the rest
  const ARC_TOP = 150; // px above the token row for attention arcs
  const TOK_H = 24; // px of the token row
  const GOLD_H = 84; // px below the token row for gold dependency arcs
  const ROW_H = 22; // px per row of the variant comparison
  const PAD = 8; // px before the first token
  const ARC_MARGIN = 24; // tokens drawn beyond each side of the visible range
  const HM_MAX_H = 520; // px, the heatmap's scrolling box (CSS max-height)
  const COLORS = {
    att: "#1f6feb",
    focus: "#d1242f",
    gold: "#e36209",
    hover: "#111111",
  };

  // ---------------------------------------------------------------- small helpers

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function svgEl(tag, attrs) {
    const e = document.createElementNS(SVGNS, tag);
    if (attrs) for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
    return e;
  }

  function labelled(text, control) {
    const lab = el("label", "bt-att-field");
    lab.appendChild(el("span", "bt-att-field-name", text));
    lab.appendChild(control);
    return lab;
  }

  function option(value, text) {
    const o = document.createElement("option");
    o.value = String(value);
    o.textContent = String(text);
    return o;
  }

  function clamp(x, lo, hi) {
    return x < lo ? lo : x > hi ? hi : x;
  }

  function trunc(s, max) {
    s = String(s);
    return s.length > max ? s.slice(0, max - 1) + "\u2026" : s;
  }

  function safeName(s) {
    return String(s).replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 60) || "item";
  }

  const XML_BAD = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

  function xmlEscape(s) {
    return String(s)
      .replace(XML_BAD, "\uFFFD")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&apos;");
  }

  function fmtShort(v) {
    if (v === null || v === undefined || !Number.isFinite(v)) return "\u2013";
    const a = Math.abs(v);
    if (a < 1) return (v < 0 ? "-" : "") + a.toFixed(2).slice(1);
    if (a < 10) return v.toFixed(1);
    return String(Math.round(v));
  }

  function b64bytes(s) {
    const bin = atob(s);
    const n = bin.length;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function download(filename, blob) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    a.style.display = "none";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () {
      a.remove();
      URL.revokeObjectURL(url);
    }, 2000);
  }

  function ramp(stops) {
    const css = new Array(256);
    const rgb = new Uint8Array(256 * 3);
    const dark = new Array(256);
    for (let i = 0; i < 256; i++) {
      const t = (i / 255) * (stops.length - 1);
      const k = Math.min(stops.length - 2, Math.floor(t));
      const f = t - k;
      const a = stops[k];
      const b = stops[k + 1];
      const r = Math.round(a[0] + (b[0] - a[0]) * f);
      const g = Math.round(a[1] + (b[1] - a[1]) * f);
      const bl = Math.round(a[2] + (b[2] - a[2]) * f);
      rgb[i * 3] = r;
      rgb[i * 3 + 1] = g;
      rgb[i * 3 + 2] = bl;
      css[i] = "rgb(" + r + "," + g + "," + bl + ")";
      dark[i] = 0.299 * r + 0.587 * g + 0.114 * bl < 140;
    }
    const gradient = "linear-gradient(to right," + [0, 64, 128, 192, 255].map((i) => css[i]).join(",") + ")";
    return { css: css, rgb: rgb, dark: dark, gradient: gradient };
  }

  const BLUES = ramp([
    [247, 251, 255],
    [198, 219, 239],
    [107, 174, 214],
    [33, 113, 181],
    [8, 48, 107],
  ]);
  const VIRIDIS = ramp([
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ]);
  const DIVERGING = ramp([
    [178, 24, 43],
    [244, 165, 130],
    [247, 247, 247],
    [146, 197, 222],
    [33, 102, 172],
  ]);

  function isInt(x) {
    return typeof x === "number" && Number.isInteger(x);
  }

  function validate(d) {
    if (!d || typeof d !== "object") return "the data is not a JSON object";
    if (d.schema !== 1) return "unsupported schema " + JSON.stringify(d.schema) + " (expected 1)";
    if (d.encoding !== undefined && d.encoding !== "uint8-base64")
      return "unsupported encoding " + JSON.stringify(d.encoding);
    if (!isInt(d.layers) || d.layers < 1 || !isInt(d.heads) || d.heads < 1)
      return "layers and heads must be positive integers";
    if (!Array.isArray(d.items)) return "items must be a list";
    if (d.items.length === 0) return "no items to show";
    if (d.variants !== undefined && (!Array.isArray(d.variants) || d.variants.length === 0))
      return "variants must be a non-empty list";
    for (let k = 0; k < d.items.length; k++) {
      const it = d.items[k];
      if (!it || !Array.isArray(it.tokens) || !it.attention || typeof it.attention !== "object")
        return "item " + k + " has no tokens or attention";
    }
    return null;
  }

  // ---------------------------------------------------------------- a canvas painting only its visible part

  class VirtualCanvas {
    constructor(scrollClass, canvasClass, paint) {
      this.el = el("div", "bt-att-scroll " + scrollClass);
      this.sizer = el("div", "bt-att-sizer");
      this.canvas = el("canvas", "bt-att-canvas " + canvasClass);
      this.sizer.appendChild(this.canvas);
      this.el.appendChild(this.sizer);
      this.ctx = this.canvas.getContext("2d");
      this.paintFn = paint;
      this.w = 0;
      this.h = 0;
      this.vw = 0;
      this.vh = 0;
      this.raf = 0;
      this.el.addEventListener("scroll", () => this.schedule(), { passive: true });
    }

    setSize(w, h) {
      w = Math.max(1, Math.ceil(w));
      h = Math.max(1, Math.ceil(h));
      if (w !== this.w) {
        this.w = w;
        this.sizer.style.width = w + "px";
      }
      if (h !== this.h) {
        this.h = h;
        this.sizer.style.height = h + "px";
      }
    }

    schedule() {
      if (!this.raf)
        this.raf = requestAnimationFrame(() => {
          this.raf = 0;
          this.paint();
        });
    }

    cancel() {
      if (this.raf) cancelAnimationFrame(this.raf);
      this.raf = 0;
    }

    paint() {
      const cw = this.el.clientWidth || 1000;
      const ch = this.el.clientHeight || HM_MAX_H;
      const vw = Math.max(1, Math.min(this.w, cw));
      const vh = Math.max(1, Math.min(this.h, ch));
      const dpr = Math.min(3, window.devicePixelRatio || 1);
      const W = Math.round(vw * dpr);
      const H = Math.round(vh * dpr);
      if (this.canvas.width !== W || this.canvas.height !== H) {
        this.canvas.width = W;
        this.canvas.height = H;
      }
      this.canvas.style.width = vw + "px";
      this.canvas.style.height = vh + "px";
      this.vw = vw;
      this.vh = vh;
      const ctx = this.ctx;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      this.paintFn(ctx, this.el.scrollLeft, this.el.scrollTop, vw, vh);
    }
  }

  // ---------------------------------------------------------------- the viewer

  const measureCtx = document.createElement("canvas").getContext("2d");

  class Viewer {
    constructor(root, data) {
      this.root = root;
      this.data = data;
      this.L = data.layers;
      this.H = data.heads;
      this.items = data.items;
      this.kind = data.kind === "mask" ? "mask" : "dependency";
      this.variants = Array.isArray(data.variants) && data.variants.length ? data.variants.map(String) : ["full"];
      this.cache = new Map();
      this.layouts = new Map();
      this.searchText = new Map();
      this.best = [];
      const bh = data.best_heads && typeof data.best_heads === "object" ? data.best_heads : {};
      for (const label of Object.keys(bh)) {
        const v = bh[label];
        if (Array.isArray(v) && isInt(v[0]) && isInt(v[1]) && v[0] >= 0 && v[0] < this.L && v[1] >= 0 && v[1] < this.H)
          this.best.push({ label: label, layer: v[0], head: v[1] });
      }
      this.scores = this.readScores(data.head_scores);
      this.st = {
        item: 0,
        variant: this.variants[0],
        layer: this.best.length ? this.best[0].layer : 0,
        head: this.best.length ? this.best[0].head : 0,
        best: this.best.length ? 0 : -1,
        focus: null,
        hover: null,
        topk: 3,
        thresh: 0.05,
        zoom: "auto",
      };
      this.matches = this.items.map((_, k) => k);
      this.lastRenderMs = 0;
      this.heatKey = null;
      this.heatImg = document.createElement("canvas");
      this.arcRange = null;
      this.cur = null;
      this.build();
      this.fillItemOptions();
      this.enterItem(0);
      this.render();
      if (typeof ResizeObserver === "function") {
        this.lastWidth = this.hmPanel.clientWidth;
        this.ro = new ResizeObserver(() => {
          const w = this.hmPanel.clientWidth;
          if (w === this.lastWidth) return;
          this.lastWidth = w;
          if (this.roRaf) return;
          this.roRaf = requestAnimationFrame(() => {
            this.roRaf = 0;
            this.render();
          });
        });
        this.ro.observe(this.hmPanel);
      }
    }

    get state() {
      const s = this.st;
      return {
        item: s.item,
        itemId: String(this.items[s.item].id),
        variant: s.variant,
        layer: s.layer,
        head: s.head,
        focus: s.focus,
        topk: s.topk,
        thresh: s.thresh,
        zoom: s.zoom,
        n: this.items[s.item].tokens.length,
        lastRenderMs: this.lastRenderMs,
      };
    }

    destroy() {
      if (this.ro) this.ro.disconnect();
      this.hm.cancel();
      this.cmp.cancel();
      if (this.arcRaf) cancelAnimationFrame(this.arcRaf);
    }

    readScores(hs) {
      if (!hs || !Array.isArray(hs.values)) return null;
      const vals = [];
      let lo = Infinity;
      let hi = -Infinity;
      for (let l = 0; l < this.L; l++) {
        const row = Array.isArray(hs.values[l]) ? hs.values[l] : [];
        const r = [];
        for (let h = 0; h < this.H; h++) {
          const v = typeof row[h] === "number" && Number.isFinite(row[h]) ? row[h] : null;
          if (v !== null) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
          r.push(v);
        }
        vals.push(r);
      }
      if (lo === Infinity) return null;
      return { name: String(hs.name || "score"), values: vals, lo: lo, hi: hi };
    }

    // ------------------------------------------------------------ DOM

    build() {
      const root = this.root;
      root.classList.add("bt-att");
      const head = el("div", "bt-att-header");
      head.appendChild(el("span", "bt-att-title", this.kind === "mask" ? "Attention from the [MASK] position" : "Word-level attention"));
      const meta = [String(this.data.model || "model"), this.L + " layers \u00d7 " + this.H + " heads", this.items.length + (this.items.length === 1 ? " item" : " items")];
      head.appendChild(el("span", "bt-att-meta", meta.join(" \u00b7 ")));
      root.appendChild(head);

      // controls
      const c = el("div", "bt-att-controls");
      this.filter = el("input", "bt-att-filter");
      this.filter.type = "search";
      this.filter.placeholder = "filter items\u2026";
      this.filter.setAttribute("aria-label", "filter items");
      this.filter.addEventListener("input", () => this.applyFilter());
      c.appendChild(this.filter);
      this.prevBtn = el("button", "bt-att-prev", "\u2039");
      this.prevBtn.type = "button";
      this.prevBtn.title = "previous item";
      this.prevBtn.addEventListener("click", () => this.stepItem(-1));
      this.itemSel = el("select", "bt-att-item");
      this.itemSel.setAttribute("aria-label", "item");
      this.itemSel.addEventListener("change", () => {
        const k = parseInt(this.itemSel.value, 10);
        if (k >= 0) this.select({ item: k });
      });
      this.nextBtn = el("button", "bt-att-next", "\u203a");
      this.nextBtn.type = "button";
      this.nextBtn.title = "next item";
      this.nextBtn.addEventListener("click", () => this.stepItem(1));
      c.appendChild(this.prevBtn);
      c.appendChild(this.itemSel);
      c.appendChild(this.nextBtn);
      this.count = el("span", "bt-att-count");
      c.appendChild(this.count);

      this.variantSel = el("select", "bt-att-variant");
      this.variants.forEach((v) => this.variantSel.appendChild(option(v, v)));
      this.variantSel.addEventListener("change", () => this.select({ variant: this.variantSel.value }));
      const vf = labelled("variant", this.variantSel);
      if (this.variants.length < 2) vf.hidden = true;
      c.appendChild(vf);

      this.layerSel = el("select", "bt-att-layer");
      for (let l = 0; l < this.L; l++) this.layerSel.appendChild(option(l, l));
      this.layerSel.addEventListener("change", () => this.select({ layer: parseInt(this.layerSel.value, 10) }));
      c.appendChild(labelled("layer", this.layerSel));
      this.headSel = el("select", "bt-att-head");
      for (let h = 0; h < this.H; h++) this.headSel.appendChild(option(h, h));
      this.headSel.addEventListener("change", () => this.select({ head: parseInt(this.headSel.value, 10) }));
      c.appendChild(labelled("head", this.headSel));

      this.bestSel = el("select", "bt-att-best");
      this.bestSel.appendChild(option(-1, this.best.length ? "\u2014" : "(none)"));
      this.best.forEach((b, k) => this.bestSel.appendChild(option(k, b.label + " \u2192 " + b.layer + "-" + b.head)));
      this.bestSel.disabled = this.best.length === 0;
      this.bestSel.addEventListener("change", () => {
        const k = parseInt(this.bestSel.value, 10);
        if (k >= 0) this.select({ layer: this.best[k].layer, head: this.best[k].head, best: k });
      });
      c.appendChild(labelled("best head for", this.bestSel));
      root.appendChild(c);

      const info = el("div", "bt-att-info");
      this.labelEl = el("span", "bt-att-label");
      this.statsEl = el("span", "bt-att-stats");
      info.appendChild(this.labelEl);
      info.appendChild(this.statsEl);
      root.appendChild(info);
      this.msg = el("div", "bt-att-msg");
      this.msg.hidden = true;
      root.appendChild(this.msg);

      // head grid + heatmap
      const main = el("div", "bt-att-main");
      const side = el("div", "bt-att-side");
      side.appendChild(el("div", "bt-att-subtitle", this.scores ? "Heads by " + this.scores.name : "Heads"));
      const gw = el("div", "bt-att-gridwrap");
      this.grid = this.buildGrid();
      gw.appendChild(this.grid);
      side.appendChild(gw);
      if (this.scores) {
        const sc = el("div", "bt-att-scale");
        sc.appendChild(el("span", null, fmtShort(this.scores.lo)));
        const bar = el("span", "bt-att-cbar");
        bar.style.background = VIRIDIS.gradient;
        sc.appendChild(bar);
        sc.appendChild(el("span", null, fmtShort(this.scores.hi)));
        side.appendChild(sc);
      }
      side.appendChild(el("div", "bt-att-hint", "click a cell to show that head; arrow keys move"));
      main.appendChild(side);

      this.hmPanel = el("div", "bt-att-hm");
      const bar = el("div", "bt-att-bar");
      this.hmTitle = el("span", "bt-att-hm-title");
      bar.appendChild(this.hmTitle);
      const cb = el("span", "bt-att-scale");
      cb.appendChild(el("span", null, "0"));
      const cbar = el("span", "bt-att-cbar");
      cbar.style.background = BLUES.gradient;
      cb.appendChild(cbar);
      this.hmMax = el("span", "bt-att-hm-max");
      cb.appendChild(this.hmMax);
      bar.appendChild(cb);
      this.zoomSel = el("select", "bt-att-zoom");
      [
        ["auto", "auto"],
        ["fit", "fit all"],
        ["4", "4 px"],
        ["8", "8 px"],
        ["12", "12 px"],
        ["16", "16 px"],
        ["24", "24 px"],
      ].forEach((z) => this.zoomSel.appendChild(option(z[0], z[1])));
      this.zoomSel.addEventListener("change", () => this.select({ zoom: this.zoomSel.value }));
      bar.appendChild(labelled("cells", this.zoomSel));
      const png = el("button", "bt-att-save-png", "Save PNG");
      png.type = "button";
      png.title = "the whole matrix as a PNG image";
      png.addEventListener("click", () => this.savePNG());
      const svg = el("button", "bt-att-save-svg", "Save SVG");
      svg.type = "button";
      svg.title = "the heatmap cells in view as an SVG document";
      svg.addEventListener("click", () => this.saveHeatmapSVG());
      bar.appendChild(png);
      bar.appendChild(svg);
      this.hmPanel.appendChild(bar);
      this.hm = new VirtualCanvas("bt-att-heatmap", "bt-att-heatmap-canvas", (ctx, sx, sy, vw, vh) => this.paintHeatmap(ctx, sx, sy, vw, vh));
      this.hm.canvas.addEventListener("mousemove", (e) => this.onHeatHover(e));
      this.hm.canvas.addEventListener("mouseleave", () => {
        this.st.hover = null;
        this.hideTip();
        this.hm.schedule();
      });
      this.hm.canvas.addEventListener("click", (e) => {
        const cell = this.heatCellAt(e.offsetX, e.offsetY);
        if (cell) this.select({ focus: cell[0] === this.st.focus ? null : cell[0] });
      });
      this.hmPanel.appendChild(this.hm.el);
      this.hmHint = el("div", "bt-att-hint", "");
      this.hmPanel.appendChild(this.hmHint);
      main.appendChild(this.hmPanel);
      root.appendChild(main);

      // arcs
      const ap = el("div", "bt-att-panel bt-att-arcs-panel");
      const abar = el("div", "bt-att-bar");
      abar.appendChild(el("span", "bt-att-subtitle", "Arcs over the sentence"));
      this.topkSel = el("select", "bt-att-topk");
      [1, 2, 3, 5, 10].forEach((k) => this.topkSel.appendChild(option(k, k)));
      this.topkSel.value = String(this.st.topk);
      this.topkSel.addEventListener("change", () => this.select({ topk: parseInt(this.topkSel.value, 10) }));
      abar.appendChild(labelled("top-k per token", this.topkSel));
      this.threshIn = el("input", "bt-att-thresh");
      this.threshIn.type = "number";
      this.threshIn.min = "0";
      this.threshIn.max = "1";
      this.threshIn.step = "0.01";
      this.threshIn.value = String(this.st.thresh);
      this.threshIn.addEventListener("change", () => {
        const t = parseFloat(this.threshIn.value);
        if (Number.isFinite(t)) this.select({ thresh: clamp(t, 0, 1) });
      });
      abar.appendChild(labelled("min weight", this.threshIn));
      const asvg = el("button", "bt-att-save-arcs", "Save SVG");
      asvg.type = "button";
      asvg.title = "the arcs in view as an SVG document";
      asvg.addEventListener("click", () => this.saveArcsSVG());
      abar.appendChild(asvg);
      ap.appendChild(abar);
      const arow = el("div", "bt-att-row");
      const legend = el("div", "bt-att-gutter bt-att-legend");
      this.legendGold = null;
      const addLegend = (cls, text) => {
        const item = el("div", "bt-att-legend-item " + cls);
        item.appendChild(el("span", "bt-att-swatch"));
        item.appendChild(el("span", null, text));
        legend.appendChild(item);
        return item;
      };
      addLegend("is-att", "attention (opacity \u221d weight)");
      addLegend("is-focus", "selected token");
      this.legendGold = addLegend("is-gold", "gold arc (dependent \u2192 head)");
      legend.appendChild(el("div", "bt-att-legend-note", "\u25cf marks the attended end"));
      arow.appendChild(legend);
      this.arcScroll = el("div", "bt-att-scroll bt-att-arcscroll");
      this.arcSvg = svgEl("svg", { class: "bt-att-arcs", role: "img" });
      this.arcScroll.appendChild(this.arcSvg);
      this.arcScroll.addEventListener("scroll", () => this.onArcScroll(), { passive: true });
      this.arcSvg.addEventListener("click", (e) => {
        const t = e.target.closest ? e.target.closest("[data-tok]") : null;
        if (t) {
          const i = parseInt(t.getAttribute("data-tok"), 10);
          this.select({ focus: i === this.st.focus ? null : i });
        }
      });
      this.arcSvg.addEventListener("mousemove", (e) => this.onArcHover(e));
      this.arcSvg.addEventListener("mouseleave", () => this.hideTip());
      arow.appendChild(this.arcScroll);
      ap.appendChild(arow);
      root.appendChild(ap);

      // variant comparison of one row
      const cp = el("div", "bt-att-panel bt-att-compare");
      const cbar2 = el("div", "bt-att-bar");
      this.cmpTitle = el("span", "bt-att-subtitle bt-att-compare-title");
      cbar2.appendChild(this.cmpTitle);
      cp.appendChild(cbar2);
      const crow = el("div", "bt-att-row");
      const cg = el("div", "bt-att-gutter bt-att-vlabels");
      cg.appendChild(el("div", "bt-att-vlabel is-tokens", "token"));
      this.variants.forEach((v) => {
        const d = el("div", "bt-att-vlabel", v);
        d.setAttribute("data-variant", v);
        d.title = v;
        cg.appendChild(d);
      });
      if (this.variants.length > 1) {
        const d = el("div", "bt-att-vlabel is-diff", "\u0394 " + this.variants[this.variants.length - 1] + " \u2212 " + this.variants[0]);
        d.title = d.textContent;
        cg.appendChild(d);
      }
      crow.appendChild(cg);
      this.cmp = new VirtualCanvas("bt-att-cmpscroll", "bt-att-compare-canvas", (ctx, sx, sy, vw, vh) => this.paintCompare(ctx, sx, sy, vw, vh));
      this.cmp.canvas.setAttribute("data-variants", this.variants.join(","));
      this.cmp.canvas.addEventListener("mousemove", (e) => this.onCompareHover(e));
      this.cmp.canvas.addEventListener("mouseleave", () => this.hideTip());
      this.cmp.el.addEventListener("scroll", () => {
        if (this.arcScroll.scrollLeft !== this.cmp.el.scrollLeft) this.arcScroll.scrollLeft = this.cmp.el.scrollLeft;
      }, { passive: true });
      crow.appendChild(this.cmp.el);
      cp.appendChild(crow);
      root.appendChild(cp);

      this.tip = el("div", "bt-att-tip");
      this.tip.hidden = true;
      root.appendChild(this.tip);
    }

    buildGrid() {
      const g = el("div", "bt-att-grid");
      g.tabIndex = 0;
      g.setAttribute("aria-label", "heads: arrow keys change layer and head");
      g.style.gridTemplateColumns = "22px repeat(" + this.H + ", minmax(24px, 1fr))";
      g.appendChild(el("div", "bt-att-gh", "L\\H"));
      for (let h = 0; h < this.H; h++) g.appendChild(el("div", "bt-att-gh", h));
      this.cells = [];
      const bestAt = new Map();
      this.best.forEach((b) => {
        const k = b.layer + "," + b.head;
        bestAt.set(k, (bestAt.get(k) || []).concat([b.label]));
      });
      const sc = this.scores;
      for (let l = 0; l < this.L; l++) {
        g.appendChild(el("div", "bt-att-gh", l));
        const row = [];
        for (let h = 0; h < this.H; h++) {
          const v = sc ? sc.values[l][h] : null;
          const cell = el("div", "bt-att-cell", sc ? fmtShort(v) : "");
          cell.setAttribute("data-layer", l);
          cell.setAttribute("data-head", h);
          let title = "layer " + l + ", head " + h;
          if (sc) title += ": " + sc.name + " = " + (v === null ? "n/a" : v.toFixed(4));
          if (v !== null && sc) {
            const t = sc.hi > sc.lo ? (v - sc.lo) / (sc.hi - sc.lo) : 1;
            const idx = Math.round(t * 255);
            cell.style.background = VIRIDIS.css[idx];
            cell.style.color = VIRIDIS.dark[idx] ? "#fff" : "#111";
          } else if (sc) {
            cell.classList.add("is-missing");
          }
          const bl = bestAt.get(l + "," + h);
          if (bl) {
            cell.classList.add("is-best");
            title += "\nbest head for: " + bl.join(", ");
          }
          cell.title = title;
          g.appendChild(cell);
          row.push(cell);
        }
        this.cells.push(row);
      }
      g.addEventListener("click", (e) => {
        const cell = e.target.closest ? e.target.closest(".bt-att-cell") : null;
        if (!cell) return;
        this.select({ layer: parseInt(cell.getAttribute("data-layer"), 10), head: parseInt(cell.getAttribute("data-head"), 10) });
      });
      g.addEventListener("keydown", (e) => {
        const d = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[e.key];
        if (!d) return;
        e.preventDefault();
        this.select({ layer: clamp(this.st.layer + d[0], 0, this.L - 1), head: clamp(this.st.head + d[1], 0, this.H - 1) });
      });
      return g;
    }

    // ------------------------------------------------------------ items and filter

    itemText(k) {
      const it = this.items[k];
      return k + 1 + ". " + trunc(it.label !== undefined && it.label !== null && it.label !== "" ? it.label : it.id, 100);
    }

    fillItemOptions() {
      const sel = this.itemSel;
      sel.replaceChildren();
      const shown = this.matches.slice(0, MAX_OPTIONS);
      if (shown.length === 0) {
        const o = option(-1, "(no item matches)");
        o.disabled = true;
        sel.appendChild(o);
      }
      const frag = document.createDocumentFragment();
      for (const k of shown) frag.appendChild(option(k, this.itemText(k)));
      sel.appendChild(frag);
      sel.value = String(this.st.item);
      let txt = this.matches.length === this.items.length ? this.items.length + " items" : this.matches.length + " of " + this.items.length;
      if (this.matches.length > MAX_OPTIONS) txt += " (first " + MAX_OPTIONS + " listed)";
      this.count.textContent = txt;
    }

    applyFilter() {
      const q = this.filter.value.trim().toLowerCase();
      const out = [];
      for (let k = 0; k < this.items.length; k++) {
        if (!q) {
          out.push(k);
          continue;
        }
        let s = this.searchText.get(k);
        if (s === undefined) {
          const it = this.items[k];
          s = [String(it.id), String(it.label || ""), it.tokens.join(" ")].join("\n").toLowerCase();
          this.searchText.set(k, s);
        }
        if (s.indexOf(q) >= 0) out.push(k);
      }
      this.matches = out;
      if (out.length && out.indexOf(this.st.item) < 0) {
        this.enterItem(out[0]);
        this.fillItemOptions();
        this.render();
      } else {
        this.fillItemOptions();
      }
    }

    stepItem(d) {
      const list = this.matches.length ? this.matches : this.items.map((_, k) => k);
      let pos = list.indexOf(this.st.item);
      pos = pos < 0 ? 0 : clamp(pos + d, 0, list.length - 1);
      this.select({ item: list[pos] });
    }

    enterItem(k) {
      this.st.item = k;
      const it = this.items[k];
      this.st.focus = this.kind === "mask" && isInt(it.query) && it.query >= 0 && it.query < it.tokens.length ? it.query : null;
      this.st.hover = null;
      this.arcRange = null;
    }

    // ------------------------------------------------------------ state changes

    /** Change any of item, variant, layer, head, focus, topk, thresh, zoom, best; then redraw. */
    select(p) {
      const t0 = performance.now();
      const s = this.st;
      if (p.item !== undefined && p.item !== s.item && p.item >= 0 && p.item < this.items.length) {
        this.enterItem(p.item);
        this.itemSel.value = String(p.item);
        if (this.itemSel.value !== String(p.item)) {
          this.filter.value = "";
          this.matches = this.items.map((_, k) => k);
          this.fillItemOptions();
        }
      }
      if (p.variant !== undefined && this.variants.indexOf(p.variant) >= 0) s.variant = p.variant;
      if (p.layer !== undefined && p.layer >= 0 && p.layer < this.L) s.layer = p.layer;
      if (p.head !== undefined && p.head >= 0 && p.head < this.H) s.head = p.head;
      if (p.focus !== undefined) {
        const n = this.items[s.item].tokens.length;
        s.focus = p.focus === null || !(p.focus >= 0 && p.focus < n) ? null : p.focus;
      }
      if (p.topk !== undefined && p.topk > 0) s.topk = p.topk;
      if (p.thresh !== undefined) s.thresh = p.thresh;
      if (p.zoom !== undefined) s.zoom = String(p.zoom);
      if (p.best !== undefined) s.best = p.best;
      else if (p.layer !== undefined || p.head !== undefined) {
        const b = this.best[s.best];
        if (!b || b.layer !== s.layer || b.head !== s.head) s.best = this.best.findIndex((x) => x.layer === s.layer && x.head === s.head);
      }
      this.render(t0);
    }

    matrix(itemIdx, variant, layer, head) {
      const key = itemIdx + "|" + variant + "|" + layer + "|" + head;
      let m = this.cache.get(key);
      if (m) {
        this.cache.delete(key);
        this.cache.set(key, m);
        return m;
      }
      const it = this.items[itemIdx];
      const n = it.tokens.length;
      const per = it.attention[variant];
      const b64 = Array.isArray(per) && Array.isArray(per[layer]) ? per[layer][head] : undefined;
      if (typeof b64 !== "string") throw new Error("no attention for variant \u201c" + variant + "\u201d, layer " + layer + ", head " + head);
      let bytes;
      try {
        bytes = b64bytes(b64);
      } catch (e) {
        throw new Error("the attention of layer " + layer + ", head " + head + " is not valid base64");
      }
      if (bytes.length !== n * n)
        throw new Error("layer " + layer + ", head " + head + ": " + bytes.length + " bytes, expected " + n + "\u00d7" + n + " = " + n * n);
      let max = 0;
      for (let i = 0; i < bytes.length; i++) if (bytes[i] > max) max = bytes[i];
      m = { bytes: bytes, n: n, max: max, key: key };
      this.cache.set(key, m);
      while (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value);
      return m;
    }

    layout(k) {
      let lay = this.layouts.get(k);
      if (lay) return lay;
      const toks = this.items[k].tokens;
      const n = toks.length;
      measureCtx.font = FONT;
      const ws = new Float64Array(n);
      const lefts = new Float64Array(n + 1);
      const labels = new Array(n);
      let maxW = 0;
      lefts[0] = PAD;
      for (let i = 0; i < n; i++) {
        const lab = trunc(toks[i], 16);
        labels[i] = lab;
        const w = measureCtx.measureText(lab).width;
        if (w > maxW) maxW = w;
        ws[i] = clamp(Math.ceil(w) + 12, 26, 140);
        lefts[i + 1] = lefts[i] + ws[i];
      }
      lay = { ws: ws, lefts: lefts, labels: labels, total: lefts[n] + PAD, maxLabel: maxW };
      this.layouts.set(k, lay);
      if (this.layouts.size > 64) this.layouts.delete(this.layouts.keys().next().value);
      return lay;
    }

    tok(i) {
      const t = this.items[this.st.item].tokens[i];
      return t === undefined ? "?" : String(t);
    }

    // ------------------------------------------------------------ rendering

    render(t0) {
      if (t0 === undefined) t0 = performance.now();
      const s = this.st;
      const it = this.items[s.item];
      // controls
      if (this.itemSel.value !== String(s.item)) this.itemSel.value = String(s.item);
      this.variantSel.value = s.variant;
      this.layerSel.value = String(s.layer);
      this.headSel.value = String(s.head);
      this.bestSel.value = String(s.best);
      this.zoomSel.value = s.zoom;
      this.topkSel.value = String(s.topk);
      const pos = this.matches.indexOf(s.item);
      this.prevBtn.disabled = pos <= 0;
      this.nextBtn.disabled = pos < 0 || pos >= this.matches.length - 1;
      if (this.curCell) this.curCell.classList.remove("is-current");
      this.curCell = this.cells[s.layer][s.head];
      this.curCell.classList.add("is-current");
      const ds = this.root.dataset;
      ds.item = String(s.item);
      ds.variant = s.variant;
      ds.layer = String(s.layer);
      ds.head = String(s.head);
      ds.focus = s.focus === null ? "" : String(s.focus);
      this.labelEl.textContent = it.label !== undefined && it.label !== null && it.label !== "" ? String(it.label) : String(it.id);
      this.labelEl.title = "id: " + String(it.id);
      this.legendGold.hidden = !Array.isArray(it.gold_heads);
      this.hmHint.textContent = "rows attend (from) \u2192 columns (to)" + (Array.isArray(it.gold_heads) ? "; orange outline: gold head" : "") + "; hover for values, click a row to select its token";

      try {
        this.cur = this.matrix(s.item, s.variant, s.layer, s.head);
        this.others = this.variants.map((v) => {
          try {
            return this.matrix(s.item, v, s.layer, s.head);
          } catch (e) {
            return null;
          }
        });
        this.msg.hidden = true;
        this.msg.textContent = "";
      } catch (e) {
        this.cur = null;
        this.others = this.variants.map(() => null);
        this.msg.hidden = false;
        this.msg.textContent = String(e && e.message ? e.message : e);
      }
      this.buildHeatImage();
      this.layoutHeatmap();
      this.hm.paint();
      this.arcRange = null;
      this.renderArcs();
      this.renderCompare();
      this.renderStats();
      this.lastRenderMs = performance.now() - t0;
      this.root.setAttribute("data-render-ms", this.lastRenderMs.toFixed(1));
    }

    renderStats() {
      const s = this.st;
      const it = this.items[s.item];
      const m = this.cur;
      const n = it.tokens.length;
      const parts = [n + " tokens"];
      if (m && Array.isArray(it.gold_heads)) {
        let hit = 0;
        let tot = 0;
        const b = m.bytes;
        for (let i = 0; i < n; i++) {
          const g = it.gold_heads[i];
          if (!isInt(g) || g < 0 || g >= n) continue;
          tot++;
          let arg = 0;
          for (let j = 1; j < n; j++) if (b[i * n + j] > b[i * n + arg]) arg = j;
          if (arg === g) hit++;
        }
        if (tot) parts.push("this head: most-attended word = gold head for " + hit + "/" + tot + " words");
      }
      const q = s.focus;
      if (q !== null) {
        this.variants.forEach((v, k) => {
          const o = this.others[k];
          if (!o) return;
          let arg = 0;
          for (let j = 1; j < n; j++) if (o.bytes[q * n + j] > o.bytes[q * n + arg]) arg = j;
          parts.push((this.variants.length > 1 ? v + ": " : "") + trunc(this.tok(q), 20) + " \u2192 " + trunc(this.tok(arg), 20) + " (" + (o.bytes[q * n + arg] / 255).toFixed(2) + ")");
        });
      }
      this.statsEl.textContent = parts.join(" \u00b7 ");
    }

    // ------------------------------------------------------------ heatmap

    buildHeatImage() {
      const m = this.cur;
      if (!m) {
        this.heatKey = null;
        return;
      }
      if (this.heatKey === m.key) return;
      const n = m.n;
      const c = this.heatImg;
      if (c.width !== n || c.height !== n) {
        c.width = Math.max(1, n);
        c.height = Math.max(1, n);
      }
      if (n === 0) return;
      const ctx = c.getContext("2d");
      const img = ctx.createImageData(n, n);
      const px = img.data;
      const b = m.bytes;
      const scale = m.max > 0 ? 255 / m.max : 0;
      const rgb = BLUES.rgb;
      for (let p = 0, q = 0; p < b.length; p++, q += 4) {
        const i3 = Math.round(b[p] * scale) * 3;
        px[q] = rgb[i3];
        px[q + 1] = rgb[i3 + 1];
        px[q + 2] = rgb[i3 + 2];
        px[q + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      this.heatKey = m.key;
    }

    layoutHeatmap() {
      const s = this.st;
      const n = this.items[s.item].tokens.length;
      const lay = this.layout(s.item);
      const avail = Math.max(120, (this.hmPanel.clientWidth || 700) - 4);
      const labelW = Math.min(130, Math.ceil(lay.maxLabel) + 12);
      let cell;
      let LW = labelW;
      let LH = labelW;
      if (s.zoom === "fit") {
        cell = Math.min((avail - LW) / Math.max(1, n), (HM_MAX_H - LH - 2) / Math.max(1, n));
        if (cell < 8) {
          LW = 34;
          LH = 20;
          cell = Math.min((avail - LW) / Math.max(1, n), (HM_MAX_H - LH - 2) / Math.max(1, n));
        }
        cell = clamp(cell, 0.25, 32);
      } else if (s.zoom === "auto") {
        cell = clamp(Math.floor((avail - LW) / Math.max(1, n)), 14, 30);
      } else {
        cell = clamp(parseFloat(s.zoom) || 14, 1, 64);
      }
      if (cell < 8) {
        LW = 34;
        LH = 20;
      }
      this.g = { cell: cell, LW: LW, LH: LH, labels: cell >= 8, n: n };
      this.hm.setSize(LW + n * cell + 1, LH + n * cell + 1);
      const m = this.cur;
      this.hmTitle.textContent = "layer " + s.layer + ", head " + s.head + (this.variants.length > 1 ? " \u00b7 " + s.variant : "");
      this.hmMax.textContent = m ? (m.max / 255).toFixed(3) : "\u2013";
    }

    visibleCells(sx, sy, vw, vh) {
      const g = this.g;
      const n = g.n;
      return {
        i0: clamp(Math.floor(sy / g.cell), 0, n),
        i1: clamp(Math.ceil((sy + vh - g.LH) / g.cell), 0, n),
        j0: clamp(Math.floor(sx / g.cell), 0, n),
        j1: clamp(Math.ceil((sx + vw - g.LW) / g.cell), 0, n),
      };
    }

    /** Paint the matrix: column 0 of the cells at x = ox, row 0 at y = oy; labels in bands. */
    paintMatrix(ctx, o) {
      const g = this.g;
      const cell = o.cell;
      const it = this.items[this.st.item];
      const lay = this.layout(this.st.item);
      const { i0, i1, j0, j1 } = o;
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, o.vw, o.vh);
      ctx.save();
      ctx.beginPath();
      ctx.rect(o.LW, o.top + o.LH, o.vw - o.LW, o.vh - o.top - o.LH);
      ctx.clip();
      if (this.cur && i1 > i0 && j1 > j0) {
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(this.heatImg, j0, i0, j1 - j0, i1 - i0, o.ox + j0 * cell, o.oy + i0 * cell, (j1 - j0) * cell, (i1 - i0) * cell);
        if (cell >= 10) {
          ctx.strokeStyle = "rgba(255,255,255,0.6)";
          ctx.lineWidth = 1;
          ctx.beginPath();
          for (let j = j0; j <= j1; j++) {
            const x = Math.round(o.ox + j * cell) + 0.5;
            ctx.moveTo(x, o.oy + i0 * cell);
            ctx.lineTo(x, o.oy + i1 * cell);
          }
          for (let i = i0; i <= i1; i++) {
            const y = Math.round(o.oy + i * cell) + 0.5;
            ctx.moveTo(o.ox + j0 * cell, y);
            ctx.lineTo(o.ox + j1 * cell, y);
          }
          ctx.stroke();
        }
        // gold heads: the cell (dependent, head) outlined
        if (Array.isArray(it.gold_heads) && cell >= 4) {
          ctx.strokeStyle = COLORS.gold;
          ctx.lineWidth = cell >= 6 ? 2 : 1;
          for (let i = i0; i < i1; i++) {
            const gh = it.gold_heads[i];
            if (!isInt(gh) || gh < j0 || gh >= j1) continue;
            const inset = cell >= 6 ? 1 : 0;
            ctx.strokeRect(o.ox + gh * cell + inset, o.oy + i * cell + inset, Math.max(1, cell - 2 * inset), Math.max(1, cell - 2 * inset));
          }
        }
        const f = this.st.focus;
        if (f !== null && f >= i0 && f < i1) {
          ctx.strokeStyle = COLORS.focus;
          ctx.lineWidth = 2;
          ctx.strokeRect(o.ox + j0 * cell + 1, o.oy + f * cell, (j1 - j0) * cell - 2, cell);
        }
        const hv = o.hover;
        if (hv) {
          ctx.strokeStyle = COLORS.hover;
          ctx.lineWidth = 1.5;
          ctx.strokeRect(o.ox + hv[1] * cell, o.oy + hv[0] * cell, cell, cell);
        }
      }
      ctx.restore();
      // label bands
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, o.top, o.vw, o.LH);
      ctx.fillRect(0, o.top, o.LW, o.vh - o.top);
      ctx.fillStyle = "#24292f";
      if (g.labels && o.labels !== false && cell >= 8) {
        const fs = Math.min(12, Math.floor(cell) - 1);
        ctx.font = fs + "px " + FONT_FAMILY;
        ctx.textBaseline = "middle";
        ctx.textAlign = "right";
        for (let i = i0; i < i1; i++) {
          const y = o.oy + (i + 0.5) * cell;
          if (y < o.top + o.LH - cell || y > o.vh + cell) continue;
          ctx.fillStyle = i === this.st.focus ? COLORS.focus : "#24292f";
          ctx.fillText(lay.labels[i], o.LW - 4, y, o.LW - 6);
        }
        ctx.save();
        ctx.beginPath();
        ctx.rect(o.LW, o.top, o.vw - o.LW, o.LH);
        ctx.clip();
        ctx.fillStyle = "#24292f";
        ctx.textAlign = "left";
        for (let j = j0; j < j1; j++) {
          const x = o.ox + (j + 0.5) * cell;
          ctx.save();
          ctx.translate(x, o.top + o.LH - 4);
          ctx.rotate(-Math.PI / 2);
          ctx.fillText(lay.labels[j], 0, 0, o.LH - 6);
          ctx.restore();
        }
        ctx.restore();
      } else {
        // cells too small for words: token indices every `step`
        ctx.font = "10px " + FONT_FAMILY;
        ctx.textBaseline = "middle";
        const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].find((k) => k * cell >= 28) || 1000;
        ctx.textAlign = "right";
        for (let i = Math.ceil(i0 / step) * step; i < i1; i += step) ctx.fillText(String(i), o.LW - 3, o.oy + (i + 0.5) * cell);
        ctx.textAlign = "center";
        ctx.save();
        ctx.beginPath();
        ctx.rect(o.LW, o.top, o.vw - o.LW, o.LH);
        ctx.clip();
        for (let j = Math.ceil(j0 / step) * step; j < j1; j += step) ctx.fillText(String(j), o.ox + (j + 0.5) * cell, o.top + o.LH / 2);
        ctx.restore();
      }
      ctx.fillStyle = "#6e7781";
      ctx.font = "10px " + FONT_FAMILY;
      ctx.textAlign = "left";
      ctx.textBaseline = "alphabetic";
      if (g.labels && o.LW >= 30 && o.LH >= 30) {
        ctx.fillText("to \u2192", 3, o.top + 12);
        ctx.fillText("from \u2193", 3, o.top + o.LH - 3);
      }
    }

    paintHeatmap(ctx, sx, sy, vw, vh) {
      const g = this.g;
      if (!g) return;
      const v = this.visibleCells(sx, sy, vw, vh);
      this.paintMatrix(ctx, Object.assign(v, { cell: g.cell, LW: g.LW, LH: g.LH, top: 0, ox: g.LW - sx, oy: g.LH - sy, vw: vw, vh: vh, hover: this.st.hover }));
    }

    heatCellAt(x, y) {
      const g = this.g;
      if (!g || !this.cur || x < g.LW || y < g.LH) return null;
      const j = Math.floor((x - g.LW + this.hm.el.scrollLeft) / g.cell);
      const i = Math.floor((y - g.LH + this.hm.el.scrollTop) / g.cell);
      if (i < 0 || j < 0 || i >= g.n || j >= g.n) return null;
      return [i, j];
    }

    onHeatHover(e) {
      const c = this.heatCellAt(e.offsetX, e.offsetY);
      const prev = this.st.hover;
      if (!c) {
        this.hideTip();
        if (prev) {
          this.st.hover = null;
          this.hm.schedule();
        }
        return;
      }
      const m = this.cur;
      const w = m.bytes[c[0] * m.n + c[1]] / 255;
      this.showTip(this.tok(c[0]) + " \u2192 " + this.tok(c[1]) + ": " + w.toFixed(3) + "   (#" + c[0] + " \u2192 #" + c[1] + ")", e.clientX, e.clientY);
      if (!prev || prev[0] !== c[0] || prev[1] !== c[1]) {
        this.st.hover = c;
        this.hm.schedule();
      }
    }

    showTip(text, cx, cy) {
      const r = this.root.getBoundingClientRect();
      this.tip.textContent = text;
      this.tip.hidden = false;
      let x = cx - r.left + 14;
      const tw = this.tip.offsetWidth;
      if (x + tw > r.width) x = Math.max(0, cx - r.left - tw - 10);
      this.tip.style.left = x + "px";
      this.tip.style.top = cy - r.top + 16 + "px";
    }

    hideTip() {
      this.tip.hidden = true;
    }

    // ------------------------------------------------------------ arcs

    arcVisibleRange() {
      const lay = this.layout(this.st.item);
      const n = this.items[this.st.item].tokens.length;
      const sl = this.arcScroll.scrollLeft;
      const cw = this.arcScroll.clientWidth || 1000;
      const lefts = lay.lefts;
      const find = (x) => {
        let lo = 0;
        let hi = n;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (lefts[mid + 1] <= x) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
      const a = find(sl);
      const b = Math.min(n, find(sl + cw) + 1);
      return [a, b];
    }

    /** The arcs of the current view as drawing primitives (shared by the SVG view and its export). */
    arcScene(i0, i1) {
      const s = this.st;
      const it = this.items[s.item];
      const n = it.tokens.length;
      const lay = this.layout(s.item);
      const m = this.cur;
      const hasGold = Array.isArray(it.gold_heads);
      const base = ARC_TOP;
      const textY = base + 16;
      const under = base + TOK_H;
      const height = under + (hasGold ? GOLD_H : 8);
      const cx = (i) => lay.lefts[i] + lay.ws[i] / 2;
      const att = [];
      const gold = [];
      const focusArcs = [];
      const tokens = [];
      const a = Math.max(0, i0 - ARC_MARGIN);
      const b = Math.min(n, i1 + ARC_MARGIN);
      const thr = Math.round(s.thresh * 255);
      const arcUp = (i, j, w, cls, color) => {
        const x1 = cx(i) + (j > i ? 3 : j < i ? -3 : 0);
        const x2 = cx(j) + (j > i ? -3 : 3);
        const hgt = Math.min(ARC_TOP - 10, 8 + Math.abs(x2 - x1) * 0.32) / 0.75;
        const y = base;
        return {
          cls: cls,
          i: i,
          j: j,
          w: w,
          d: "M" + x1.toFixed(1) + "," + y + " C" + x1.toFixed(1) + "," + (y - hgt).toFixed(1) + " " + x2.toFixed(1) + "," + (y - hgt).toFixed(1) + " " + x2.toFixed(1) + "," + y,
          x2: x2,
          y2: y,
          color: color,
          opacity: 0.12 + 0.88 * w,
          width: 0.6 + 3.4 * w,
        };
      };
      if (m) {
        const bytes = m.bytes;
        const k = s.topk;
        for (let i = a; i < b; i++) {
          if (i === s.focus) continue;
          // top-k of row i above the threshold (k is small: a partial selection)
          const top = [];
          const row = i * n;
          for (let j = 0; j < n; j++) {
            const v = bytes[row + j];
            if (v < thr || v === 0) continue;
            if (top.length < k) {
              top.push(j);
              top.sort((p, q) => bytes[row + q] - bytes[row + p]);
            } else if (v > bytes[row + top[k - 1]]) {
              top[k - 1] = j;
              top.sort((p, q) => bytes[row + q] - bytes[row + p]);
            }
          }
          for (const j of top) att.push(arcUp(i, j, bytes[row + j] / 255, "bt-att-arc", COLORS.att));
        }
        att.sort((p, q) => p.w - q.w);
        if (s.focus !== null) {
          const row = s.focus * n;
          const js = [];
          for (let j = 0; j < n; j++) if (bytes[row + j] >= thr && bytes[row + j] > 0) js.push(j);
          js.sort((p, q) => bytes[row + q] - bytes[row + p]);
          for (const j of js.slice(0, 64).reverse()) {
            const fa = arcUp(s.focus, j, bytes[row + j] / 255, "bt-att-arc bt-att-focus-arc", COLORS.focus);
            fa.opacity = 0.3 + 0.7 * fa.w;
            focusArcs.push(fa);
          }
        }
      }
      if (hasGold) {
        for (let i = a; i < b; i++) {
          const g = it.gold_heads[i];
          if (!isInt(g) || g >= n) continue;
          const x1 = cx(i);
          if (g < 0) {
            gold.push({ cls: "bt-att-gold is-root", i: i, j: -1, d: "M" + x1.toFixed(1) + "," + under + " L" + x1.toFixed(1) + "," + (under + 22), x2: x1, y2: under + 22, color: COLORS.gold });
            continue;
          }
          const x2 = cx(g);
          const hgt = Math.min(GOLD_H - 10, 8 + Math.abs(x2 - x1) * 0.3) / 0.75;
          gold.push({
            cls: "bt-att-gold",
            i: i,
            j: g,
            d: "M" + x1.toFixed(1) + "," + under + " C" + x1.toFixed(1) + "," + (under + hgt).toFixed(1) + " " + x2.toFixed(1) + "," + (under + hgt).toFixed(1) + " " + x2.toFixed(1) + "," + under,
            x2: x2,
            y2: under,
            color: COLORS.gold,
          });
        }
      }
      for (let i = a; i < b; i++) tokens.push({ i: i, x: cx(i), y: textY, text: lay.labels[i], w: lay.ws[i], left: lay.lefts[i] });
      return { width: lay.total, height: height, base: base, under: under, att: att, gold: gold, focus: focusArcs, tokens: tokens, range: [a, b] };
    }

    renderArcs() {
      const svg = this.arcSvg;
      const s = this.st;
      const it = this.items[s.item];
      const range = this.arcVisibleRange();
      const sc = this.arcScene(range[0], range[1]);
      this.arcRange = sc.range;
      this.arcSceneCache = sc;
      svg.setAttribute("width", String(Math.ceil(sc.width)));
      svg.setAttribute("height", String(sc.height));
      svg.setAttribute("viewBox", "0 0 " + Math.ceil(sc.width) + " " + sc.height);
      const frag = document.createDocumentFragment();
      const gBase = svgEl("line", { x1: 0, x2: Math.ceil(sc.width), y1: sc.base + 0.5, y2: sc.base + 0.5, class: "bt-att-baseline" });
      frag.appendChild(gBase);
      const drawArcs = (list, group, dot) => {
        const g = svgEl("g", { class: group });
        for (const a of list) {
          const p = svgEl("path", { d: a.d, class: a.cls, stroke: a.color, fill: "none", "data-i": a.i, "data-j": a.j });
          if (a.opacity !== undefined) {
            p.setAttribute("stroke-opacity", a.opacity.toFixed(3));
            p.setAttribute("stroke-width", a.width.toFixed(2));
            p.setAttribute("data-w", a.w.toFixed(3));
          }
          g.appendChild(p);
          if (dot) g.appendChild(svgEl("circle", { cx: a.x2.toFixed(1), cy: a.y2, r: 2.2, fill: a.color, "fill-opacity": a.opacity !== undefined ? a.opacity.toFixed(3) : 1 }));
        }
        frag.appendChild(g);
      };
      drawArcs(sc.gold, "bt-att-gold-arcs", true);
      drawArcs(sc.att, "bt-att-att-arcs", true);
      drawArcs(sc.focus, "bt-att-focus-arcs", true);
      const gt = svgEl("g", { class: "bt-att-tokens" });
      for (const t of sc.tokens) {
        let cls = "bt-att-tok";
        if (t.i === s.focus) cls += " is-focus";
        if (this.kind === "mask" && t.i === it.query) cls += " is-query";
        const r = svgEl("rect", { x: t.left + 1, y: sc.base + 3, width: t.w - 2, height: TOK_H - 5, rx: 3, class: "bt-att-tokbg" + (t.i === s.focus ? " is-focus" : ""), "data-tok": t.i });
        gt.appendChild(r);
        const tx = svgEl("text", { x: t.x.toFixed(1), y: sc.base + 16, "text-anchor": "middle", class: cls, "data-tok": t.i });
        tx.textContent = t.text;
        gt.appendChild(tx);
      }
      frag.appendChild(gt);
      svg.replaceChildren(frag);
    }

    onArcScroll() {
      if (this.cmp.el.scrollLeft !== this.arcScroll.scrollLeft) this.cmp.el.scrollLeft = this.arcScroll.scrollLeft;
      if (this.arcRaf) return;
      this.arcRaf = requestAnimationFrame(() => {
        this.arcRaf = 0;
        const r = this.arcVisibleRange();
        const have = this.arcRange;
        // redraw when the view nears the edge of the drawn margin
        const n = this.items[this.st.item].tokens.length;
        const nearLeft = have && r[0] - have[0] < ARC_MARGIN / 2 && have[0] > 0;
        const nearRight = have && have[1] - r[1] < ARC_MARGIN / 2 && have[1] < n;
        if (!have || nearLeft || nearRight) this.renderArcs();
      });
    }

    onArcHover(e) {
      const t = e.target;
      if (!t || !t.getAttribute) return this.hideTip();
      if (t.hasAttribute("data-tok")) {
        const i = parseInt(t.getAttribute("data-tok"), 10);
        return this.showTip("#" + i + ": " + this.tok(i) + " (click to select)", e.clientX, e.clientY);
      }
      if (t.hasAttribute("data-j")) {
        const i = parseInt(t.getAttribute("data-i"), 10);
        const j = parseInt(t.getAttribute("data-j"), 10);
        if (t.classList.contains("bt-att-gold")) return this.showTip("gold: " + this.tok(i) + " \u2192 " + (j < 0 ? "ROOT" : this.tok(j)), e.clientX, e.clientY);
        return this.showTip(this.tok(i) + " \u2192 " + this.tok(j) + ": " + t.getAttribute("data-w"), e.clientX, e.clientY);
      }
      this.hideTip();
    }

    // ------------------------------------------------------------ variant comparison of one row

    compareRow() {
      const it = this.items[this.st.item];
      if (this.st.focus !== null) return this.st.focus;
      if (isInt(it.query) && it.query >= 0 && it.query < it.tokens.length) return it.query;
      return 0;
    }

    renderCompare() {
      const s = this.st;
      const n = this.items[s.item].tokens.length;
      const lay = this.layout(s.item);
      const q = this.compareRow();
      let max = 0;
      this.others.forEach((o) => {
        if (!o || q >= n) return;
        for (let j = 0; j < n; j++) max = Math.max(max, o.bytes[q * n + j]);
      });
      this.cmpMax = max;
      const rows = 1 + this.variants.length + (this.variants.length > 1 ? 1 : 0);
      this.cmp.setSize(lay.total, rows * ROW_H);
      this.cmp.el.scrollLeft = this.arcScroll.scrollLeft;
      this.cmpTitle.textContent =
        "Attention from \u201c" + trunc(this.tok(q), 40) + "\u201d (#" + q + ")" + (this.variants.length > 1 ? ", " + this.variants.join(" vs ") : "") + " \u00b7 layer " + s.layer + ", head " + s.head + " \u00b7 colour up to " + (max / 255).toFixed(3) + (s.focus === null && !isInt(this.items[s.item].query) ? " \u00b7 click a token to pick the row" : "");
      this.cmp.paint();
    }

    paintCompare(ctx, sx, sy, vw, vh) {
      const s = this.st;
      const it = this.items[s.item];
      const n = it.tokens.length;
      const lay = this.layout(s.item);
      const q = this.compareRow();
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, vw, vh);
      let a = 0;
      while (a < n && lay.lefts[a + 1] < sx) a++;
      ctx.font = FONT;
      ctx.textBaseline = "middle";
      ctx.textAlign = "center";
      const max = this.cmpMax || 1;
      const V = this.variants.length;
      for (let j = a; j < n && lay.lefts[j] < sx + vw; j++) {
        const x = lay.lefts[j] - sx;
        const w = lay.ws[j];
        ctx.fillStyle = j === q ? COLORS.focus : "#24292f";
        ctx.font = (j === q ? "bold " : "") + FONT;
        ctx.fillText(lay.labels[j], x + w / 2, ROW_H / 2, w - 4);
        ctx.font = "11px " + FONT_FAMILY;
        const vals = [];
        for (let k = 0; k < V; k++) {
          const o = this.others[k];
          const y = (k + 1) * ROW_H;
          if (!o) {
            ctx.fillStyle = "#eaeef2";
            ctx.fillRect(x + 1, y + 1, w - 2, ROW_H - 2);
            vals.push(null);
            continue;
          }
          const b = o.bytes[q * n + j];
          vals.push(b);
          const idx = Math.round((b / max) * 255);
          ctx.fillStyle = BLUES.css[clamp(idx, 0, 255)];
          ctx.fillRect(x + 1, y + 1, w - 2, ROW_H - 2);
          if (w >= 24) {
            ctx.fillStyle = BLUES.dark[clamp(idx, 0, 255)] ? "#fff" : "#24292f";
            ctx.fillText(fmtShort(b / 255), x + w / 2, y + ROW_H / 2);
          }
        }
        if (V > 1) {
          const y = (V + 1) * ROW_H;
          const p = vals[0];
          const r = vals[V - 1];
          if (p === null || r === null) continue;
          const d = (r - p) / max;
          const idx = clamp(Math.round(((d + 1) / 2) * 255), 0, 255);
          ctx.fillStyle = DIVERGING.css[idx];
          ctx.fillRect(x + 1, y + 1, w - 2, ROW_H - 2);
          if (w >= 24) {
            ctx.fillStyle = DIVERGING.dark[idx] ? "#fff" : "#24292f";
            ctx.fillText((r >= p ? "+" : "") + fmtShort((r - p) / 255), x + w / 2, y + ROW_H / 2);
          }
        }
      }
    }

    onCompareHover(e) {
      const s = this.st;
      const n = this.items[s.item].tokens.length;
      const lay = this.layout(s.item);
      const x = e.offsetX + this.cmp.el.scrollLeft;
      let j = 0;
      while (j < n && lay.lefts[j + 1] <= x) j++;
      if (j >= n) return this.hideTip();
      const q = this.compareRow();
      const parts = this.variants.map((v, k) => {
        const o = this.others[k];
        return v + " " + (o ? (o.bytes[q * n + j] / 255).toFixed(3) : "n/a");
      });
      this.showTip(this.tok(q) + " \u2192 " + this.tok(j) + ": " + parts.join(", "), e.clientX, e.clientY);
    }

    // ------------------------------------------------------------ export

    fileStem() {
      const s = this.st;
      const it = this.items[s.item];
      return "attention_" + safeName(it.id) + "_L" + s.layer + "H" + s.head + (this.variants.length > 1 ? "_" + safeName(s.variant) : "");
    }

    titleText() {
      const s = this.st;
      const it = this.items[s.item];
      return String(this.data.model || "") + " \u00b7 " + String(it.label || it.id) + " \u00b7 layer " + s.layer + ", head " + s.head + (this.variants.length > 1 ? " (" + s.variant + ")" : "");
    }

    /** The whole matrix (not only what is in view) as a PNG: labels when the cells are large enough. */
    savePNG() {
      const m = this.cur;
      if (!m) return;
      const n = m.n;
      const saved = this.g;
      const cell = clamp(Math.floor(2400 / Math.max(1, n)), 1, 24);
      const lay = this.layout(this.st.item);
      const labels = cell >= 8;
      const LW = labels ? Math.min(130, Math.ceil(lay.maxLabel) + 12) : 34;
      const LH = labels ? LW : 20;
      const TOP = 26;
      const W = Math.max(LW + n * cell + 12, 360);
      const H = TOP + LH + n * cell + 34;
      const c = document.createElement("canvas");
      c.width = W;
      c.height = H;
      const ctx = c.getContext("2d");
      this.g = Object.assign({}, saved, { cell: cell, LW: LW, LH: LH, labels: labels });
      try {
        this.paintMatrix(ctx, { i0: 0, i1: n, j0: 0, j1: n, cell: cell, LW: LW, LH: LH, top: TOP, ox: LW, oy: TOP + LH, vw: W, vh: H - 34, hover: null });
      } finally {
        this.g = saved;
      }
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, W, TOP);
      ctx.fillRect(0, H - 34, W, 34);
      ctx.fillStyle = "#24292f";
      ctx.font = "bold 13px " + FONT_FAMILY;
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      ctx.fillText(trunc(this.titleText(), 120), 6, TOP / 2, W - 12);
      const grad = ctx.createLinearGradient(LW, 0, LW + 160, 0);
      [0, 64, 128, 192, 255].forEach((i) => grad.addColorStop(i / 255, BLUES.css[i]));
      ctx.fillStyle = grad;
      ctx.fillRect(LW, H - 24, 160, 10);
      ctx.fillStyle = "#24292f";
      ctx.font = "11px " + FONT_FAMILY;
      ctx.fillText("0", LW - 10, H - 19);
      ctx.fillText((m.max / 255).toFixed(3) + "   rows attend to columns" + (Array.isArray(this.items[this.st.item].gold_heads) ? "; orange = gold head" : ""), LW + 166, H - 19);
      const stem = this.fileStem();
      c.toBlob((blob) => {
        if (blob) download(stem + ".png", blob);
      }, "image/png");
    }

    svgDoc(w, h, body) {
      return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="' +
        w +
        '" height="' +
        h +
        '" viewBox="0 0 ' +
        w +
        " " +
        h +
        '" font-family="system-ui, sans-serif">\n<rect width="100%" height="100%" fill="#fff"/>\n<text x="6" y="16" font-size="13" font-weight="bold" fill="#24292f">' +
        xmlEscape(this.titleText()) +
        "</text>\n" +
        body +
        "</svg>\n"
      );
    }

    /** The heatmap cells in view, with their token labels, as an SVG document. */
    saveHeatmapSVG() {
      const m = this.cur;
      if (!m) return;
      const g = this.g;
      const n = m.n;
      const it = this.items[this.st.item];
      const sx = this.hm.el.scrollLeft;
      const sy = this.hm.el.scrollTop;
      const { i0, i1, j0, j1 } = this.visibleCells(sx, sy, this.hm.vw, this.hm.vh);
      const cell = Math.max(g.cell, 1);
      const LW = g.labels ? g.LW : 34;
      const LH = g.labels ? g.LH : 20;
      const TOP = 24;
      const w = Math.ceil(LW + (j1 - j0) * cell + 8);
      const h = Math.ceil(TOP + LH + (i1 - i0) * cell + 8);
      const out = [];
      const X = (j) => (LW + (j - j0) * cell).toFixed(2);
      const Y = (i) => (TOP + LH + (i - i0) * cell).toFixed(2);
      const scale = m.max > 0 ? 255 / m.max : 0;
      const cw = cell.toFixed(2);
      if ((i1 - i0) * (j1 - j0) <= 65536) {
        out.push('<g class="cells" shape-rendering="crispEdges">');
        for (let i = i0; i < i1; i++) {
          for (let j = j0; j < j1; j++) {
            const b = m.bytes[i * n + j];
            out.push('<rect x="' + X(j) + '" y="' + Y(i) + '" width="' + cw + '" height="' + cw + '" fill="' + BLUES.css[Math.round(b * scale)] + '"><title>' + (b / 255).toFixed(3) + "</title></rect>");
          }
        }
        out.push("</g>");
      } else {
        const c = document.createElement("canvas");
        c.width = j1 - j0;
        c.height = i1 - i0;
        c.getContext("2d").drawImage(this.heatImg, j0, i0, j1 - j0, i1 - i0, 0, 0, j1 - j0, i1 - i0);
        out.push('<image x="' + X(j0) + '" y="' + Y(i0) + '" width="' + ((j1 - j0) * cell).toFixed(2) + '" height="' + ((i1 - i0) * cell).toFixed(2) + '" preserveAspectRatio="none" style="image-rendering:pixelated" href="' + c.toDataURL("image/png") + '"/>');
      }
      if (Array.isArray(it.gold_heads)) {
        out.push('<g class="gold" fill="none" stroke="' + COLORS.gold + '" stroke-width="1.5">');
        for (let i = i0; i < i1; i++) {
          const gh = it.gold_heads[i];
          if (isInt(gh) && gh >= j0 && gh < j1) out.push('<rect x="' + X(gh) + '" y="' + Y(i) + '" width="' + cw + '" height="' + cw + '"/>');
        }
        out.push("</g>");
      }
      if (g.labels) {
        const fs = Math.min(12, Math.floor(cell) - 1);
        out.push('<g class="labels" font-size="' + fs + '" fill="#24292f">');
        for (let i = i0; i < i1; i++)
          out.push('<text x="' + (LW - 4) + '" y="' + (TOP + LH + (i - i0 + 0.5) * cell).toFixed(2) + '" text-anchor="end" dominant-baseline="middle">' + xmlEscape(this.tok(i)) + "</text>");
        for (let j = j0; j < j1; j++) {
          const x = (LW + (j - j0 + 0.5) * cell).toFixed(2);
          const y = TOP + LH - 4;
          out.push('<text transform="translate(' + x + "," + y + ') rotate(-90)" dominant-baseline="middle">' + xmlEscape(this.tok(j)) + "</text>");
        }
        out.push("</g>");
      }
      const doc = this.svgDoc(w, h, out.join("\n") + "\n");
      download(this.fileStem() + "_heatmap.svg", new Blob([doc], { type: "image/svg+xml" }));
    }

    /** The arcs in view (the scrolled window of the sentence) as an SVG document. */
    saveArcsSVG() {
      const sc = this.arcSceneCache;
      if (!sc) return;
      const s = this.st;
      const it = this.items[s.item];
      const sl = this.arcScroll.scrollLeft;
      const w = Math.ceil(Math.min(sc.width, this.arcScroll.clientWidth || sc.width));
      const TOP = 24;
      const h = sc.height + TOP;
      const out = ['<g transform="translate(' + -sl + "," + TOP + ')">'];
      out.push('<line x1="0" x2="' + Math.ceil(sc.width) + '" y1="' + (sc.base + 0.5) + '" y2="' + (sc.base + 0.5) + '" stroke="#d0d7de"/>');
      const arcs = (list) => {
        for (const a of list) {
          const op = a.opacity !== undefined ? a.opacity.toFixed(3) : "1";
          const sw = a.width !== undefined ? a.width.toFixed(2) : "1.5";
          out.push('<path d="' + a.d + '" fill="none" stroke="' + a.color + '" stroke-opacity="' + op + '" stroke-width="' + sw + '"/>');
          out.push('<circle cx="' + a.x2.toFixed(1) + '" cy="' + a.y2 + '" r="2.2" fill="' + a.color + '" fill-opacity="' + op + '"/>');
        }
      };
      arcs(sc.gold);
      arcs(sc.att);
      arcs(sc.focus);
      for (const t of sc.tokens) {
        const focus = t.i === s.focus;
        const bold = focus || (this.kind === "mask" && t.i === it.query);
        out.push(
          '<text x="' + t.x.toFixed(1) + '" y="' + (sc.base + 16) + '" text-anchor="middle" font-size="12" fill="' + (focus ? COLORS.focus : "#24292f") + '"' + (bold ? ' font-weight="bold"' : "") + ">" + xmlEscape(t.text) + "</text>"
        );
      }
      out.push("</g>");
      const ly = h - 6;
      out.push('<g font-size="10" fill="#57606a"><text x="6" y="' + ly + '"><tspan fill="' + COLORS.att + '">\u2501 attention</tspan>  <tspan fill="' + COLORS.focus + '">\u2501 selected token</tspan>' + (Array.isArray(it.gold_heads) ? '  <tspan fill="' + COLORS.gold + '">\u2501 gold dependency</tspan>' : "") + "</text></g>");
      const doc = this.svgDoc(w, h, out.join("\n") + "\n");
      download(this.fileStem() + "_arcs.svg", new Blob([doc], { type: "image/svg+xml" }));
    }
  }

  // ---------------------------------------------------------------- mounting

  const viewers = [];

  function mount(div, data) {
    if (!div || div.nodeType !== 1) throw new TypeError("bertologyAttention.mount: a DOM element is required");
    if (div.__btAttention) {
      div.__btAttention.destroy();
      const k = viewers.indexOf(div.__btAttention);
      if (k >= 0) viewers.splice(k, 1);
      div.__btAttention = null;
    }
    div.replaceChildren();
    div.classList.add("bt-att");
    let err;
    try {
      if (typeof data === "string") data = JSON.parse(data);
      err = validate(data);
    } catch (e) {
      err = "the data is not valid JSON (" + String(e && e.message ? e.message : e) + ")";
    }
    if (err) {
      div.appendChild(el("div", "bt-att-msg is-error", "Attention viewer: " + err));
      div.setAttribute("data-state", "error");
      return null;
    }
    const v = new Viewer(div, data);
    div.__btAttention = v;
    div.setAttribute("data-state", "ready");
    viewers.push(v);
    return v;
  }

  function mountAll() {
    const divs = document.querySelectorAll("div.bt-attention");
    for (const div of divs) {
      if (div.__btAttention || div.getAttribute("data-state")) continue;
      const id = div.getAttribute("data-source");
      const src = id ? document.getElementById(id) : null;
      if (!src) {
        div.classList.add("bt-att");
        div.appendChild(el("div", "bt-att-msg is-error", "Attention viewer: no data block with id \u201c" + String(id) + "\u201d"));
        div.setAttribute("data-state", "error");
        continue;
      }
      try {
        mount(div, src.textContent);
      } catch (e) {
        div.replaceChildren(el("div", "bt-att-msg is-error", "Attention viewer failed: " + String(e && e.message ? e.message : e)));
        div.setAttribute("data-state", "error");
      }
    }
  }

  window.bertologyAttention = { version: 1, mount: mount, mountAll: mountAll, viewers: viewers };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
