/* bertology attention viewer, part 6: the variant comparison and the PNG/SVG export.
 * A standalone script sharing window.bertologyAttention._ with the other attention-*.js parts
 * (loaded in name order; see attention-1-core.js). */
(function () {
  "use strict";
  const ns = window.bertologyAttention;
  if (!ns || ns.version || !ns._) return; // inlined twice (already mounted), or no core part
  const _ = ns._;
  const { FONT_FAMILY, FONT, ROW_H, COLORS, clamp, trunc, safeName, xmlEscape, fmtShort, download, BLUES,
    DIVERGING, isInt, mixin } = _;

  const Viewer = _.Viewer;

  mixin(Viewer, class {
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
  });
})();
