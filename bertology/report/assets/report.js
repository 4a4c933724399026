/* bertology report: sortable, paginated tables and charts, from JSON data blocks.
   Data is read with JSON.parse and shown with textContent only: never run as code. */
(function () {
  "use strict";
  const bt = (window.bertology = window.bertology || {});
  bt.ready = false;

  function data(el) {
    const src = document.getElementById(el.dataset.source);
    return JSON.parse(src.textContent);
  }
  function node(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }
  function fmt(v, col) {
    if (v === null || v === undefined) return "–";
    if (typeof v === "number") {
      if (Number.isInteger(v)) return v.toLocaleString("en-US").replace(/,/g, ",");
      const d = col && col.digits !== undefined ? col.digits : 3;
      return v.toFixed(d);
    }
    if (Array.isArray(v)) return "[" + v.map((x) => fmt(x, col)).join(", ") + "]";
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }
  function cmp(a, b) {
    const na = a === null || a === undefined, nb = b === null || b === undefined;
    if (na || nb) return na === nb ? 0 : na ? 1 : -1; // missing values last
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  }

  /* A per-sample table: {columns: [{key, label, text?, digits?}], rows: [[...]], page_size} */
  function mountTable(el) {
    const spec = data(el);
    const cols = spec.columns;
    let rows = spec.rows.map((r, i) => ({ r, i }));
    let shown = rows, page = 0, size = spec.page_size || 25, sortCol = -1, dir = 1;
    const bar = node("div", "bt-pager");
    const filter = node("input");
    filter.type = "search";
    filter.placeholder = "filter rows…";
    filter.className = "bt-filter";
    const info = node("span", "bt-info");
    const prev = node("button", "bt-prev", "‹ prev");
    const next = node("button", "bt-next", "next ›");
    const sizeSel = node("select", "bt-size");
    for (const s of [10, 25, 100, 500]) {
      const o = node("option", null, s + " / page");
      o.value = String(s);
      if (s === size) o.selected = true;
      sizeSel.appendChild(o);
    }
    bar.append(filter, prev, next, info, sizeSel);
    const wrap = node("div", "bt-scroll");
    const table = node("table", "bt bt-sample");
    const thead = node("thead"), tbody = node("tbody");
    const htr = node("tr");
    cols.forEach((c, j) => {
      const th = node("th", "bt-sortable" + (c.text ? " bt-text" : ""), c.label || c.key);
      th.dataset.col = String(j);
      if (c.title) th.title = c.title;
      th.addEventListener("click", () => {
        dir = sortCol === j ? -dir : 1;
        sortCol = j;
        htr.querySelectorAll("th").forEach((t) => t.removeAttribute("data-dir"));
        th.dataset.dir = dir === 1 ? "asc" : "desc";
        shown.sort((x, y) => dir * cmp(x.r[j], y.r[j]) || x.i - y.i);
        page = 0;
        draw();
      });
      htr.appendChild(th);
    });
    thead.appendChild(htr);
    table.append(thead, tbody);
    wrap.appendChild(table);
    el.append(bar, wrap);

    function applyFilter() {
      const q = filter.value.trim().toLowerCase();
      shown = q ? rows.filter((x) => x.r.some((v) => fmt(v).toLowerCase().includes(q))) : rows.slice();
      if (sortCol >= 0) shown.sort((x, y) => dir * cmp(x.r[sortCol], y.r[sortCol]) || x.i - y.i);
      page = 0;
      draw();
    }
    function draw() {
      const pages = Math.max(1, Math.ceil(shown.length / size));
      page = Math.min(page, pages - 1);
      tbody.replaceChildren();
      for (const x of shown.slice(page * size, (page + 1) * size)) {
        const tr = node("tr");
        cols.forEach((c, j) => tr.appendChild(node("td", c.text ? "bt-text" : null, fmt(x.r[j], c))));
        tbody.appendChild(tr);
      }
      info.textContent = `${shown.length} of ${rows.length} rows · page ${page + 1} / ${pages}`;
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
    }
    filter.addEventListener("input", applyFilter);
    prev.addEventListener("click", () => { page--; draw(); });
    next.addEventListener("click", () => { page++; draw(); });
    sizeSel.addEventListener("change", () => { size = Number(sizeSel.value); page = 0; draw(); });
    rows = rows.slice();
    shown = rows.slice();
    draw();
  }

  /* The inline plotly bundle is gzip + base64: decompressed once, run from a blob: URL. */
  function loadPlotly() {
    if (window.Plotly) return Promise.resolve(window.Plotly);
    const block = document.getElementById("bt-plotly");
    if (!block) return Promise.reject(new Error("no chart library in this page"));
    if (typeof DecompressionStream === "undefined")
      return Promise.reject(new Error("this browser cannot decompress the inline chart library"));
    const bin = atob(block.textContent.trim());
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(
      (code) =>
        new Promise((resolve, reject) => {
          const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
          const s = document.createElement("script");
          s.onload = () => { URL.revokeObjectURL(url); resolve(window.Plotly); };
          s.onerror = () => reject(new Error("the chart library failed to load"));
          s.src = url;
          document.head.appendChild(s);
        })
    );
  }

  function mountCharts(els) {
    if (!els.length) return Promise.resolve();
    return loadPlotly().then(
      (Plotly) =>
        Promise.all(
          els.map((el) => {
            const spec = data(el);
            const filename = el.dataset.name || "figure";
            // the camera saves a PNG; a second button saves an SVG (both from the modebar)
            const config = Object.assign(
              { displaylogo: false, responsive: true,
                toImageButtonOptions: { format: "png", scale: 2, filename },
                showSendToCloud: false, showEditInChartStudio: false,
                modeBarButtonsToRemove: ["sendDataToCloud", "editInChartStudio"],
                modeBarButtonsToAdd: [{
                  name: "Download plot as SVG",
                  icon: Plotly.Icons.disk,
                  click: (gd) => Plotly.downloadImage(gd, { format: "svg", filename }),
                }] },
              spec.config || {}
            );
            return Plotly.newPlot(el, spec.data, spec.layout || {}, config);
          })
        ),
      (err) => {
        for (const el of els) el.appendChild(node("div", "bt-chart-msg", err.message + "; the PNG figures below show the same data."));
      }
    );
  }

  function init() {
    document.querySelectorAll("div.bt-table[data-source]").forEach(mountTable);
    const charts = Array.from(document.querySelectorAll("div.bt-chart[data-source]"));
    mountCharts(charts).finally(() => { bt.ready = true; });
  }
  bt.fmt = fmt;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
