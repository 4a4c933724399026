/* bertology attention viewer, part 3: the controls, the head grid and the tooltip.
 * A standalone script sharing window.bertologyAttention._ with the other attention-*.js parts
 * (loaded in name order; see attention-1-core.js). */
(function () {
  "use strict";
  const ns = window.bertologyAttention;
  if (!ns || ns.version || !ns._) return; // inlined twice (already mounted), or no core part
  const _ = ns._;
  const { el, svgEl, labelled, option, clamp, fmtShort, BLUES, VIRIDIS, VirtualCanvas, mixin } = _;

  const Viewer = _.Viewer;

  mixin(Viewer, class {
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
  });
})();
