/* bertology attention viewer, part 7: mounting every div.bt-attention (the last part).
 * A standalone script sharing window.bertologyAttention._ with the other attention-*.js parts
 * (loaded in name order; see attention-1-core.js). */
(function () {
  "use strict";
  const ns = window.bertologyAttention;
  if (!ns || ns.version || !ns._) return; // inlined twice (already mounted), or no core part
  const _ = ns._;
  const { el, validate } = _;

  const Viewer = _.Viewer;

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

  // the public API, as in one script: {version, mount, mountAll, viewers} (._ stays non-enumerable)
  ns.version = 1;
  ns.mount = mount;
  ns.mountAll = mountAll;
  ns.viewers = viewers;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
