import { afterEach, describe, expect, it } from "vitest";
import widget, { fillFraction, formatBar, formatRate, formatTime, readBars } from "../src/progress.js";

/** Little-endian float64 bytes, 4 per bar; `null` stands for NaN (unknown). */
function pack(bars, { offset = 0 } = {}) {
  const values = bars.flat();
  const buffer = new ArrayBuffer(offset + values.length * 8 + 16);
  const view = new DataView(buffer, offset, values.length * 8);
  values.forEach((v, i) => view.setFloat64(i * 8, v === null ? NaN : v, true));
  // Garbage around the window: a reader ignoring byteOffset/byteLength would see it.
  new Uint8Array(buffer, 0, offset).fill(0xff);
  new Uint8Array(buffer, offset + values.length * 8).fill(0x7f);
  return view;
}

/** The part of anywidget's model a view uses, with backbone-like change events. */
class FakeModel {
  constructor(state) {
    this.state = { ...state };
    this.listeners = new Map();
    this.offCalls = [];
  }
  get(name) {
    return this.state[name];
  }
  set(name, value) {
    this.state[name] = value;
    for (const cb of [...(this.listeners.get(`change:${name}`) ?? [])]) cb();
  }
  on(name, cb) {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(cb);
  }
  off(name, cb) {
    this.offCalls.push(name);
    this.listeners.get(name)?.delete(cb);
  }
  save_changes() {}
  listenerCount() {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}

const mounted = [];
function mount(state) {
  const model = new FakeModel(state);
  const el = document.createElement("div");
  document.body.appendChild(el);
  const cleanup = widget.render({ model, el });
  mounted.push(el);
  return { model, el, cleanup };
}

afterEach(() => {
  for (const el of mounted.splice(0)) el.remove();
});

const rowsOf = (el) => [...el.querySelectorAll(".cellflux-progress-row")];
const textOf = (row) => row.querySelector(".cellflux-progress-text").textContent;
const labelOf = (row) => row.querySelector(".cellflux-progress-label").textContent;
const widthOf = (row) => row.querySelector(".cellflux-progress-fill").style.width;

describe("render", () => {
  it("shows one row per bar with label, text and fill", () => {
    const { el } = mount({
      labels: ["epoch", "batch"],
      states: ["running", "running"],
      data: pack([
        [3, 10, 12, 0.25],
        [37, 100, 12, 3.1],
      ]),
    });
    const rows = rowsOf(el);
    expect(rows.map(labelOf)).toEqual(["epoch", "batch"]);
    expect(textOf(rows[0])).toBe("3/10 30% · 00:12<00:28 · 4.0 s/it");
    expect(textOf(rows[1])).toBe("37/100 37% · 00:12<00:20 · 3.1 it/s");
    expect(rows.map(widthOf)).toEqual(["30%", "37%"]);
    expect(rows.map((r) => r.dataset.state)).toEqual(["running", "running"]);
  });

  it("updates text and fill on change:data, reusing the rows", () => {
    const { el, model } = mount({
      labels: ["epoch", "batch"],
      states: ["running", "running"],
      data: pack([
        [3, 10, 12, 0.25],
        [37, 100, 12, 3.1],
      ]),
    });
    const before = rowsOf(el);
    model.set(
      "data",
      pack([
        [4, 10, 16, 0.25],
        [99, 100, 31, 3.2],
      ]),
    );
    const after = rowsOf(el);
    expect(after[0]).toBe(before[0]);
    expect(after[1]).toBe(before[1]);
    expect(textOf(after[1])).toBe("99/100 99% · 00:31<00:00 · 3.2 it/s");
    expect(widthOf(after[0])).toBe("40%");
    expect(widthOf(after[1])).toBe("99%");
  });

  it("adds and removes rows when the number of bars changes", () => {
    const { el, model } = mount({ labels: ["a"], states: ["running"], data: pack([[1, 2, 1, 1]]) });
    const first = rowsOf(el)[0];
    model.set("data", pack([[1, 2, 1, 1], [5, null, 1, 5]]));
    model.set("states", ["running", "running"]);
    model.set("labels", ["a", "b"]);
    expect(rowsOf(el).map(labelOf)).toEqual(["a", "b"]);
    expect(rowsOf(el)[0]).toBe(first);
    model.set("labels", []);
    expect(rowsOf(el)).toHaveLength(0);
  });

  it("exposes the state as data-state, which selects the colour", () => {
    const { el, model } = mount({
      labels: ["a", "b", "c", "d"],
      states: ["running", "done", "stopped", "failed"],
      data: pack([
        [1, 4, 1, 1],
        [4, 4, 4, 1],
        [2, 4, 2, 1],
        [3, 4, 3, 1],
      ]),
    });
    expect(rowsOf(el).map((r) => r.getAttribute("data-state"))).toEqual([
      "running",
      "done",
      "stopped",
      "failed",
    ]);
    model.set("states", ["done", "done", "stopped", "failed"]);
    expect(rowsOf(el)[0].getAttribute("data-state")).toBe("done");
    const css = document.getElementById("cellflux-progress-style").textContent;
    for (const state of ["done", "stopped", "failed"]) {
      expect(css).toContain(`[data-state="${state}"]`);
    }
  });

  it("shows count, elapsed and rate, and an indeterminate bar, when the total is unknown", () => {
    const { el } = mount({ labels: ["lines"], states: ["running"], data: pack([[37, null, 12, 3.1]]) });
    const row = rowsOf(el)[0];
    expect(textOf(row)).toBe("37 · 00:12 · 3.1 it/s");
    expect(row.classList.contains("cellflux-progress-indeterminate")).toBe(true);
    expect(row.querySelector(".cellflux-progress-track").hasAttribute("aria-valuenow")).toBe(false);
  });

  it("shows an empty iterable as a complete bar", () => {
    const { el } = mount({ labels: ["empty"], states: ["done"], data: pack([[0, 0, 0, null]]) });
    const row = rowsOf(el)[0];
    expect(textOf(row)).toBe("0/0 100% · 00:00 · ? it/s");
    expect(widthOf(row)).toBe("100%");
    expect(row.dataset.state).toBe("done");
  });

  it("shows elapsed time only once the bar is done", () => {
    const { el } = mount({ labels: ["x"], states: ["done"], data: pack([[100, 100, 3725, 50]]) });
    expect(textOf(rowsOf(el)[0])).toBe("100/100 100% · 1:02:05 · 50.0 it/s");
  });

  it("renders an HTML label as literal text", () => {
    const payload = "<img src=x onerror=alert(1)>";
    const { el } = mount({ labels: [payload], states: ["running"], data: pack([[1, 2, 1, 1]]) });
    expect(labelOf(rowsOf(el)[0])).toBe(payload);
    expect(el.querySelector("img")).toBeNull();
    expect(document.querySelector("img")).toBeNull();
  });

  it("keeps a long label whole on hover: its title attribute, as text", () => {
    const payload = `"'><script>window.__pwned=1</script>${" and a very long progress key".repeat(4)}`;
    const { el, model } = mount({ labels: [payload], states: ["running"], data: pack([[1, 2, 1, 1]]) });
    const label = rowsOf(el)[0].querySelector(".cellflux-progress-label");
    expect(label.getAttribute("title")).toBe(payload);
    expect(el.querySelector("script")).toBeNull();
    model.set("labels", ["short"]);
    expect(label.getAttribute("title")).toBe("short");
  });

  it("reads a DataView with a non-zero byteOffset", () => {
    const data = pack([[37, 100, 12, 3.1]], { offset: 24 });
    expect(data.byteOffset).toBe(24);
    const { el } = mount({ labels: ["batch"], states: ["running"], data });
    expect(textOf(rowsOf(el)[0])).toBe("37/100 37% · 00:12<00:20 · 3.1 it/s");
  });

  it("reads a Uint8Array window and a bare ArrayBuffer", () => {
    const view = pack([[37, 100, 12, 3.1]], { offset: 8 });
    const window = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const copy = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
    for (const data of [window, copy]) {
      expect(readBars(["b"], ["running"], data)[0]).toMatchObject({ count: 37, total: 100, elapsed: 12 });
    }
  });

  it("cleanup removes its listeners: no update afterwards", () => {
    const { el, model, cleanup } = mount({ labels: ["a"], states: ["running"], data: pack([[1, 10, 1, 1]]) });
    expect(model.listenerCount()).toBe(3);
    cleanup();
    expect(model.offCalls.sort()).toEqual(["change:data", "change:labels", "change:states"]);
    expect(model.listenerCount()).toBe(0);
    model.set("data", pack([[9, 10, 9, 1]]));
    expect(textOf(rowsOf(el)[0])).toBe("1/10 10% · 00:01<00:09 · 1.0 it/s");
  });

  it("injects the stylesheet once for several views", () => {
    mount({ labels: [], states: [], data: pack([]) });
    mount({ labels: [], states: [], data: pack([]) });
    expect(document.querySelectorAll("#cellflux-progress-style")).toHaveLength(1);
  });
});

describe("formatting", () => {
  it("formats time as mm:ss below an hour and h:mm:ss above", () => {
    expect(formatTime(0)).toBe("00:00");
    expect(formatTime(59.9)).toBe("00:59");
    expect(formatTime(754)).toBe("12:34");
    expect(formatTime(3600)).toBe("1:00:00");
    expect(formatTime(NaN)).toBe("?");
  });

  it("formats slow rates as seconds per item", () => {
    expect(formatRate(3.14)).toBe("3.1 it/s");
    expect(formatRate(0.4)).toBe("2.5 s/it");
    expect(formatRate(250)).toBe("250 it/s");
    expect(formatRate(12345)).toBe("12.3k it/s");
    expect(formatRate(0)).toBe("0.0 it/s");
    expect(formatRate(NaN)).toBe("? it/s");
  });

  it("uses exact integer percentages and an unknown ETA without a rate", () => {
    const bar = { label: "x", state: "running", count: 29, total: 100, elapsed: 5, rate: NaN };
    expect(formatBar(bar)).toBe("29/100 29% · 00:05<? · ? it/s");
  });

  it("drops the ETA of a stopped bar and overfills no bar", () => {
    const bar = { label: "x", state: "stopped", count: 120, total: 100, elapsed: 5, rate: 24 };
    expect(formatBar(bar)).toBe("120/100 120% · 00:05 · 24.0 it/s");
    expect(fillFraction(bar)).toBe(1);
    expect(fillFraction({ ...bar, count: -3 })).toBe(0);
  });
});
