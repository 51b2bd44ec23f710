// @ts-check
/**
 * One view of a chart's controls: the toolbar in its element, and the pointer handling
 * of the figure beside it in the same chart row (hover, wheel zoom, drag to pan,
 * shift-drag to zoom to a range, double-click to reset) and of its stats table.
 */
import { ensureStyle } from "./controls_style.js";
import { savePng } from "./download.js";
import { sleep } from "./models.js";
import { drawHover, drawSelection } from "./overlay.js";
import { decorateStats, switchKey } from "./stats_table.js";
import { Toolbar } from "./toolbar.js";
import { panBy, valueAt, wheelFactor, zoomAround } from "./zoom.js";

/** @typedef {import("./chart.js").Chart} Chart */

export class View {
  /** @param {Chart} chart @param {HTMLElement} el */
  constructor(chart, el) {
    this.chart = chart;
    this.el = el;
    /** @type {HTMLElement | null} */ this.figureEl = null;
    /** @type {HTMLElement | null} */ this.statsEl = null;
    /** @type {(() => void)[]} */ this.cleanups = [];
    /** @type {{x: number, y: number} | null} */ this.pointer = null;
    this.frame = 0;
    this.plotW = 0;
    ensureStyle(el.ownerDocument);
    this.toolbar = new Toolbar(chart, el, () => void this.savePng());
    chart.views.add(this);
    void this.attach();
  }

  dispose() {
    this.chart.views.delete(this);
    cancelAnimationFrame(this.frame);
    for (const f of this.cleanups.splice(0)) f();
    this.overlay?.remove();
    this.toolbar.remove();
  }

  update() {
    this.toolbar.update();
    decorateStats(this.statsEl, this.chart.lines);
  }

  /** Wait for the figure of this chart row to be on the page, then handle its pointer events. */
  async attach() {
    for (let i = 0; i < 600 && !this.figureEl; i++) {
      const row = this.el.closest(".cellflux-chart");
      this.figureEl = row?.querySelector(".bqplot.figure") ?? null;
      this.statsEl = row?.querySelector(".cellflux-stats-box") ?? null;
      if (!this.figureEl) await sleep(50);
    }
    const fig = this.figureEl;
    if (!fig) return;
    const doc = fig.ownerDocument;
    if (getComputedStyle(fig).position === "static") fig.style.position = "relative";
    this.overlay = doc.createElement("div");
    fig.appendChild(this.overlay);
    /** @param {string} type @param {any} f @param {any} [options] @param {EventTarget} [target] */
    const on = (type, f, options, target = fig) => {
      target.addEventListener(type, f, options);
      this.cleanups.push(() => target.removeEventListener(type, f, options));
    };
    if (typeof ResizeObserver !== "undefined") { // the x ticks fit the plot's width: at first draw and on resize
      const resized = new ResizeObserver(() => {
        this.plotW = 0;
        requestAnimationFrame(() => this.chart.xTicks());
      });
      resized.observe(fig);
      this.cleanups.push(() => resized.disconnect());
    }
    on("pointermove", (/** @type {PointerEvent} */ e) => this.move(e));
    on("pointerleave", () => { this.pointer = null; this.hover(); });
    on("wheel", (/** @type {WheelEvent} */ e) => this.wheel(e), { passive: false });
    on("pointerdown", (/** @type {PointerEvent} */ e) => this.down(e));
    on("pointerup", (/** @type {PointerEvent} */ e) => this.up(e));
    on("dblclick", (/** @type {MouseEvent} */ e) => { if (this.inPlot(e)) this.chart.setZoom(null); });
    if (this.statsEl) {
      const stats = this.statsEl;
      const toggle = (/** @type {Event} */ e) => {
        const key = switchKey(e);
        if (key !== null) this.chart.toggle(key);
      };
      on("click", toggle, undefined, stats);
      on("keydown", (/** @type {KeyboardEvent} */ e) => {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(e); }
      }, undefined, stats);
      // The kernel rewrites the table at each tick: mark its rows again each time.
      const observer = new MutationObserver(() => decorateStats(this.statsEl, this.chart.lines));
      observer.observe(stats, { childList: true, subtree: true });
      this.cleanups.push(() => observer.disconnect());
    }
    this.update();
  }

  /** The plot area of the figure on screen. */
  plotRect() {
    const area = this.figureEl?.querySelector("rect.plotarea_events") || this.figureEl?.querySelector("rect.plotarea_background");
    return area ? area.getBoundingClientRect() : null;
  }

  /** The plot's width in pixels (0 before it is drawn): measured once, and again after a resize, not at every tick. */
  plotWidth() {
    if (!this.plotW) this.plotW = this.plotRect()?.width || 0;
    return this.plotW;
  }

  /** @param {MouseEvent} e */
  inPlot(e) {
    const r = this.plotRect();
    return !!r && r.width > 0 && e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
  }

  /** @param {MouseEvent} e @returns {number | null} */
  xAt(e) {
    const r = this.plotRect();
    const domain = this.chart.xDomain();
    if (!r || !domain) return null;
    return valueAt(domain, false, e.clientX - r.left, r.width);
  }

  /** @param {WheelEvent} e */
  wheel(e) {
    if (!this.inPlot(e)) return;
    const domain = this.chart.xDomain();
    const at = this.xAt(e);
    if (!domain || at === null) return;
    e.preventDefault();
    this.chart.setZoom(zoomAround(domain, at, wheelFactor(e.deltaY, e.deltaMode)));
  }

  /** @param {PointerEvent} e */
  down(e) {
    if (e.button !== 0 || !this.inPlot(e)) return;
    const domain = this.chart.xDomain();
    if (!domain) return;
    this.drag = { x: e.clientX, domain, select: e.shiftKey, moved: false };
    this.figureEl?.setPointerCapture?.(e.pointerId);
    e.preventDefault();
  }

  /** @param {PointerEvent} e */
  move(e) {
    this.pointer = { x: e.clientX, y: e.clientY };
    const drag = this.drag;
    const r = this.plotRect();
    if (drag && r) {
      const dx = e.clientX - drag.x;
      drag.moved ||= Math.abs(dx) > 3;
      if (drag.moved && drag.select) this.selection = drawSelection(/** @type {HTMLElement} */ (this.figureEl), this.selection, drag.x, e.clientX, r);
      else if (drag.moved) this.chart.setZoom(panBy(drag.domain, dx, r.width));
    }
    this.hover();
  }

  /** @param {PointerEvent} e */
  up(e) {
    const drag = this.drag;
    this.drag = undefined;
    this.selection?.remove();
    this.selection = undefined;
    const r = this.plotRect();
    if (!drag || !drag.moved || !drag.select || !r) return;
    const a = valueAt(drag.domain, false, Math.min(drag.x, e.clientX) - r.left, r.width);
    const b = valueAt(drag.domain, false, Math.max(drag.x, e.clientX) - r.left, r.width);
    if (Math.abs(e.clientX - drag.x) > 5) this.chart.setZoom([a, b]);
  }

  /** Redraw the hover label at the next frame (at most once a frame). */
  hover() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.drawHover();
    });
  }

  drawHover() {
    const overlay = this.overlay;
    const fig = this.figureEl;
    if (!overlay || !fig) return;
    overlay.replaceChildren();
    const pointer = this.pointer;
    const r = this.plotRect();
    const domain = this.chart.xDomain();
    if (!pointer || !r || !domain || this.drag?.moved) return;
    drawHover(overlay, fig, r, pointer, domain, this.chart);
  }

  /** The figure as a PNG, with the chart's title above it and its shown lines named below. */
  savePng() {
    return savePng(this.chart, this.figureEl, this.el.ownerDocument);
  }
}
