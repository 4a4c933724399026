/* bertology attention viewer: self-contained (no libraries, no network), inlined into report.html.
 *
 * The viewer is split into standalone scripts, attention-1-core.js, attention-2-….js, …, which
 * the page inlines in name order, each in its own script element, after the JSON data blocks.
 * They share one namespace: window.bertologyAttention, whose non-enumerable ._ holds the
 * internal parts (helpers, the Viewer class; later parts add Viewer methods with mixin); the last
 * part sets its public API {version, mount, mountAll, viewers} and mounts the viewers.
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

  const ns = {};
  Object.defineProperty(ns, "_", { value: {}, writable: false, enumerable: false, configurable: true });
  window.bertologyAttention = ns;

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

  /** Add the methods (and accessors) of class `part` to class `target`, as if written in it. */
  function mixin(target, part) {
    for (const k of Object.getOwnPropertyNames(part.prototype)) {
      if (k !== "constructor") Object.defineProperty(target.prototype, k, Object.getOwnPropertyDescriptor(part.prototype, k));
    }
  }

  Object.assign(ns._, {
    SVGNS,
    FONT_FAMILY,
    FONT,
    CACHE_MAX,
    MAX_OPTIONS,
    ARC_TOP,
    TOK_H,
    GOLD_H,
    ROW_H,
    PAD,
    ARC_MARGIN,
    HM_MAX_H,
    COLORS,
    el,
    svgEl,
    labelled,
    option,
    clamp,
    trunc,
    safeName,
    xmlEscape,
    fmtShort,
    b64bytes,
    download,
    BLUES,
    VIRIDIS,
    DIVERGING,
    isInt,
    validate,
    VirtualCanvas,
    mixin,
  });
})();
