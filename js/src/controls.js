// @ts-check
/**
 * cellflux chart controls: hover labels, zoom and pan, log scale, smoothing, show and
 * hide, Save PNG and Save CSV for one bqplot chart of a board.
 *
 * Everything but two requests happens here, on the chart's bqplot models reached
 * through the widget manager and changed with `set(..., LOCAL)`: nothing is sent to
 * the kernel, so it works while a cell is busy. The two requests (zoomed lines at
 * full detail, the CSV of every stored point) go to the kernel as one custom message
 * each (see src/cellflux/display/controls.py and docs/interactive.md).
 *
 * Model trait `meta` (Python: display/interact.py chart_meta): model ids of the
 * figure, x scale, y axes and scales and line marks; units; which axes are log.
 */
import { decadeTicks, fitRange, panBy, settle, valueAt, wheelFactor, zoomAround, pixelOf } from "./zoom.js";
import { nearestIndex, rowText } from "./hover.js";
import { smooth } from "./smoothing.js";

/** Options of every front-end-only `set`: listeners tell them from the kernel's changes. */
const LOCAL = Object.freeze({ cellflux: true });
/** A zoom gesture has settled when no wheel or drag event came for this long. */
export const SETTLE_MS = 300;
/** A request not acknowledged by then waits for the kernel: the cell is busy. */
export const ACK_MS = 1500;
const RAW_OPACITY = 0.3;
const STYLE_ID = "cellflux-controls-style";
const CSS = `
.cellflux-controls{display:flex;flex-wrap:wrap;align-items:center;gap:4px 10px;font-size:12px;margin:2px 0}
.cellflux-controls button{font-size:12px;padding:1px 8px;cursor:pointer}
.cellflux-controls button:disabled{cursor:default;opacity:.5}
.cellflux-controls label{display:inline-flex;align-items:center;gap:4px;cursor:pointer}
.cellflux-controls input[type=range]{width:90px}
.cellflux-controls-status{color:#555;font-style:italic}
.cellflux-hover{position:absolute;pointer-events:none;z-index:10;background:rgba(255,255,255,.94);
 border:1px solid #999;border-radius:3px;padding:3px 6px;font-size:12px;line-height:1.35;white-space:pre;
 box-shadow:0 1px 3px rgba(0,0,0,.25);color:#111}
.cellflux-hover-rule{position:absolute;pointer-events:none;width:0;border-left:1px dashed #888;z-index:9}
.cellflux-hover-dot{position:absolute;pointer-events:none;width:8px;height:8px;margin:-5px 0 0 -5px;
 border-radius:50%;border:1px solid #fff;z-index:9}
.cellflux-select{position:absolute;pointer-events:none;background:rgba(30,120,220,.15);
 border:1px solid rgba(30,120,220,.6);z-index:8}
/* bqplot sends the kernel a hover message holding the whole line at each mouseover of a
   mark, whatever enable_hover says: the marks take no pointer events, the figure does. */
.cellflux-chart .bqplot.figure g.curve,.cellflux-chart .bqplot.figure g.curve *{pointer-events:none}
table.cellflux-stats th[data-cellflux-key]{cursor:pointer}
table.cellflux-stats tr.cellflux-hidden{opacity:.45}
table.cellflux-stats tr.cellflux-hidden .cellflux-name{text-decoration:line-through}
`;

/**
 * @typedef {{cellflux?: boolean}} SetOptions
 * @typedef {{get(name: string): any, set(a: any, b?: any, c?: any): any, on(e: string, f: Function): void,
 *   off(e: string, f: Function): void, views?: Record<string, Promise<any>>}} Model
 * @typedef {{key: string, colour: string, axis: number, mark: Model | null, hidden: boolean,
 *   raw: {xs: ArrayLike<number>, ys: ArrayLike<number>} | null, smoothed: Float64Array | null}} Line
 * @typedef {{meta: any, scale: Model | null, axis: Model | null, log: boolean, local: Model | null,
 *   localAxis: Model | null}} Axis
 * @typedef {{kind: string, timer: any, waiting: boolean}} Pending
 */

/** A model id from `meta` ("IPY_MODEL_" prefix or not). @param {string} id */
const modelId = (id) => String(id).replace(/^IPY_MODEL_/, "");

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A file name with letters, digits and ._- only. @param {string} name @param {string} ext */
export function fileName(name, ext) {
  const stem = String(name).replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+|[._]+$/g, "") || "chart";
  return `${stem.slice(0, 80)}.${ext}`;
}

/** Offer `blob` as a download named `name`. @param {Blob} blob @param {string} name */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The state and models of one chart, shared by every view of its controls. */
export class Chart {
  /** @param {any} model anywidget's model */
  constructor(model) {
    this.model = model;
    /** @type {any} */ this.meta = {};
    /** @type {Model | null} */ this.figure = null;
    /** @type {Model | null} */ this.x = null;
    /** @type {Axis[]} */ this.axes = [];
    /** @type {Line[]} */ this.lines = [];
    /** @type {[number, number] | null} the zoomed x window, in the axis' units */
    this.zoom = null;
    this.smoothing = 0;
    this.seq = 0;
    this.zoomSeq = 0;
    /** @type {Map<number, Pending>} */ this.pending = new Map();
    /** @type {Map<number, any[]>} */ this.csvParts = new Map();
    /** @type {Map<Model, [number, number]>} the range the kernel last set on each of its scales */
    this.kernelRanges = new Map();
    /** @type {Map<Model, [number, number]>} the range this front end holds a scale to */
    this.pins = new Map();
    /** @type {WeakSet<Model>} */ this.watched = new WeakSet();
    /** @type {Set<Model>} */ this.toReconcile = new Set();
    /** @type {Set<any>} views: {update(): void, hover(): void} */ this.views = new Set();
    /** @type {Record<string, string>} */ this.status = {};
    this.settleTimer = /** @type {any} */ (null);
    this.disposed = false;
    this.onMeta = () => void this.resolve();
    this.onMessage = (/** @type {any} */ msg, /** @type {any[]} */ buffers) => this.receive(msg, buffers);
    model.on("change:meta", this.onMeta);
    model.on("msg:custom", this.onMessage);
    this.ready = this.resolve();
  }

  dispose() {
    this.disposed = true;
    this.model.off("change:meta", this.onMeta);
    this.model.off("msg:custom", this.onMessage);
    for (const p of this.pending.values()) clearTimeout(p.timer);
    clearTimeout(this.settleTimer);
  }

  /** @param {string} id @returns {Promise<Model | null>} */
  async getModel(id) {
    if (!id) return null;
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        return await this.model.widget_manager.get_model(modelId(id));
      } catch {
        await sleep(100); // not registered yet: its comm_open is still being handled
      }
    }
    return null;
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
    this.figure = await this.getModel(meta.figure);
    if (this.figure) this.watchFigure(this.figure);
    this.x = await this.getModel(meta.x_scale);
    if (this.x) this.watchScale(this.x);
    const axes = [];
    for (const [i, a] of (meta.axes || []).entries()) {
      const known = this.axes[i];
      /** @type {Axis} */
      const axis = known && known.meta.scale === a.scale
        ? known : { meta: a, scale: null, axis: null, log: !!a.log, local: null, localAxis: null };
      axis.meta = a;
      axis.scale = await this.getModel(a.scale);
      axis.axis = await this.getModel(a.axis);
      if (axis.scale) this.watchScale(axis.scale);
      if (axis.axis) this.watchAxis(axis);
      axes.push(axis);
    }
    this.axes = axes;
    const lines = [];
    for (const l of meta.lines || []) {
      const known = this.lines.find((line) => line.key === l.key);
      /** @type {Line} */
      const line = known || { key: l.key, colour: l.colour, axis: l.axis, mark: null, hidden: false, raw: null, smoothed: null };
      Object.assign(line, { colour: l.colour, axis: l.axis });
      line.mark = await this.getModel(l.mark);
      // Its view's first draw and the kernel's updates before this meta (its move onto the
      // chart's scales) are chained on the mark's state_change: a set of ours before then
      // can reach a Lines view that has not drawn yet, which throws on a scale change.
      if (line.mark && line.mark.state_change) await line.mark.state_change.catch(() => {});
      if (line.mark) this.watchMark(line);
      lines.push(line);
    }
    this.lines = lines;
    if (this.disposed) return;
    for (const axis of this.axes) await this.applyScale(axis);
    for (const line of this.lines) this.applyLine(line);
    this.refit();
    this.update();
  }

  /** Follow the kernel's ranges of `scale`, and hold it to our pin when we have one. @param {Model} scale */
  watchScale(scale) {
    if (this.watched.has(scale)) return;
    this.watched.add(scale);
    const kernel = /** @type {[number, number]} */ ([scale.get("min"), scale.get("max")]);
    this.kernelRanges.set(scale, kernel);
    // The kernel sends min and max only when they change, one or both: keep each as it comes
    // (the other may be ours on screen), and hold the scale to our pin once its update is done.
    /** @param {number} end */
    const changed = (end) => (/** @type {Model} */ m, /** @type {number} */ value, /** @type {SetOptions} */ options) => {
      if (options && options.cellflux) return;
      kernel[end] = value;
      this.toReconcile.add(m);
      queueMicrotask(() => this.reconcile());
    };
    scale.on("change:min", changed(0));
    scale.on("change:max", changed(1));
  }

  reconcile() {
    const scales = [...this.toReconcile];
    this.toReconcile.clear();
    for (const scale of scales) {
      const pin = this.pins.get(scale);
      if (pin) scale.set({ min: pin[0], max: pin[1] }, LOCAL);
    }
    for (const axis of this.axes) this.setTicks(axis);
    this.views.forEach((v) => v.hover());
  }

  /** Keep what the kernel sends to `line`'s mark, then draw it our way. @param {Line} line */
  watchMark(line) {
    const mark = /** @type {Model} */ (line.mark);
    if (this.watched.has(mark)) return;
    this.watched.add(mark);
    let queued = false;
    const changed = (/** @type {Model} */ _m, /** @type {any} */ _v, /** @type {SetOptions} */ options) => {
      if ((options && options.cellflux) || queued) return;
      queued = true;
      queueMicrotask(() => {
        queued = false;
        this.takeData(line);
        this.applyLine(line);
        this.refit();
        this.views.forEach((v) => v.hover());
      });
    };
    mark.on("change:x", changed);
    mark.on("change:y", changed);
  }

  /** @param {Line} line */
  takeData(line) {
    if (!line.mark) return;
    const xs = line.mark.get("x");
    const ys = line.mark.get("y");
    // Our smoothed form is [raw, smoothed]: an x-only update from the kernel leaves it.
    const raw = Array.isArray(ys) && ys.length && typeof ys[0] === "object" ? ys[0] : ys;
    line.raw = { xs: xs || [], ys: raw || [] };
  }

  /** Draw `line` as the user asked: shown or hidden, raw or raw (faint) and smoothed. @param {Line} line */
  applyLine(line) {
    const mark = line.mark;
    if (!mark) return;
    if (!line.raw) this.takeData(line);
    if (mark.get("visible") !== !line.hidden) mark.set({ visible: !line.hidden }, LOCAL);
    const raw = line.raw;
    line.smoothed = raw && this.smoothing > 0 ? smooth(raw.ys, this.smoothing) : null;
    if (!raw || raw.ys.length === 0) return;
    if (line.smoothed) {
      mark.set({
        y: [raw.ys, line.smoothed],
        colors: [line.colour, line.colour],
        opacities: [RAW_OPACITY, 1],
        labels: [line.key, `${line.key} (smoothed)`],
      }, LOCAL);
    } else if (mark.get("y") !== raw.ys) {
      mark.set({ y: raw.ys, opacities: [1], labels: [line.key] }, LOCAL);
    }
  }

  /** Whether `axis` is drawn on a scale of the other kind than the kernel's. @param {Axis} axis */
  flipped(axis) {
    return axis.log !== !!axis.meta.log;
  }

  /** The scale `axis` draws with now: the kernel's, or ours of the other kind. @param {Axis} axis */
  activeScale(axis) {
    return this.flipped(axis) ? axis.local : axis.scale;
  }

  /** The axis model drawn now: the kernel's, or our copy of it on our scale. @param {Axis} axis */
  activeAxis(axis) {
    return this.flipped(axis) ? axis.localAxis : axis.axis;
  }

  /**
   * Put the axis and its lines on the scale of its log setting. A bqplot Axis view does
   * not redraw itself well on a new scale, so the figure gets another Axis model, a
   * copy of the kernel's on our scale, in its place: the figure draws a new axis view.
   * @param {Axis} axis
   */
  async applyScale(axis) {
    if (!axis.scale || !axis.axis) return;
    if (this.flipped(axis) && !axis.local) {
      axis.local = await this.localModel(axis.scale, axis.log ? "LogScale" : "LinearScale", {
        min: axis.log ? 1 : 0, max: axis.log ? 10 : 1, allow_padding: false, reverse: false,
      });
      axis.localAxis = await this.localModel(axis.axis, "Axis", {});
      this.copyAxis(axis);
    }
    const scale = this.activeScale(axis);
    if (!scale) return;
    this.placeAxes();
    for (const line of this.lines) {
      if (line.mark && this.axes[line.axis] === axis) {
        const scales = line.mark.get("scales") || {};
        if (scales.y !== scale) line.mark.set({ scales: { ...scales, y: scale } }, LOCAL);
      }
    }
    this.setTicks(axis);
  }

  /**
   * A model of bqplot's module (a scale, an axis) that lives in this page only: made by
   * the widget manager without a comm, so nothing about it reaches the kernel.
   * @param {Model} like a model of the same module @param {string} name @param {any} state
   */
  async localModel(like, name, state) {
    return this.model.widget_manager.new_model(
      {
        model_name: `${name}Model`,
        model_module: like.get("_model_module"),
        model_module_version: like.get("_model_module_version"),
        view_name: name,
        view_module: like.get("_view_module"),
        view_module_version: like.get("_view_module_version"),
        model_id: `cellflux-local-${Math.random().toString(36).slice(2)}`,
      },
      state,
    );
  }

  /** Our axis copy takes the kernel's axis settings (label, colour, side...) on our scale. @param {Axis} axis */
  copyAxis(axis) {
    if (!axis.axis || !axis.localAxis || !axis.local) return;
    /** @type {Record<string, any>} */
    const copy = {};
    for (const [name, value] of Object.entries(/** @type {any} */ (axis.axis).attributes || {})) {
      if (!name.startsWith("_") && name !== "scale" && name !== "tick_values") copy[name] = value;
    }
    axis.localAxis.set({ ...copy, scale: axis.local }, LOCAL);
  }

  /** The figure's axes: ours in place of the kernel's where an axis is flipped. */
  placeAxes() {
    const figure = this.figure;
    if (!figure) return;
    const now = figure.get("axes") || [];
    const wanted = now.map((/** @type {Model} */ model) => {
      const axis = this.axes.find((a) => a.axis === model || a.localAxis === model);
      return (axis && this.activeAxis(axis)) || model;
    });
    if (wanted.some((/** @type {Model} */ m, /** @type {number} */ i) => m !== now[i])) figure.set({ axes: wanted }, LOCAL);
  }

  /** The kernel sets the figure's axes when the chart grows: put ours back in. @param {Model} figure */
  watchFigure(figure) {
    if (this.watched.has(figure)) return;
    this.watched.add(figure);
    figure.on("change:axes", (/** @type {Model} */ _m, /** @type {any} */ _v, /** @type {SetOptions} */ options) => {
      if (!(options && options.cellflux)) queueMicrotask(() => this.placeAxes());
    });
  }

  /** @param {Axis} axis */
  watchAxis(axis) {
    const model = /** @type {Model} */ (axis.axis);
    if (this.watched.has(model)) return;
    this.watched.add(model);
    model.on("change", (/** @type {Model} */ _m, /** @type {SetOptions} */ options) => {
      if (!(options && options.cellflux)) queueMicrotask(() => this.copyAxis(axis));
    });
  }

  /** Ticks at powers of ten on a log axis, d3's own on a linear one. @param {Axis} axis */
  setTicks(axis) {
    const scale = this.activeScale(axis);
    const model = this.activeAxis(axis);
    if (!model || !scale) return;
    const ticks = axis.log ? decadeTicks(scale.get("min"), scale.get("max")) : [];
    const now = model.get("tick_values") || [];
    if (ticks.length !== now.length || ticks.some((/** @type {number} */ t, /** @type {number} */ i) => t !== now[i])) {
      model.set({ tick_values: ticks }, LOCAL);
    }
    // 0.01, 0.1, 1, 10 rather than bqplot's 1e-2...; the kernel's format back on a linear axis.
    const format = axis.log ? "~g" : (axis.axis?.get("tick_format") ?? null);
    if (model.get("tick_format") !== format) model.set({ tick_format: format }, LOCAL);
  }

  /** Hold `scale` to `range`, or give it back to the kernel (null). @param {Model} scale @param {[number, number] | null} range */
  pin(scale, range) {
    if (range) {
      this.pins.set(scale, range);
      if (scale.get("min") !== range[0] || scale.get("max") !== range[1]) scale.set({ min: range[0], max: range[1] }, LOCAL);
    } else if (this.pins.delete(scale)) {
      const kernel = this.kernelRanges.get(scale);
      if (kernel) scale.set({ min: kernel[0], max: kernel[1] }, LOCAL);
    }
  }

  /** The x window on screen, and each y axis fitted to what is shown where the kernel's range does not apply. */
  refit() {
    if (this.x) this.pin(this.x, this.zoom);
    let nonPositive = false;
    for (const axis of this.axes) {
      const scale = this.activeScale(axis);
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
        this.pin(scale, null); // the kernel's range, of every point
        continue;
      }
      const range = fitRange(data, this.zoom, axis.log);
      if (!range) continue;
      if (scale === axis.scale) this.pin(scale, range);
      else if (scale.get("min") !== range[0] || scale.get("max") !== range[1]) scale.set({ min: range[0], max: range[1] }, LOCAL);
      this.setTicks(axis);
    }
    this.say("log", nonPositive ? "values ≤ 0 are left out of the log scale" : "");
  }

  /** The x domain shown now. @returns {[number, number] | null} */
  xDomain() {
    if (this.zoom) return this.zoom;
    const full = this.x && this.kernelRanges.get(this.x);
    return full ? [full[0], full[1]] : null;
  }

  /** Zoom to `window` (null: the full range) now, and ask the kernel for its detail once the gesture settles. @param {[number, number] | null} window */
  setZoom(window) {
    const full = this.x && this.kernelRanges.get(this.x);
    this.zoom = window && full ? settle(window, full) : window;
    this.refit();
    this.update();
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => this.requestZoom(), SETTLE_MS);
  }

  requestZoom() {
    const z = this.zoom;
    // A margin of half a window each side: a small pan still has its points at hand.
    const span = z ? z[1] - z[0] : 0;
    const content = z ? { kind: "zoom", low: z[0] - span / 2, high: z[1] + span / 2 } : { kind: "zoom", low: null, high: null };
    this.zoomSeq = this.request(content);
    this.say("zoom", z ? "zoomed: loading detail…" : "");
  }

  /** Send a request to the kernel; returns its sequence number. @param {any} content */
  request(content) {
    const seq = ++this.seq;
    const timer = setTimeout(() => {
      const p = this.pending.get(seq);
      if (!p) return;
      p.waiting = true;
      this.say(p.kind, p.kind === "csv" ? "Save CSV: when the cell finishes" : this.zoom ? "zoomed: full detail when the cell finishes" : "");
    }, ACK_MS);
    this.pending.set(seq, { kind: content.kind, timer, waiting: false });
    this.model.send({ ...content, seq });
    return seq;
  }

  /** @param {any} msg @param {any[]} buffers */
  receive(msg, buffers) {
    if (!msg || typeof msg.seq !== "number") return;
    const pending = this.pending.get(msg.seq);
    if (msg.kind === "ack") {
      if (pending) clearTimeout(pending.timer);
      if (pending?.kind === "csv") this.say("csv", "Save CSV: reading the stored points…");
      return;
    }
    if (msg.kind === "error") {
      this.pending.delete(msg.seq);
      this.say(pending?.kind || "error", `failed: ${msg.message}`);
      return;
    }
    if (msg.kind === "zoomed") {
      this.pending.delete(msg.seq);
      if (msg.seq === this.zoomSeq) this.say("zoom", this.zoom ? "zoomed: full detail (double-click to reset)" : "");
      return;
    }
    if (msg.kind === "csv") {
      const parts = this.csvParts.get(msg.seq) || [];
      for (const b of buffers || []) parts.push(b);
      this.csvParts.set(msg.seq, parts);
      if (!msg.last) return;
      this.csvParts.delete(msg.seq);
      this.pending.delete(msg.seq);
      download(new Blob(parts, { type: "text/csv" }), fileName(String(msg.name || "chart").replace(/\.csv$/, ""), "csv"));
      this.say("csv", "");
    }
  }

  /** @param {string} what @param {string} text */
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
    for (const line of this.lines) this.applyLine(line);
    this.update();
    this.views.forEach((v) => v.hover());
  }

  /** @param {number} index @param {boolean} log */
  async setLog(index, log) {
    const axis = this.axes[index];
    if (!axis) return;
    axis.log = log;
    await this.applyScale(axis);
    this.refit();
    this.update();
  }

  /** @param {string} key */
  toggle(key) {
    const line = this.lines.find((l) => l.key === key);
    if (!line) return;
    line.hidden = !line.hidden;
    this.applyLine(line);
    this.refit();
    this.update();
    this.views.forEach((v) => v.hover());
  }

  saveCsv() {
    this.request({ kind: "csv" });
  }
}

/** Inject the stylesheet once per document. @param {Document} doc */
function ensureStyle(doc) {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  doc.head.appendChild(style);
}

/**
 * One view of the controls: the toolbar in `el`, and the pointer handling of the
 * figure beside it in the same chart row.
 */
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
    ensureStyle(el.ownerDocument);
    this.toolbar = el.ownerDocument.createElement("div");
    this.toolbar.className = "cellflux-controls";
    this.toolbar.setAttribute("role", "toolbar");
    el.appendChild(this.toolbar);
    this.build();
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

  build() {
    const doc = this.el.ownerDocument;
    const chart = this.chart;
    this.toolbar.replaceChildren();
    this.toolbar.setAttribute("aria-label", `Chart controls: ${chart.meta.title || ""}`);
    /** @param {string} name @param {() => void} action */
    const button = (name, action) => {
      const b = doc.createElement("button");
      b.type = "button";
      b.textContent = name;
      b.setAttribute("aria-label", name);
      b.title = name;
      b.addEventListener("click", action);
      this.toolbar.appendChild(b);
      return b;
    };
    this.reset = button("Zoom reset", () => chart.setZoom(null));
    this.reset.title = "Zoom reset (or double-click the chart); wheel to zoom, drag to pan, shift-drag to zoom to a range";
    /** @type {HTMLInputElement[]} */
    this.logBoxes = (chart.meta.axes || []).map((/** @type {any} */ a, /** @type {number} */ i, /** @type {any[]} */ all) => {
      const label = doc.createElement("label");
      const box = doc.createElement("input");
      box.type = "checkbox";
      const name = all.length > 1 ? `Log scale: ${a.label}` : "Log scale";
      box.setAttribute("aria-label", name);
      box.title = name;
      box.addEventListener("change", () => void chart.setLog(i, box.checked));
      label.append(box, doc.createTextNode(name));
      this.toolbar.appendChild(label);
      return box;
    });
    const smoothing = doc.createElement("label");
    this.slider = doc.createElement("input");
    this.slider.type = "range";
    this.slider.min = "0";
    this.slider.max = "0.99";
    this.slider.step = "0.01";
    this.slider.setAttribute("aria-label", "Smoothing");
    this.slider.title = "Smoothing: exponential moving average (0 = off)";
    this.strength = doc.createElement("span");
    const slider = this.slider;
    slider.addEventListener("input", () => chart.setSmoothing(Number(slider.value)));
    smoothing.append(doc.createTextNode("Smoothing"), slider, this.strength);
    this.toolbar.appendChild(smoothing);
    button("Save PNG", () => void this.savePng());
    button("Save CSV", () => chart.saveCsv());
    this.statusEl = doc.createElement("span");
    this.statusEl.className = "cellflux-controls-status";
    this.statusEl.setAttribute("role", "status");
    this.statusEl.setAttribute("aria-live", "polite");
    this.toolbar.appendChild(this.statusEl);
    this.axesShown = (chart.meta.axes || []).map((/** @type {any} */ a) => a.label).join("\n");
    this.update();
  }

  update() {
    const chart = this.chart;
    const axes = (chart.meta.axes || []).map((/** @type {any} */ a) => a.label).join("\n");
    if (axes !== this.axesShown) this.build();
    if (this.reset) this.reset.disabled = !chart.zoom;
    (this.logBoxes || []).forEach((box, i) => {
      box.checked = !!chart.axes[i]?.log || (!chart.axes[i] && !!chart.meta.axes?.[i]?.log);
    });
    if (this.slider && this.strength) {
      if (Number(this.slider.value) !== chart.smoothing) this.slider.value = String(chart.smoothing);
      this.strength.textContent = chart.smoothing > 0 ? chart.smoothing.toFixed(2) : "off";
    }
    if (this.statusEl) this.statusEl.textContent = chart.statusText();
    this.decorateStats();
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
    on("pointermove", (/** @type {PointerEvent} */ e) => this.move(e));
    on("pointerleave", () => { this.pointer = null; this.hover(); });
    on("wheel", (/** @type {WheelEvent} */ e) => this.wheel(e), { passive: false });
    on("pointerdown", (/** @type {PointerEvent} */ e) => this.down(e));
    on("pointerup", (/** @type {PointerEvent} */ e) => this.up(e));
    on("dblclick", (/** @type {MouseEvent} */ e) => { if (this.inPlot(e)) this.chart.setZoom(null); });
    if (this.statsEl) {
      const stats = this.statsEl;
      const toggle = (/** @type {Event} */ e) => {
        const cell = /** @type {HTMLElement} */ (e.target).closest?.("th[data-cellflux-key]");
        if (cell) this.chart.toggle(cell.getAttribute("data-cellflux-key") || "");
      };
      on("click", toggle, undefined, stats);
      on("keydown", (/** @type {KeyboardEvent} */ e) => {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(e); }
      }, undefined, stats);
      // The kernel rewrites the table at each tick: mark its rows again each time.
      const observer = new MutationObserver(() => this.decorateStats());
      observer.observe(stats, { childList: true, subtree: true });
      this.cleanups.push(() => observer.disconnect());
    }
    this.update();
  }

  /** Rows of the stats table as switches: a name cell per metric, pressed while shown. */
  decorateStats() {
    for (const row of this.statsEl?.querySelectorAll("table.cellflux-stats tr") ?? []) {
      const name = row.querySelector(".cellflux-name");
      const cell = name?.closest("th");
      if (!name || !cell) continue;
      const key = name.getAttribute("title") || "";
      const line = this.chart.lines.find((l) => l.key === key);
      const hidden = !!line?.hidden;
      if (cell.getAttribute("data-cellflux-key") !== key) {
        cell.setAttribute("data-cellflux-key", key);
        cell.setAttribute("role", "button");
        cell.tabIndex = 0;
      }
      const label = `${hidden ? "Show" : "Hide"} ${key}`;
      if (cell.getAttribute("aria-label") !== label) cell.setAttribute("aria-label", label);
      if (cell.getAttribute("aria-pressed") !== String(!hidden)) cell.setAttribute("aria-pressed", String(!hidden));
      row.classList.toggle("cellflux-hidden", hidden);
    }
  }

  /** The plot area of the figure on screen. */
  plotRect() {
    const area = this.figureEl?.querySelector("rect.plotarea_events") || this.figureEl?.querySelector("rect.plotarea_background");
    return area ? area.getBoundingClientRect() : null;
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
      if (drag.moved && drag.select) this.drawSelection(drag.x, e.clientX, r);
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

  /** @param {number} from @param {number} to @param {DOMRect} r */
  drawSelection(from, to, r) {
    const fig = /** @type {HTMLElement} */ (this.figureEl);
    if (!this.selection) {
      this.selection = fig.ownerDocument.createElement("div");
      this.selection.className = "cellflux-select";
      fig.appendChild(this.selection);
    }
    const box = fig.getBoundingClientRect();
    const left = Math.max(Math.min(from, to), r.left);
    const right = Math.min(Math.max(from, to), r.right);
    Object.assign(this.selection.style, {
      left: `${left - box.left}px`, top: `${r.top - box.top}px`, width: `${right - left}px`, height: `${r.height}px`,
    });
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
    if (pointer.x < r.left || pointer.x > r.right || pointer.y < r.top || pointer.y > r.bottom) return;
    const doc = fig.ownerDocument;
    const box = fig.getBoundingClientRect();
    const x = valueAt(domain, false, pointer.x - r.left, r.width);
    const chart = this.chart;
    const text = [];
    for (const line of chart.lines) {
      if (line.hidden || !line.raw || !line.raw.xs.length) continue;
      const i = nearestIndex(line.raw.xs, x);
      const axis = chart.axes[line.axis];
      const scale = axis && chart.activeScale(axis);
      const px = line.raw.xs[i];
      const py = line.raw.ys[i];
      const smoothed = line.smoothed ? line.smoothed[i] : undefined;
      text.push(rowText({ key: line.key, colour: line.colour, x: px, y: py, smoothed, units: axis?.meta.units || "" },
        chart.meta.x_units || "", !!chart.meta.x_time));
      if (!scale) continue;
      const left = r.left - box.left + pixelOf(domain, false, px, r.width);
      const shown = smoothed === undefined ? py : smoothed;
      const top = r.top - box.top + pixelOf([scale.get("min"), scale.get("max")], axis.log, shown, r.height, true);
      if (Number.isFinite(left) && Number.isFinite(top) && top >= r.top - box.top && top <= r.bottom - box.top) {
        const dot = doc.createElement("div");
        dot.className = "cellflux-hover-dot";
        dot.style.background = line.colour;
        Object.assign(dot.style, { left: `${left}px`, top: `${top}px` });
        overlay.appendChild(dot);
      }
    }
    if (!text.length) return;
    const rule = doc.createElement("div");
    rule.className = "cellflux-hover-rule";
    Object.assign(rule.style, { left: `${pointer.x - box.left}px`, top: `${r.top - box.top}px`, height: `${r.height}px` });
    const label = doc.createElement("div");
    label.className = "cellflux-hover";
    label.setAttribute("role", "tooltip");
    label.textContent = text.join("\n");
    overlay.append(rule, label);
    // Beside the pointer: on the side where it fits (right first), else as far right as it
    // fits, so that it covers the plot rather than the y-axis' ticks.
    const at = pointer.x - box.left;
    const width = label.offsetWidth;
    const right = at + 12;
    const left = at - width - 12;
    const place = right + width <= box.width ? right : left >= 0 ? left : box.width - width;
    label.style.left = `${Math.max(0, place)}px`;
    label.style.top = `${Math.max(0, pointer.y - box.top - label.offsetHeight - 8)}px`;
  }

  /** The figure as a PNG, with the chart's title above it and its shown lines named below. */
  async savePng() {
    const fig = this.chart.figure;
    if (!fig || !this.figureEl) return;
    let view = null;
    for (const promise of Object.values(fig.views || {})) {
      const v = await promise;
      if (v.el === this.figureEl) view = v;
    }
    if (!view || typeof view.get_rendered_canvas !== "function") {
      this.chart.say("png", "Save PNG: the chart is not drawn yet");
      return;
    }
    const scale = 2;
    const plot = await view.get_rendered_canvas(scale);
    const doc = this.el.ownerDocument;
    const canvas = doc.createElement("canvas");
    const head = 26 * scale;
    const foot = 22 * scale;
    canvas.width = plot.width;
    canvas.height = plot.height + head + foot;
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(plot, 0, head);
    ctx.fillStyle = "#111";
    ctx.font = `bold ${14 * scale}px sans-serif`;
    ctx.textBaseline = "middle";
    ctx.fillText(String(this.chart.meta.title || ""), 10 * scale, head / 2, canvas.width - 20 * scale);
    ctx.font = `${12 * scale}px sans-serif`;
    let x = 10 * scale;
    for (const line of this.chart.lines.filter((l) => !l.hidden)) {
      ctx.fillStyle = line.colour;
      ctx.fillRect(x, plot.height + head + foot / 2 - 5 * scale, 10 * scale, 10 * scale);
      ctx.fillStyle = "#111";
      const name = line.key.length > 40 ? `${line.key.slice(0, 39)}…` : line.key;
      ctx.fillText(name, x + 14 * scale, plot.height + head + foot / 2);
      x += 14 * scale + ctx.measureText(name).width + 16 * scale;
    }
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    if (blob) download(/** @type {Blob} */ (blob), fileName(this.chart.meta.title || "chart", "png"));
  }
}

export default () => {
  /** @type {Chart | undefined} */
  let chart;
  return {
    /** @param {{model: any}} args */
    initialize({ model }) {
      chart = new Chart(model);
      return () => chart?.dispose();
    },
    /** @param {{model: any, el: HTMLElement}} args */
    render({ model, el }) {
      chart ||= new Chart(model);
      const view = new View(chart, el);
      return () => view.dispose();
    },
  };
};
