import { describe, expect, it } from "vitest";
import { formatNumber, formatX, nearestIndex, rowText } from "../src/hover.js";

describe("hover text", () => {
  it("finds the nearest point", () => {
    const xs = new Float64Array([0, 10, 20, 30]);
    expect(nearestIndex(xs, -5)).toBe(0);
    expect(nearestIndex(xs, 14)).toBe(1);
    expect(nearestIndex(xs, 16)).toBe(2);
    expect(nearestIndex(xs, 15)).toBe(1);
    expect(nearestIndex(xs, 99)).toBe(3);
    expect(nearestIndex([], 1)).toBe(-1);
  });

  it("formats numbers to about five digits", () => {
    expect(formatNumber(12)).toBe("12");
    expect(formatNumber(0.123456789)).toBe("0.12346");
    expect(formatNumber(1.5e-7)).toBe("1.5e-7");
    expect(formatNumber(NaN)).toBe("nan");
    expect(formatNumber(-Infinity)).toBe("-inf");
  });

  it("puts x with the chart's units and y with the scale's", () => {
    expect(formatX(12, "epoch", false)).toBe("epoch 12");
    expect(formatX(3.5, "s", true)).toBe("3.5 s");
    expect(formatX(3, "", false)).toBe("x = 3");
    const row = { key: "acc", colour: "#000", x: 3, y: 91.25, units: "%" };
    expect(rowText(row, "epoch", false)).toBe("acc: 91.25 % at epoch 3");
    expect(rowText({ ...row, smoothed: 90.5, units: "" }, "s", true)).toBe("acc: 91.25 (smoothed 90.5) at 3 s");
  });
});
