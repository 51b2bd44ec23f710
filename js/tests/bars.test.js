import { describe, expect, it } from "vitest";
import { fillFraction, formatBar, formatRate, formatTime, readBars } from "../src/bars.js";
import { pack } from "./bar_data.js";

describe("reading", () => {
  it("reads a Uint8Array window and a bare ArrayBuffer", () => {
    const view = pack([[37, 100, 12, 3.1]], { offset: 8 });
    const window = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const copy = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
    for (const data of [window, copy]) {
      expect(readBars(["b"], ["running"], data)[0]).toMatchObject({ count: 37, total: 100, elapsed: 12 });
    }
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
