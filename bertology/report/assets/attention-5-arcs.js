/* bertology attention viewer, part 5: the arcs SVG.
 * A standalone script sharing window.bertologyAttention._ with the other attention-*.js parts
 * (loaded in name order; see attention-1-core.js). */
(function () {
  "use strict";
  const ns = window.bertologyAttention;
  if (!ns || ns.version || !ns._) return; // inlined twice (already mounted), or no core part
  const _ = ns._;
  const { ARC_TOP, TOK_H, GOLD_H, ARC_MARGIN, COLORS, svgEl, isInt, mixin } = _;

  const Viewer = _.Viewer;

  mixin(Viewer, class {
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
  });
})();
