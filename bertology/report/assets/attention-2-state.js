/* bertology attention viewer, part 2: the Viewer, its state, item filter, matrix decoding and render.
 * A standalone script sharing window.bertologyAttention._ with the other attention-*.js parts
 * (loaded in name order; see attention-1-core.js). */
(function () {
  "use strict";
  const ns = window.bertologyAttention;
  if (!ns || ns.version || !ns._) return; // inlined twice (already mounted), or no core part
  const _ = ns._;
  const { FONT, CACHE_MAX, MAX_OPTIONS, PAD, option, clamp, trunc, b64bytes, isInt } = _;

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
  }

  _.Viewer = Viewer;
})();
