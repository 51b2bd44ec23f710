import { afterEach, describe, expect, it, vi } from "vitest";
import { Chart } from "../src/chart.js";
import { flush, mountRow, setup } from "./chart_fixture.js";

afterEach(() => {
  document.body.replaceChildren();
  vi.useRealTimers();
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
