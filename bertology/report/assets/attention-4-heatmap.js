/* bertology attention viewer, part 4: the heatmap canvas.
 * A standalone script sharing window.bertologyAttention._ with the other attention-*.js parts
 * (loaded in name order; see attention-1-core.js). */
(function () {
  "use strict";
  const ns = window.bertologyAttention;
  if (!ns || ns.version || !ns._) return; // inlined twice (already mounted), or no core part
  const _ = ns._;
  const { FONT_FAMILY, HM_MAX_H, COLORS, clamp, BLUES, isInt, mixin } = _;

  const Viewer = _.Viewer;

  mixin(Viewer, class {
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
  });
})();
