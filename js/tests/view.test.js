import { afterEach, describe, expect, it, vi } from "vitest";
import { Chart, SETTLE_MS } from "../src/chart.js";
import { flush, HOSTILE, mountRow, setup, wheel } from "./chart_fixture.js";

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

describe("zoom gestures", () => {
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
