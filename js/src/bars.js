// @ts-check
/**
 * The bars of a progress widget as numbers and text: the `data` trait decoded, and the
 * words after each bar. No DOM here (progress.js draws them).
 *
 * Model traits (see src/cellflux/display/progress_bar.py):
 *   labels: string[]  metric key per bar (untrusted: only ever set as text)
 *   states: string[]  "running" | "done" | "stopped" | "failed" per bar
 *   data:   bytes     little-endian float64, 4 per bar: count, total (NaN when
 *                     unknown), elapsed seconds, rate in items/s (NaN when unknown)
 */

/** Number of float64 values per bar in the `data` trait. */
export const FIELDS = 4;
const STATES = new Set(["running", "done", "stopped", "failed"]);

/**
 * @typedef {object} Bar
 * @property {string} label
 * @property {string} state
 * @property {number} count
 * @property {number} total NaN when unknown
 * @property {number} elapsed seconds
 * @property {number} rate items per second, NaN when unknown
 */

/**
 * A DataView over exactly the bytes of `value`, whatever anywidget hands over:
 * a DataView or typed array may be a window into a larger buffer.
 * @param {unknown} value
 * @returns {DataView}
 */
export function asDataView(value) {
  if (ArrayBuffer.isView(value)) {
    return new DataView(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof ArrayBuffer || Object.prototype.toString.call(value) === "[object ArrayBuffer]") {
    return new DataView(/** @type {ArrayBuffer} */ (value));
  }
  return new DataView(new ArrayBuffer(0));
}

/**
 * Decode the three traits into one record per label.
 * @param {unknown} labels
 * @param {unknown} states
 * @param {unknown} data
 * @returns {Bar[]}
 */
export function readBars(labels, states, data) {
  const names = Array.isArray(labels) ? labels : [];
  const stateList = Array.isArray(states) ? states : [];
  const view = asDataView(data);
  const stored = Math.floor(view.byteLength / 8);
  /** @param {number} i */
  const number = (i) => (i < stored ? view.getFloat64(i * 8, true) : NaN);
  return names.map((label, i) => {
    const state = String(stateList[i] ?? "running");
    const base = i * FIELDS;
    return {
      label: String(label),
      state: STATES.has(state) ? state : "running",
      count: number(base),
      total: number(base + 1),
      elapsed: number(base + 2),
      rate: number(base + 3),
    };
  });
}

/**
 * Seconds as mm:ss, or h:mm:ss from one hour on.
 * @param {number} seconds
 */
export function formatTime(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const whole = Math.floor(seconds);
  const h = Math.floor(whole / 3600);
  const mm = String(Math.floor((whole % 3600) / 60)).padStart(2, "0");
  const ss = String(whole % 60).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** @param {number} x a non-negative finite number */
function formatAmount(x) {
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (x >= 100) return x.toFixed(0);
  return x.toFixed(1);
}

/**
 * Items per second, shown as seconds per item when slower than one per second.
 * @param {number} rate
 */
export function formatRate(rate) {
  if (!Number.isFinite(rate) || rate < 0) return "? it/s";
  if (rate > 0 && rate < 1) return `${formatAmount(1 / rate)} s/it`;
  return `${formatAmount(rate)} it/s`;
}

/** @param {number} n */
function formatCount(n) {
  if (!Number.isFinite(n)) return "?";
  return Number.isInteger(n) ? String(n) : n.toPrecision(4);
}

/**
 * Fraction of the bar to fill, clamped to 0..1; null when the total is unknown.
 * An empty iterable (0 of 0) is complete.
 * @param {Bar} bar
 * @returns {number | null}
 */
export function fillFraction(bar) {
  if (!Number.isFinite(bar.total)) return null;
  if (bar.total <= 0) return 1;
  const f = bar.count / bar.total;
  return Number.isFinite(f) ? Math.min(1, Math.max(0, f)) : 0;
}

/**
 * The text after the bar, e.g. `37/100 37% · 00:12<00:20 · 3.1 it/s`,
 * or `37 · 00:12 · 3.1 it/s` when the total is unknown.
 * @param {Bar} bar
 */
export function formatBar(bar) {
  const rate = formatRate(bar.rate);
  const elapsed = formatTime(bar.elapsed);
  if (!Number.isFinite(bar.total)) {
    return `${formatCount(bar.count)} · ${elapsed} · ${rate}`;
  }
  // count * 100 / total, not fraction * 100: 29/100 must read 29%, not 28%.
  const percent = bar.total > 0 ? Math.floor((bar.count * 100) / bar.total) : 100;
  let time = elapsed;
  if (bar.state === "running") {
    const eta = bar.rate > 0 ? Math.max(0, bar.total - bar.count) / bar.rate : NaN;
    time = `${elapsed}<${formatTime(eta)}`;
  }
  return `${formatCount(bar.count)}/${formatCount(bar.total)} ${percent}% · ${time} · ${rate}`;
}
