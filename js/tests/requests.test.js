import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Chart, SETTLE_MS } from "../src/chart.js";
import { ACK_MS } from "../src/requests.js";
import { mountRow, setup } from "./chart_fixture.js";

afterEach(() => {
  document.body.replaceChildren();
  vi.useRealTimers();
});

describe("zoom detail", () => {
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
