import { describe, expect, it } from "vitest";
import { decadeTicks, fitRange, niceTicks, panBy, pixelOf, settle, tickCount, valueAt, wheelFactor, zoomAround } from "../src/zoom.js";

describe("zoom arithmetic", () => {
  it("zooms in on wheel up and out on wheel down, around the pointer", () => {
    expect(wheelFactor(-100)).toBeLessThan(1);
    expect(wheelFactor(100)).toBeGreaterThan(1);
    expect(wheelFactor(-3, 1)).toBeCloseTo(wheelFactor(-48, 0));
    const [lo, hi] = zoomAround([0, 100], 80, 0.5);
    expect([lo, hi]).toEqual([40, 90]);
  });

  it("pans by pixels", () => {
    expect(panBy([0, 100], 50, 500)).toEqual([-10, 90]);
    expect(panBy([0, 100], 50, 0)).toEqual([0, 100]);
  });

  it("settles back on the full range when zoomed out past it, and never on a zero-width window", () => {
    expect(settle([-5, 200], [0, 100])).toBeNull();
    expect(settle([10, 20], [0, 100])).toEqual([10, 20]);
    expect(settle([20, 10], [0, 100])).toEqual([10, 20]);
    const [lo, hi] = settle([50, 50], [0, 100]);
    expect(hi - lo).toBeGreaterThan(0);
    expect(settle([NaN, 3], [0, 100])).toBeNull();
  });

  it("maps pixels to values and back, linear and log, y drawn upwards", () => {
    expect(valueAt([0, 10], false, 25, 100)).toBe(2.5);
    expect(valueAt([1, 1000], true, 50, 100)).toBeCloseTo(Math.sqrt(1000));
    expect(pixelOf([0, 10], false, 2.5, 100, true)).toBe(75);
    expect(pixelOf([1, 100], true, 10, 100)).toBeCloseTo(50);
    expect(pixelOf([1, 100], true, 0, 100)).toBeNaN();
  });
});

describe("fitRange", () => {
  const line = { xs: [0, 1, 2, 3, 4], ys: [5, -1, 2, 8, 0.02] };

  it("pads a linear axis and keeps a count from 0 at 0", () => {
    expect(fitRange([line], null, false)).toEqual([-1 - 0.45, 8 + 0.45]);
    expect(fitRange([{ xs: [0, 1], ys: [0, 10] }], null, false)).toEqual([0, 10.5]);
  });

  it("fits only the points inside the window", () => {
    const [lo, hi] = fitRange([line], [1.5, 3.5], false);
    expect(lo).toBeCloseTo(2 - 0.3);
    expect(hi).toBeCloseTo(8 + 0.3);
  });

  it("gives whole decades of the values above 0 on a log axis", () => {
    expect(fitRange([line], null, true)).toEqual([0.01, 10]);
    expect(fitRange([{ xs: [0], ys: [5] }], null, true)).toEqual([1, 10]);
    expect(fitRange([{ xs: [0, 1], ys: [-1, 0] }], null, true)).toBeNull();
  });

  it("never gives a zero-width range", () => {
    const [lo, hi] = fitRange([{ xs: [0, 1], ys: [0.05, 0.05] }], null, false);
    expect(hi).toBeGreaterThan(lo);
    expect(fitRange([{ xs: [0], ys: [NaN] }], null, false)).toBeNull();
  });

  it("ticks a log axis at powers of ten", () => {
    expect(decadeTicks(0.001, 10)).toEqual([0.001, 0.01, 0.1, 1, 10]);
    expect(decadeTicks(0.5, 5)).toEqual([1]);
    expect(decadeTicks(1e-30, 1e30).length).toBeLessThanOrEqual(11);
    expect(decadeTicks(0, 1)).toEqual([]);
  });

  it("gives a linear x axis round ticks, as many as fit the plot's width", () => {
    expect(niceTicks(460, 740, 5)).toEqual([500, 600, 700]);
    expect(niceTicks(0, 20, 10)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(niceTicks(0.1, 0.35, 5)).toEqual([0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
    expect(niceTicks(5, 5, 4)).toEqual([]);
    expect(tickCount(290, 460, 740)).toBeLessThanOrEqual(6);
    expect(tickCount(290, 460, 740) * (7 * 4 + 24)).toBeLessThanOrEqual(290);
    expect(tickCount(1200, 0, 20)).toBe(10);
    expect(tickCount(100, 0, 1e6)).toBe(2);
  });
});

