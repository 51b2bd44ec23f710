// @ts-check
/**
 * cellflux progress bars: one anywidget view shows every bar of a chart group.
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
const STYLE_ID = "cellflux-progress-style";

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
 * @typedef {object} Row
 * @property {HTMLDivElement} row
 * @property {HTMLSpanElement} label
 * @property {HTMLDivElement} track
 * @property {HTMLDivElement} fill
 * @property {HTMLSpanElement} text
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

const CSS = `
.cellflux-progress {
  display: grid;
  grid-template-columns: minmax(0, max-content) minmax(6em, 1fr) max-content;
  gap: 3px 8px;
  align-items: center;
  padding: 2px 0;
  font-family: var(--jp-ui-font-family, system-ui, sans-serif);
  font-size: var(--jp-ui-font-size1, 13px);
  line-height: 1.3;
  color: var(--jp-ui-font-color1, inherit);
}
.cellflux-progress-row {
  --cellflux-bar-color: var(--jp-brand-color1, #1976d2);
  display: grid;
  grid-column: 1 / -1;
  grid-template-columns: minmax(0, 16ch) minmax(6em, 1fr) max-content;
  grid-template-columns: subgrid;
  align-items: center;
  gap: 8px;
}
.cellflux-progress-row[data-state="done"] { --cellflux-bar-color: var(--jp-success-color1, #388e3c); }
.cellflux-progress-row[data-state="stopped"] { --cellflux-bar-color: var(--jp-warn-color1, #f57c00); }
.cellflux-progress-row[data-state="failed"] { --cellflux-bar-color: var(--jp-error-color1, #d32f2f); }
.cellflux-progress-label {
  max-width: 28ch;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}
.cellflux-progress-track {
  height: 0.8em;
  border-radius: 3px;
  overflow: hidden;
  background: var(--jp-layout-color2, rgba(128, 128, 128, 0.2));
  box-shadow: inset 0 0 0 1px var(--jp-border-color2, rgba(128, 128, 128, 0.25));
}
.cellflux-progress-fill {
  height: 100%;
  width: 0;
  background-color: var(--cellflux-bar-color);
  transition: width 0.15s linear;
}
.cellflux-progress-indeterminate .cellflux-progress-fill {
  background-image: linear-gradient(135deg,
    rgba(255, 255, 255, 0.28) 25%, transparent 25%, transparent 50%,
    rgba(255, 255, 255, 0.28) 50%, rgba(255, 255, 255, 0.28) 75%, transparent 75%);
  background-size: 14px 14px;
}
.cellflux-progress-indeterminate[data-state="running"] .cellflux-progress-fill {
  opacity: 0.7;
  animation: cellflux-progress-stripes 1s linear infinite;
}
.cellflux-progress-indeterminate[data-state="done"] .cellflux-progress-fill { background-image: none; }
@keyframes cellflux-progress-stripes { from { background-position: 14px 0; } to { background-position: 0 0; } }
@media (prefers-reduced-motion: reduce) {
  .cellflux-progress-fill { transition: none; animation: none !important; }
}
.cellflux-progress-text {
  font-family: var(--jp-code-font-family, ui-monospace, monospace);
  font-size: var(--jp-code-font-size, 12px);
  font-variant-numeric: tabular-nums;
  white-space: nowrap;
  color: var(--jp-ui-font-color2, inherit);
}
`;

/** Add the stylesheet once per document. @param {Document} doc */
function ensureStyle(doc) {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  (doc.head ?? doc.documentElement).appendChild(style);
}

/** @param {Document} doc @returns {Row} */
function createRow(doc) {
  const row = doc.createElement("div");
  row.className = "cellflux-progress-row";
  const label = doc.createElement("span");
  label.className = "cellflux-progress-label";
  const track = doc.createElement("div");
  track.className = "cellflux-progress-track";
  track.setAttribute("role", "progressbar");
  track.setAttribute("aria-valuemin", "0");
  const fill = doc.createElement("div");
  fill.className = "cellflux-progress-fill";
  const text = doc.createElement("span");
  text.className = "cellflux-progress-text";
  track.appendChild(fill);
  row.append(label, track, text);
  return { row, label, track, fill, text };
}

/**
 * Set an attribute only when it changes, so a tick touches the DOM no more than needed.
 * @param {Element} node @param {string} name @param {string | null} value
 */
function setAttr(node, name, value) {
  if (value === null) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== value) {
    node.setAttribute(name, value);
  }
}

/** @param {Node} node @param {string} value */
function setText(node, value) {
  // textContent, never innerHTML: labels are untrusted metric keys.
  if (node.textContent !== value) node.textContent = value;
}

/** @param {Row} dom @param {Bar} bar */
function updateRow(dom, bar) {
  const fraction = fillFraction(bar);
  const text = formatBar(bar);
  setAttr(dom.row, "data-state", bar.state);
  dom.row.classList.toggle("cellflux-progress-indeterminate", fraction === null);
  setText(dom.label, bar.label);
  setAttr(dom.label, "title", bar.label);
  setText(dom.text, text);
  const width = `${fraction === null ? 100 : Number((fraction * 100).toFixed(2))}%`;
  if (dom.fill.style.width !== width) dom.fill.style.width = width;
  setAttr(dom.track, "aria-label", bar.label);
  setAttr(dom.track, "aria-valuetext", text);
  setAttr(dom.track, "aria-valuenow", fraction === null ? null : String(bar.count));
  setAttr(dom.track, "aria-valuemax", fraction === null ? null : String(bar.total));
}

/**
 * @typedef {object} Model the part of anywidget's model this view uses
 * @property {(name: string) => any} get
 * @property {(name: string, callback: () => void) => void} on
 * @property {(name?: string | null, callback?: (() => void) | null) => void} off
 */

/**
 * Render all bars into `el` and keep them in sync with the model.
 * @param {{ model: Model, el: HTMLElement }} props
 * @returns {() => void} cleanup that detaches every listener
 */
function render({ model, el }) {
  const doc = el.ownerDocument;
  ensureStyle(doc);
  const container = doc.createElement("div");
  container.className = "cellflux-progress";
  el.appendChild(container);
  /** @type {Row[]} */
  const rows = [];

  const update = () => {
    const bars = readBars(model.get("labels"), model.get("states"), model.get("data"));
    while (rows.length > bars.length) rows.pop()?.row.remove();
    while (rows.length < bars.length) {
      const dom = createRow(doc);
      container.appendChild(dom.row);
      rows.push(dom);
    }
    bars.forEach((bar, i) => updateRow(rows[i], bar));
  };

  const events = ["change:labels", "change:states", "change:data"];
  for (const name of events) model.on(name, update);
  update();
  return () => {
    for (const name of events) model.off(name, update);
  };
}

export default { render };
