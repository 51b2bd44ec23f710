// A chart as the kernel lays it out (fake bqplot models with Backbone's change events)
// and the DOM of its row, for the tests of the chart controls.
import { View } from "../src/view.js";

/** A model with Backbone's change events: `change:<name>` (model, value, options), then `change`. */
class FakeModel {
  constructor(attributes = {}) {
    this.attributes = { ...attributes };
    this.handlers = new Map();
    this.views = {};
  }
  get(name) {
    return this.attributes[name];
  }
  set(attrs, options = {}) {
    const changed = Object.keys(attrs).filter((k) => this.attributes[k] !== attrs[k]);
    Object.assign(this.attributes, attrs);
    for (const k of changed) this.emit(`change:${k}`, this, this.attributes[k], options);
    if (changed.length) this.emit("change", this, options);
  }
  on(event, f) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(f);
  }
  off(event, f) {
    this.handlers.get(event)?.delete(f);
  }
  emit(event, ...args) {
    for (const f of [...(this.handlers.get(event) ?? [])]) f(...args);
  }
}

const MODULE = { _model_module: "bqscales", _model_module_version: "^0.3", _view_module: "bqscales", _view_module_version: "^0.3" };
export const HOSTILE = '<img src=x onerror="window.pwned=1">';

/** A chart of two lines on one y axis, as the kernel lays it out, and the controls' model. */
export function setup({ key = "loss" } = {}) {
  const models = new Map();
  const add = (id, attrs) => {
    const m = new FakeModel(attrs);
    models.set(id, m);
    return m;
  };
  const x = add("x", { min: 0, max: 100, ...MODULE });
  const y = add("y", { min: 0, max: 10, ...MODULE });
  const xAxis = add("xa", { scale: x, label: "step", tick_values: [], tick_format: null, _model_module: "bqplot" });
  const yAxis = add("ya", { scale: y, label: "loss", side: "left", tick_values: [], tick_format: null, color: "#1f77b4", _model_module: "bqplot" });
  const xs = Float64Array.from({ length: 101 }, (_, i) => i);
  const mark = add("m1", { x: xs, y: Float64Array.from(xs, (v) => 5 + Math.sin(v)), scales: { x, y }, visible: true, colors: ["#1f77b4"], labels: [key] });
  const mark2 = add("m2", { x: xs, y: Float64Array.from(xs, (v) => 0.01 * (v + 1)), scales: { x, y }, visible: true, colors: ["#ff7f0e"], labels: ["lr"] });
  const figure = add("fig", { axes: [xAxis, yAxis], marks: [mark, mark2] });
  const created = [];
  const manager = {
    get_model: async (id) => {
      if (!models.has(id)) throw new Error(`no model ${id}`);
      return models.get(id);
    },
    new_model: async (options, state) => {
      const m = new FakeModel({ ...state, _model_name: options.model_name, _model_module: options.model_module });
      created.push(m);
      models.set(options.model_id, m);
      return m;
    },
  };
  const meta = {
    title: "training", figure: "fig", x_scale: "x", x_units: "step", x_time: false, x_divisor: 1, stats: "st",
    axes: [{ scale: "y", axis: "ya", label: "loss", units: "nats", log: false }],
    lines: [{ key, mark: "m1", axis: 0, colour: "#1f77b4" }, { key: "lr", mark: "m2", axis: 0, colour: "#ff7f0e" }],
  };
  const model = new FakeModel({ meta });
  model.widget_manager = manager;
  model.sent = [];
  model.send = (content) => model.sent.push(content);
  return { model, x, y, yAxis, figure, mark, mark2, created, xs };
}

/** The DOM of a chart row: the controls' element, the figure with its plot area, the stats table. */
export function mountRow(chart, keys = ["loss", "lr"]) {
  const row = document.createElement("div");
  row.className = "cellflux-chart";
  const el = document.createElement("div");
  const fig = document.createElement("div");
  fig.className = "bqplot figure";
  fig.innerHTML = '<svg><rect class="plotarea_events"></rect></svg>';
  const stats = document.createElement("div");
  stats.className = "cellflux-stats-box";
  const table = document.createElement("table");
  table.className = "cellflux-stats";
  for (const key of keys) {
    const tr = table.insertRow();
    const th = document.createElement("th");
    const name = document.createElement("span");
    name.className = "cellflux-name";
    name.setAttribute("title", key);
    name.textContent = key;
    th.appendChild(name);
    tr.appendChild(th);
  }
  stats.appendChild(table);
  row.append(el, fig, stats);
  document.body.appendChild(row);
  const view = new View(chart, el);
  // happy-dom lays nothing out: the plot area is 500 x 200 pixels at the page's origin.
  view.plotRect = () => ({ left: 0, top: 0, right: 500, bottom: 200, width: 500, height: 200 });
  return { row, el, fig, stats, view };
}

export const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A wheel event at (x, y): happy-dom's WheelEvent leaves out the mouse position. */
export function wheel(x, y, deltaY) {
  const e = new WheelEvent("wheel", { deltaY, cancelable: true });
  Object.defineProperties(e, { clientX: { value: x }, clientY: { value: y } });
  return e;
}
