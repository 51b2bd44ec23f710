import { afterEach, describe, expect, it } from "vitest";
import widget from "../src/progress.js";
import { pack } from "./bar_data.js";

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
