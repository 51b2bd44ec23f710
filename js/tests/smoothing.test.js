import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MAX_STRENGTH, smooth } from "../src/smoothing.js";

// happy-dom's URL is not node's: build the path from this file's.
const here = dirname(fileURLToPath(import.meta.url));
const vector = JSON.parse(readFileSync(join(here, "fixtures", "smoothing.json"), "utf8"));
const decode = (v) => (v === null ? NaN : Number(v));

describe("smooth", () => {
  it("matches the test vector shared with the Python smoothing", () => {
    expect(vector.cases.length).toBeGreaterThanOrEqual(5);
    for (const { strength, ys, expected } of vector.cases) {
      const out = smooth(ys.map(decode), strength);
      expect(out.length).toBe(expected.length);
      expected.map(decode).forEach((want, i) => {
        if (Number.isNaN(want)) expect(out[i]).toBeNaN();
        else expect(out[i]).toBeCloseTo(want, 12);
      });
    }
  });

  it("starts at the first value (debiased), not pulled towards zero", () => {
    const out = smooth([100, 100, 100, 101], 0.95);
    expect(out[0]).toBe(100);
    expect(out[2]).toBeCloseTo(100, 10);
    expect(out[3]).toBeGreaterThan(100);
    expect(out[3]).toBeLessThan(101);
  });

  it("leaves gaps for non-finite values and carries on after them", () => {
    const out = smooth([1, NaN, 3, Infinity, -Infinity, 5], 0.5);
    expect([...out].map(Number.isNaN)).toEqual([false, true, false, true, true, false]);
    const plain = smooth([1, 3, 5], 0.5);
    expect([out[0], out[2], out[5]]).toEqual([...plain]);
  });

  it("clamps strengths", () => {
    expect([...smooth([1, 2], -3)]).toEqual([1, 2]);
    expect([...smooth([1, 2], NaN)]).toEqual([1, 2]);
    expect([...smooth([1, 2], 7)]).toEqual([...smooth([1, 2], MAX_STRENGTH)]);
  });
});
