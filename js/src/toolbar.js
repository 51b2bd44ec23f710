// @ts-check
/**
 * The toolbar above a chart: Zoom reset, a Log scale box per y axis, the Smoothing
 * slider, Save PNG, Save CSV, and the status line. Each control has an accessible name
 * (the browser tests and screen readers find them by it).
 */

/** @typedef {import("./chart.js").Chart} Chart */

export class Toolbar {
  /**
   * @param {Chart} chart @param {HTMLElement} el where the toolbar goes
   * @param {() => void} savePng what Save PNG does (the view knows the figure on screen)
   */
  constructor(chart, el, savePng) {
    this.chart = chart;
    this.savePng = savePng;
    this.el = el.ownerDocument.createElement("div");
    this.el.className = "cellflux-controls";
    this.el.setAttribute("role", "toolbar");
    el.appendChild(this.el);
    this.build();
  }

  remove() {
    this.el.remove();
  }

  build() {
    const doc = this.el.ownerDocument;
    const chart = this.chart;
    this.el.replaceChildren();
    this.el.setAttribute("aria-label", `Chart controls: ${chart.meta.title || ""}`);
    /** @param {string} name @param {() => void} action */
    const button = (name, action) => {
      const b = doc.createElement("button");
      b.type = "button";
      b.textContent = name;
      b.setAttribute("aria-label", name);
      b.title = name;
      b.addEventListener("click", action);
      this.el.appendChild(b);
      return b;
    };
    this.reset = button("Zoom reset", () => chart.setZoom(null));
    this.reset.title = "Zoom reset (or double-click the chart); wheel to zoom, drag to pan, shift-drag to zoom to a range";
    /** @type {HTMLInputElement[]} */
    this.logBoxes = (chart.meta.axes || []).map((/** @type {any} */ a, /** @type {number} */ i, /** @type {any[]} */ all) => {
      const label = doc.createElement("label");
      const box = doc.createElement("input");
      box.type = "checkbox";
      const name = all.length > 1 ? `Log scale: ${a.label}` : "Log scale";
      box.setAttribute("aria-label", name);
      box.title = name;
      box.addEventListener("change", () => void chart.setLog(i, box.checked));
      label.append(box, doc.createTextNode(name));
      this.el.appendChild(label);
      return box;
    });
    const smoothing = doc.createElement("label");
    this.slider = doc.createElement("input");
    this.slider.type = "range";
    this.slider.min = "0";
    this.slider.max = "0.99";
    this.slider.step = "0.01";
    this.slider.setAttribute("aria-label", "Smoothing");
    this.slider.title = "Smoothing: exponential moving average (0 = off)";
    this.strength = doc.createElement("span");
    const slider = this.slider;
    slider.addEventListener("input", () => chart.setSmoothing(Number(slider.value)));
    smoothing.append(doc.createTextNode("Smoothing"), slider, this.strength);
    this.el.appendChild(smoothing);
    button("Save PNG", () => this.savePng());
    button("Save CSV", () => chart.saveCsv());
    this.statusEl = doc.createElement("span");
    this.statusEl.className = "cellflux-controls-status";
    this.statusEl.setAttribute("role", "status");
    this.statusEl.setAttribute("aria-live", "polite");
    this.el.appendChild(this.statusEl);
    this.axesShown = (chart.meta.axes || []).map((/** @type {any} */ a) => a.label).join("\n");
    this.update();
  }

  /** Show the chart's state; built anew when its y axes changed. */
  update() {
    const chart = this.chart;
    const axes = (chart.meta.axes || []).map((/** @type {any} */ a) => a.label).join("\n");
    if (axes !== this.axesShown) this.build();
    if (this.reset) this.reset.disabled = !chart.zoom;
    (this.logBoxes || []).forEach((box, i) => {
      box.checked = !!chart.axes[i]?.log || (!chart.axes[i] && !!chart.meta.axes?.[i]?.log);
    });
    if (this.slider && this.strength) {
      if (Number(this.slider.value) !== chart.smoothing) this.slider.value = String(chart.smoothing);
      this.strength.textContent = chart.smoothing > 0 ? chart.smoothing.toFixed(2) : "off";
    }
    if (this.statusEl) this.statusEl.textContent = chart.statusText();
  }
}
