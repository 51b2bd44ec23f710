// @ts-check
/**
 * What the controls draw over the figure: the hover label with its rule and a dot on
 * each line, and the box of a shift-drag selection. Metric keys and units reach the
 * page as textContent only.
 */
import { activeScale } from "./axes.js";
import { nearestIndex, rowText } from "./hover.js";
import { pixelOf, valueAt } from "./zoom.js";

/**
 * @typedef {import("./chart.js").Chart} Chart
 * @typedef {{left: number, top: number, right: number, bottom: number, width: number, height: number}} Rect
 */

/**
 * Draw into `overlay` (emptied by the caller) the label of the points nearest the
 * pointer, with a dashed rule at the pointer and a dot on each shown line.
 * @param {HTMLElement} overlay @param {HTMLElement} fig the figure on screen
 * @param {Rect} r its plot area @param {{x: number, y: number}} pointer
 * @param {[number, number]} domain the x domain shown @param {Chart} chart
 */
export function drawHover(overlay, fig, r, pointer, domain, chart) {
  if (pointer.x < r.left || pointer.x > r.right || pointer.y < r.top || pointer.y > r.bottom) return;
  const doc = fig.ownerDocument;
  const box = fig.getBoundingClientRect();
  const x = valueAt(domain, false, pointer.x - r.left, r.width);
  const text = [];
  for (const line of chart.lines) {
    if (line.hidden || !line.raw || !line.raw.xs.length) continue;
    const i = nearestIndex(line.raw.xs, x);
    const axis = chart.axes[line.axis];
    const scale = axis && activeScale(axis);
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

/**
 * The box of a shift-drag from client x `from` to `to` over the plot area `r`; made in
 * `fig` when `selection` is undefined, and returned.
 * @param {HTMLElement} fig @param {HTMLElement | undefined} selection
 * @param {number} from @param {number} to @param {Rect} r
 */
export function drawSelection(fig, selection, from, to, r) {
  if (!selection) {
    selection = fig.ownerDocument.createElement("div");
    selection.className = "cellflux-select";
    fig.appendChild(selection);
  }
  const box = fig.getBoundingClientRect();
  const left = Math.max(Math.min(from, to), r.left);
  const right = Math.min(Math.max(from, to), r.right);
  Object.assign(selection.style, {
    left: `${left - box.left}px`, top: `${r.top - box.top}px`, width: `${right - left}px`, height: `${r.height}px`,
  });
  return selection;
}
