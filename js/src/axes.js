// @ts-check
/**
 * Log scale per y axis. The kernel's scale of an axis stays as the kernel made it; an
 * axis the user switched to the other kind (log or linear) draws with a scale of this
 * page and a copy of the kernel's axis model on it, put in the figure in its place.
 */
import { LOCAL, isLocal, localModel } from "./models.js";
import { decadeTicks, niceTicks, tickCount } from "./zoom.js";

/**
 * @typedef {import("./models.js").Model} Model
 * @typedef {import("./models.js").Axis} Axis
 * @typedef {import("./models.js").Line} Line
 * @typedef {import("./models.js").SetOptions} SetOptions
 * @typedef {{model: any, figure: Model | null, axes: Axis[], lines: Line[]}} Layout the chart's
 *   models, read anew at each use: anywidget's model, the figure, its y axes and lines
 */

/** Whether `axis` is drawn on a scale of the other kind than the kernel's. @param {Axis} axis */
export function flipped(axis) {
  return axis.log !== !!axis.meta.log;
}

/** The scale `axis` draws with now: the kernel's, or ours of the other kind. @param {Axis} axis */
export function activeScale(axis) {
  return flipped(axis) ? axis.local : axis.scale;
}

/** The axis model drawn now: the kernel's, or our copy of it on our scale. @param {Axis} axis */
export function activeAxis(axis) {
  return flipped(axis) ? axis.localAxis : axis.axis;
}

/**
 * Put the axis and its lines on the scale of its log setting. A bqplot Axis view does
 * not redraw itself well on a new scale, so the figure gets another Axis model, a
 * copy of the kernel's on our scale, in its place: the figure draws a new axis view.
 * @param {Layout} chart @param {Axis} axis
 */
export async function applyScale(chart, axis) {
  if (!axis.scale || !axis.axis) return;
  if (flipped(axis) && !axis.local) {
    axis.local = await localModel(chart.model, axis.scale, axis.log ? "LogScale" : "LinearScale", {
      min: axis.log ? 1 : 0, max: axis.log ? 10 : 1, allow_padding: false, reverse: false,
    });
    axis.localAxis = await localModel(chart.model, axis.axis, "Axis", {});
    copyAxis(axis);
  }
  const scale = activeScale(axis);
  if (!scale) return;
  placeAxes(chart);
  for (const line of chart.lines) {
    if (line.mark && chart.axes[line.axis] === axis) {
      const scales = line.mark.get("scales") || {};
      if (scales.y !== scale) line.mark.set({ scales: { ...scales, y: scale } }, LOCAL);
    }
  }
  setTicks(axis);
}

/** Our axis copy takes the kernel's axis settings (label, colour, side...) on our scale. @param {Axis} axis */
export function copyAxis(axis) {
  if (!axis.axis || !axis.localAxis || !axis.local) return;
  /** @type {Record<string, any>} */
  const copy = {};
  for (const [name, value] of Object.entries(/** @type {any} */ (axis.axis).attributes || {})) {
    if (!name.startsWith("_") && name !== "scale" && name !== "tick_values") copy[name] = value;
  }
  axis.localAxis.set({ ...copy, scale: axis.local }, LOCAL);
}

/** The figure's axes: ours in place of the kernel's where an axis is flipped. @param {Layout} chart */
export function placeAxes(chart) {
  const figure = chart.figure;
  if (!figure) return;
  const now = figure.get("axes") || [];
  const wanted = now.map((/** @type {Model} */ model) => {
    const axis = chart.axes.find((a) => a.axis === model || a.localAxis === model);
    return (axis && activeAxis(axis)) || model;
  });
  if (wanted.some((/** @type {Model} */ m, /** @type {number} */ i) => m !== now[i])) figure.set({ axes: wanted }, LOCAL);
}

/**
 * The kernel sets the figure's axes when the chart grows: put ours back in.
 * @param {Layout} chart @param {WeakSet<Model>} watched @param {Model} figure
 */
export function watchFigure(chart, watched, figure) {
  if (watched.has(figure)) return;
  watched.add(figure);
  figure.on("change:axes", (/** @type {Model} */ _m, /** @type {any} */ _v, /** @type {SetOptions} */ options) => {
    if (!isLocal(options)) queueMicrotask(() => placeAxes(chart));
  });
}

/** Our copy of the axis follows what the kernel changes on its own. @param {WeakSet<Model>} watched @param {Axis} axis */
export function watchAxis(watched, axis) {
  const model = /** @type {Model} */ (axis.axis);
  if (watched.has(model)) return;
  watched.add(model);
  model.on("change", (/** @type {Model} */ _m, /** @type {SetOptions} */ options) => {
    if (!isLocal(options)) queueMicrotask(() => copyAxis(axis));
  });
}

/** Ticks at powers of ten on a log axis, d3's own on a linear one. @param {Axis} axis */
export function setTicks(axis) {
  const scale = activeScale(axis);
  const model = activeAxis(axis);
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

/**
 * Round ticks on the x axis, as many as the plot's `width` holds; [] gives bqplot's own back.
 * @param {Model | null} model the x axis @param {[number, number] | null} domain @param {number} width
 */
export function setXTicks(model, domain, width) {
  if (!model) return;
  const ticks = domain ? niceTicks(domain[0], domain[1], tickCount(width, domain[0], domain[1])) : [];
  const now = model.get("tick_values") || [];
  if (ticks.length !== now.length || ticks.some((t, i) => t !== now[i])) model.set({ tick_values: ticks }, LOCAL);
}
