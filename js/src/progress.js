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

import { fillFraction, formatBar, readBars } from "./bars.js";

const STYLE_ID = "cellflux-progress-style";

/** @typedef {import("./bars.js").Bar} Bar */

/**
 * @typedef {object} Row
 * @property {HTMLDivElement} row
 * @property {HTMLSpanElement} label
 * @property {HTMLDivElement} track
 * @property {HTMLDivElement} fill
 * @property {HTMLSpanElement} text
 */

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
