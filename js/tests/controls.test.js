import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ACK_MS, Chart, SETTLE_MS, View } from "../src/controls.js";

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
const HOSTILE = '<img src=x onerror="window.pwned=1">';

/** A chart of two lines on one y axis, as the kernel lays it out, and the controls' model. */
function setup({ key = "loss" } = {}) {
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
function mountRow(chart, keys = ["loss", "lr"]) {
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

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A wheel event at (x, y): happy-dom's WheelEvent leaves out the mouse position. */
function wheel(x, y, deltaY) {
  const e = new WheelEvent("wheel", { deltaY, cancelable: true });
  Object.defineProperties(e, { clientX: { value: x }, clientY: { value: y } });
  return e;
}

afterEach(() => {
  document.body.replaceChildren();
  vi.useRealTimers();
});

describe("the toolbar", () => {
  it("names every control for screen readers and tests", async () => {
    const { model } = setup();
    const chart = new Chart(model);
    await chart.ready;
    const { el } = mountRow(chart);
    const names = [...el.querySelectorAll("[aria-label]")].map((e) => e.getAttribute("aria-label"));
    expect(names).toEqual(expect.arrayContaining(["Zoom reset", "Log scale", "Smoothing", "Save PNG", "Save CSV"]));
    expect(el.querySelector('[aria-label="Zoom reset"]').disabled).toBe(true);
  });
});

describe("zoom", () => {
  it("holds the x range while the kernel sends new ones, and gives the kernel's back on reset", async () => {
    const { model, x } = setup();
    const chart = new Chart(model);
    await chart.ready;
    chart.setZoom([10, 20]);
    expect([x.get("min"), x.get("max")]).toEqual([10, 20]);
    x.set({ min: 0, max: 150 }); // a tick of the kernel: the data reached 150
    await flush();
    expect([x.get("min"), x.get("max")]).toEqual([10, 20]);
    x.set({ max: 160 }); // only max changed in the kernel
    await flush();
    expect([x.get("min"), x.get("max")]).toEqual([10, 20]);
    chart.setZoom(null);
    expect([x.get("min"), x.get("max")]).toEqual([0, 160]);
  });

  it("fits the y axis to what the window shows, and back to the kernel's range after", async () => {
    const { model, y } = setup();
    const chart = new Chart(model);
    await chart.ready;
    chart.setZoom([10, 12]); // loss is 4 to 4.5 there, lr 0.11 to 0.13
    const [lo, hi] = [y.get("min"), y.get("max")];
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(4.46);
    expect(hi).toBeLessThan(5);
    chart.setZoom(null);
    expect([y.get("min"), y.get("max")]).toEqual([0, 10]);
  });

  it("sends one request per settled gesture and none for pointer moves", async () => {
    vi.useFakeTimers();
    const { model, x } = setup();
    const chart = new Chart(model);
    await vi.runAllTimersAsync();
    const { fig } = mountRow(chart);
    await vi.advanceTimersByTimeAsync(100);
    for (let i = 0; i < 20; i++) fig.dispatchEvent(new PointerEvent("pointermove", { clientX: 10 * i, clientY: 50 }));
    for (let i = 0; i < 5; i++) {
      fig.dispatchEvent(wheel(250, 100, -100));
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(model.sent).toEqual([]);
    expect(x.get("max") - x.get("min")).toBeLessThan(100);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(model.sent.length).toBe(1);
    const [request] = model.sent;
    expect(request.kind).toBe("zoom");
    expect(request.low).toBeLessThan(x.get("min"));
    expect(request.high).toBeGreaterThan(x.get("max"));
    fig.dispatchEvent(new MouseEvent("dblclick", { clientX: 250, clientY: 100 }));
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(model.sent.at(-1)).toMatchObject({ kind: "zoom", low: null, high: null });
    expect([x.get("min"), x.get("max")]).toEqual([0, 100]);
  });

  it("says a request waits for the cell when the kernel does not answer", async () => {
    vi.useFakeTimers();
    const { model } = setup();
    const chart = new Chart(model);
    await vi.runAllTimersAsync();
    const { el } = mountRow(chart);
    chart.setZoom([10, 20]);
    await vi.advanceTimersByTimeAsync(SETTLE_MS + ACK_MS);
    const status = el.querySelector('[role="status"]');
    expect(status.textContent).toContain("full detail when the cell finishes");
    const seq = model.sent[0].seq;
    model.emit("msg:custom", { kind: "ack", seq }, []);
    model.emit("msg:custom", { kind: "zoomed", seq }, []);
    expect(status.textContent).toContain("zoomed: full detail");
    expect(status.textContent).not.toContain("when the cell finishes");
  });
});

describe("smoothing", () => {
  it("draws the smoothed line over the raw one, faint, and follows new data", async () => {
    const { model, mark, xs } = setup();
    const chart = new Chart(model);
    await chart.ready;
    chart.setSmoothing(0.9);
    const [raw, smoothed] = mark.get("y");
    expect(raw.length).toBe(101);
    expect(mark.get("opacities")).toEqual([0.3, 1]);
    const roughness = (ys) => ys.slice(1).reduce((sum, v, i) => sum + Math.abs(v - ys[i]), 0);
    expect(roughness([...smoothed])).toBeLessThan(roughness([...raw]) / 3);
    mark.set({ x: xs, y: Float64Array.from(xs, () => 7) }); // a tick of the kernel
    await flush();
    expect(mark.get("y")[0][0]).toBe(7);
    expect(mark.get("y")[1][50]).toBeCloseTo(7);
    chart.setSmoothing(0);
    expect(mark.get("y")[0]).toBe(7);
  });
});

describe("log scale", () => {
  it("puts the axis and its lines on a scale of this page, ticked at powers of ten, and back", async () => {
    const { model, y, yAxis, figure, mark, created } = setup();
    const chart = new Chart(model);
    await chart.ready;
    await chart.setLog(0, true);
    const scale = created.find((m) => m.get("_model_name") === "LogScaleModel");
    const axis = created.find((m) => m.get("_model_name") === "AxisModel");
    expect(scale).toBeDefined();
    expect(figure.get("axes")[1]).toBe(axis);
    expect(axis.get("scale")).toBe(scale);
    expect(axis.get("label")).toBe("loss");
    expect(mark.get("scales").y).toBe(scale);
    expect([scale.get("min"), scale.get("max")]).toEqual([0.01, 10]);
    expect(axis.get("tick_values")).toEqual([0.01, 0.1, 1, 10]);
    yAxis.set({ color: "#d62728" }); // the kernel recolours its axis: the copy follows
    await flush();
    expect(axis.get("color")).toBe("#d62728");
    await chart.setLog(0, false);
    expect(figure.get("axes")[1]).toBe(yAxis);
    expect(mark.get("scales").y).toBe(y);
  });

  it("notes values <= 0 that a log axis leaves out", async () => {
    const { model, mark, xs } = setup();
    const chart = new Chart(model);
    await chart.ready;
    const { el } = mountRow(chart);
    mark.set({ x: xs, y: Float64Array.from(xs, (v) => v - 5) });
    await flush();
    await chart.setLog(0, true);
    expect(el.querySelector('[role="status"]').textContent).toContain("values ≤ 0 are left out");
  });
});

describe("hover and the table", () => {
  it("shows the nearest point of each line as text, a hostile name included", async () => {
    const { model } = setup({ key: HOSTILE });
    const chart = new Chart(model);
    await chart.ready;
    const { fig, view } = mountRow(chart, [HOSTILE, "lr"]);
    await flush();
    fig.dispatchEvent(new PointerEvent("pointermove", { clientX: 250, clientY: 100 }));
    view.drawHover();
    const label = fig.querySelector(".cellflux-hover");
    expect(label.textContent).toContain(`${HOSTILE}: ${String(Number((5 + Math.sin(50)).toPrecision(5)))} nats at step 50`);
    expect(label.textContent).toContain("lr: 0.51 nats at step 50");
    expect(document.querySelector("img")).toBeNull();
    expect(window.pwned).toBeUndefined();
    fig.dispatchEvent(new PointerEvent("pointerleave"));
    view.drawHover();
    expect(fig.querySelector(".cellflux-hover")).toBeNull();
  });

  it("hides and shows a line when its row is clicked", async () => {
    const { model, mark } = setup();
    const chart = new Chart(model);
    await chart.ready;
    const { stats } = mountRow(chart);
    await flush();
    const cell = stats.querySelector('th[data-cellflux-key="loss"]');
    expect(cell.getAttribute("role")).toBe("button");
    cell.click();
    expect(mark.get("visible")).toBe(false);
    expect(cell.getAttribute("aria-pressed")).toBe("false");
    expect(cell.closest("tr").classList.contains("cellflux-hidden")).toBe(true);
    cell.click();
    expect(mark.get("visible")).toBe(true);
  });
});

describe("Save CSV", () => {
  let blobs;
  beforeEach(() => {
    blobs = [];
    URL.createObjectURL = (blob) => {
      blobs.push(blob);
      return "blob:test";
    };
    URL.revokeObjectURL = () => {};
  });

  it("asks the kernel once and offers the chunks it sends as one file", async () => {
    const { model } = setup();
    const chart = new Chart(model);
    await chart.ready;
    const { el } = mountRow(chart);
    el.querySelector('[aria-label="Save CSV"]').click();
    expect(model.sent).toEqual([{ kind: "csv", seq: 1 }]);
    const enc = (text) => new DataView(new TextEncoder().encode(text).buffer);
    model.emit("msg:custom", { kind: "ack", seq: 1 }, []);
    model.emit("msg:custom", { kind: "csv", seq: 1, name: "training.csv", last: false }, [enc("step,loss\n0,1\n")]);
    expect(blobs).toEqual([]);
    model.emit("msg:custom", { kind: "csv", seq: 1, name: "training.csv", last: true }, [enc("1,0.5\n")]);
    expect(blobs.length).toBe(1);
    expect(await blobs[0].text()).toBe("step,loss\n0,1\n1,0.5\n");
  });
});
