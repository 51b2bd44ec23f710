// @ts-check
/**
 * The state of one chart's controls, shared by every view of them: the chart's bqplot
 * models (found from `meta`), the zoom window, the smoothing, the hidden lines, and the
 * status line. Every change is made in the browser with `set(..., LOCAL)`; only the two
 * requests (requests.js) reach the kernel.
 */
import { activeScale, applyScale, setTicks, setXTicks, watchAxis, watchFigure } from "./axes.js";
import { applyLine, takeData } from "./marks.js";
import { findModel, isLocal, LOCAL } from "./models.js";
import { Ranges } from "./ranges.js";
import { Requests } from "./requests.js";
import { fitRange, settle } from "./zoom.js";

/**
 * @typedef {import("./models.js").Model} Model
 * @typedef {import("./models.js").Line} Line
 * @typedef {import("./models.js").Axis} Axis
 * @typedef {import("./models.js").SetOptions} SetOptions
 * @typedef {{update(): void, hover(): void, plotWidth(): number}} ChartView
 */

/** A zoom gesture has settled when no wheel or drag event came for this long. */
export const SETTLE_MS = 300;

export class Chart {
  /** @param {any} model anywidget's model */
  constructor(model) {
    this.model = model;
    /** @type {any} */ this.meta = {};
    /** @type {Model | null} */ this.figure = null;
    /** @type {Model | null} */ this.x = null;
    /** @type {Model | null} */ this.xAxis = null;
    /** @type {Axis[]} */ this.axes = [];
    /** @type {Line[]} */ this.lines = [];
    /** @type {[number, number] | null} the zoomed x window, in the axis' units */
    this.zoom = null;
    this.smoothing = 0;
    /** @type {WeakSet<Model>} */ this.watched = new WeakSet();
    this.ranges = new Ranges(this.watched, () => {
      for (const axis of this.axes) setTicks(axis);
      this.xTicks();
      this.views.forEach((v) => v.hover());
    });
    this.requests = new Requests(model, (what, text) => this.say(what, text), () => !!this.zoom);
    /** @type {Set<ChartView>} */ this.views = new Set();
    /** @type {Record<string, string>} */ this.status = {};
    this.settleTimer = /** @type {any} */ (null);
    this.disposed = false;
    this.onMeta = () => void this.resolve();
    this.onMessage = (/** @type {any} */ msg, /** @type {any[]} */ buffers) => this.requests.receive(msg, buffers);
    model.on("change:meta", this.onMeta);
    model.on("msg:custom", this.onMessage);
    this.ready = this.resolve();
  }

  dispose() {
    this.disposed = true;
    this.model.off("change:meta", this.onMeta);
    this.model.off("msg:custom", this.onMessage);
    this.requests.dispose();
    clearTimeout(this.settleTimer);
  }

  /** Find the models `meta` names, keeping what the user set on axes and lines already known. */
  async resolve() {
    const meta = this.model.get("meta") || {};
    const previous = this.meta;
    this.meta = meta;
    if (previous.x_divisor && meta.x_divisor && previous.x_divisor !== meta.x_divisor && this.zoom) {
      const r = previous.x_divisor / meta.x_divisor; // auto x went from seconds to minutes (or hours)
      this.zoom = [this.zoom[0] * r, this.zoom[1] * r];
    }
    this.figure = await findModel(this.model, meta.figure);
    if (this.figure) watchFigure(this, this.watched, this.figure);
    this.x = await findModel(this.model, meta.x_scale);
    if (this.x) this.ranges.watch(this.x);
    this.xAxis = await findModel(this.model, meta.x_axis);
    const axes = [];
    for (const [i, a] of (meta.axes || []).entries()) {
      const known = this.axes[i];
      /** @type {Axis} */
      const axis = known && known.meta.scale === a.scale
        ? known : { meta: a, scale: null, axis: null, log: !!a.log, local: null, localAxis: null };
      axis.meta = a;
      axis.scale = await findModel(this.model, a.scale);
      axis.axis = await findModel(this.model, a.axis);
      if (axis.scale) this.ranges.watch(axis.scale);
      if (axis.axis) watchAxis(this.watched, axis);
      axes.push(axis);
    }
    this.axes = axes;
    const lines = [];
    for (const l of meta.lines || []) {
      const known = this.lines.find((line) => line.key === l.key);
      /** @type {Line} */
      const line = known || { key: l.key, colour: l.colour, axis: l.axis, mark: null, hidden: false, raw: null, smoothed: null };
      Object.assign(line, { colour: l.colour, axis: l.axis });
      line.mark = await findModel(this.model, l.mark);
      // Its view's first draw and the kernel's updates before this meta (its move onto the
      // chart's scales) are chained on the mark's state_change: a set of ours before then
      // can reach a Lines view that has not drawn yet, which throws on a scale change.
      if (line.mark && line.mark.state_change) await line.mark.state_change.catch(() => {});
      if (line.mark) this.watchMark(line);
      lines.push(line);
    }
    this.lines = lines;
    if (this.disposed) return;
    for (const axis of this.axes) await applyScale(this, axis);
    for (const line of this.lines) applyLine(line, this.smoothing);
    this.refit();
    this.update();
  }

  /** Keep what the kernel sends to `line`'s mark, then draw it our way. @param {Line} line */
  watchMark(line) {
    const mark = /** @type {Model} */ (line.mark);
    if (this.watched.has(mark)) return;
    this.watched.add(mark);
    let queued = false;
    const changed = (/** @type {Model} */ _m, /** @type {any} */ _v, /** @type {SetOptions} */ options) => {
      if (isLocal(options) || queued) return;
      queued = true;
      queueMicrotask(() => {
        queued = false;
        takeData(line);
        applyLine(line, this.smoothing);
        this.refit();
        this.views.forEach((v) => v.hover());
      });
    };
    mark.on("change:x", changed);
    mark.on("change:y", changed);
  }

  /** The x window on screen, and each y axis fitted to what is shown where the kernel's range does not apply. */
  refit() {
    if (this.x) this.ranges.pin(this.x, this.zoom);
    let nonPositive = false;
    for (const axis of this.axes) {
      const scale = activeScale(axis);
      if (!scale) continue;
      const mine = this.lines.filter((line) => this.axes[line.axis] === axis && line.raw);
      const shown = mine.filter((line) => !line.hidden);
      // The smoothed lines too: where a window cuts a line, its smoothed part can lie outside the raw one.
      const data = (shown.length ? shown : mine).flatMap((line) => {
        const raw = /** @type {{xs: ArrayLike<number>, ys: ArrayLike<number>}} */ (line.raw);
        return line.smoothed ? [raw, { xs: raw.xs, ys: line.smoothed }] : [raw];
      });
      if (axis.log) nonPositive ||= data.some((d) => Array.prototype.some.call(d.ys, (/** @type {number} */ y) => Number.isFinite(y) && y <= 0));
      if (scale === axis.scale && !this.zoom) {
        this.ranges.pin(scale, null); // the kernel's range, of every point
        continue;
      }
      const range = fitRange(data, this.zoom, axis.log);
      if (!range) continue;
      if (scale === axis.scale) this.ranges.pin(scale, range);
      else if (scale.get("min") !== range[0] || scale.get("max") !== range[1]) scale.set({ min: range[0], max: range[1] }, LOCAL);
      setTicks(axis);
    }
    this.say("log", nonPositive ? "values ≤ 0 are left out of the log scale" : "");
    this.xTicks();
  }

  /** The x axis' ticks for the domain shown and the narrowest view's plot (400 px before one is drawn). */
  xTicks() {
    const widths = [...this.views].map((v) => v.plotWidth()).filter((w) => w > 0);
    setXTicks(this.xAxis, this.xDomain(), widths.length ? Math.min(...widths) : 400);
  }

  /** The x domain shown now. @returns {[number, number] | null} */
  xDomain() {
    if (this.zoom) return this.zoom;
    const full = this.ranges.kernel(this.x);
    return full ? [full[0], full[1]] : null;
  }

  /** Zoom to `window` (null: the full range) now, and ask the kernel for its detail once the gesture settles. @param {[number, number] | null} window */
  setZoom(window) {
    const full = this.ranges.kernel(this.x);
    this.zoom = window && full ? settle(window, full) : window;
    this.refit();
    this.update();
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => this.requests.zoom(this.zoom), SETTLE_MS);
  }

  /** Set the status of one kind of work ("" clears it). @param {string} what @param {string} text */
  say(what, text) {
    if ((this.status[what] || "") === text) return;
    this.status[what] = text;
    this.update();
  }

  statusText() {
    return Object.values(this.status).filter(Boolean).join(" · ");
  }

  update() {
    this.views.forEach((v) => v.update());
  }

  /** @param {number} value */
  setSmoothing(value) {
    this.smoothing = value;
    for (const line of this.lines) applyLine(line, this.smoothing);
    this.update();
    this.views.forEach((v) => v.hover());
  }

  /** @param {number} index @param {boolean} log */
  async setLog(index, log) {
    const axis = this.axes[index];
    if (!axis) return;
    axis.log = log;
    await applyScale(this, axis);
    this.refit();
    this.update();
  }

  /** @param {string} key */
  toggle(key) {
    const line = this.lines.find((l) => l.key === key);
    if (!line) return;
    line.hidden = !line.hidden;
    applyLine(line, this.smoothing);
    this.refit();
    this.update();
    this.views.forEach((v) => v.hover());
  }

  saveCsv() {
    this.requests.csv();
  }
}
