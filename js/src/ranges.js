// @ts-check
/**
 * The ranges of the chart's kernel scales: the one the kernel last set on each, and the
 * one this front end holds a scale to (a zoom, a fit). The kernel's updates keep coming
 * while the user zooms; a scale goes back to our range right after each.
 */
import { LOCAL, isLocal } from "./models.js";

/**
 * @typedef {import("./models.js").Model} Model
 * @typedef {import("./models.js").SetOptions} SetOptions
 */

export class Ranges {
  /**
   * @param {WeakSet<Model>} watched the chart's models already listened to
   * @param {() => void} onKernelRange called once the kernel's new ranges are dealt with
   */
  constructor(watched, onKernelRange) {
    this.watched = watched;
    this.onKernelRange = onKernelRange;
    /** @type {Map<Model, [number, number]>} the range the kernel last set on each of its scales */
    this.kernelRanges = new Map();
    /** @type {Map<Model, [number, number]>} the range this front end holds a scale to */
    this.pins = new Map();
    /** @type {Set<Model>} */ this.toReconcile = new Set();
  }

  /** Follow the kernel's ranges of `scale`, and hold it to our pin when we have one. @param {Model} scale */
  watch(scale) {
    if (this.watched.has(scale)) return;
    this.watched.add(scale);
    const kernel = /** @type {[number, number]} */ ([scale.get("min"), scale.get("max")]);
    this.kernelRanges.set(scale, kernel);
    // The kernel sends min and max only when they change, one or both: keep each as it comes
    // (the other may be ours on screen), and hold the scale to our pin once its update is done.
    /** @param {number} end */
    const changed = (end) => (/** @type {Model} */ m, /** @type {number} */ value, /** @type {SetOptions} */ options) => {
      if (isLocal(options)) return;
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
    this.onKernelRange();
  }

  /** The range the kernel last set on `scale`. @param {Model | null} scale */
  kernel(scale) {
    return scale ? this.kernelRanges.get(scale) : undefined;
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
}
