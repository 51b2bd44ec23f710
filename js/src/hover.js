// @ts-check
/**
 * What the hover label says: the point of each line nearest the pointer, as text.
 * Metric keys and units are untrusted: they only ever reach the page as textContent.
 */

/**
 * The index of the value of `xs` (sorted ascending) nearest `x`; -1 when empty.
 * @param {ArrayLike<number>} xs
 * @param {number} x
 */
export function nearestIndex(xs, x) {
  const n = xs.length;
  if (n === 0 || Number.isNaN(x)) return -1;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return 0;
  if (lo === n) return n - 1;
  return x - xs[lo - 1] <= xs[lo] - x ? lo - 1 : lo;
}

/**
 * A number as the hover label shows it: about five significant digits.
 * @param {number} v
 */
export function formatNumber(v) {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const size = Math.abs(v);
  if (size !== 0 && (size < 1e-4 || size >= 1e9)) {
    return v.toExponential(4).replace(/\.?0+e/, "e");
  }
  return String(Number(v.toPrecision(5)));
}

/**
 * An x value with the chart's units: "12.5 s" on auto x, "epoch 12" with a group's units.
 * @param {number} x
 * @param {string} units
 * @param {boolean} time
 */
export function formatX(x, units, time) {
  if (time) return `${formatNumber(x)} ${units}`;
  return units ? `${units} ${formatNumber(x)}` : `x = ${formatNumber(x)}`;
}

/**
 * @typedef {object} HoverRow
 * @property {string} key
 * @property {string} colour
 * @property {number} x
 * @property {number} y
 * @property {number} [smoothed]
 * @property {string} units the y-axis' units
 */

/**
 * One line of the label: "loss: 0.3452 at epoch 12", "acc: 91.2 % (smoothed 90.8) at 3.5 s".
 * @param {HoverRow} row
 * @param {string} xUnits
 * @param {boolean} xTime
 */
export function rowText(row, xUnits, xTime) {
  const units = row.units ? ` ${row.units}` : "";
  const smoothed = row.smoothed === undefined ? "" : ` (smoothed ${formatNumber(row.smoothed)})`;
  return `${row.key}: ${formatNumber(row.y)}${units}${smoothed} at ${formatX(row.x, xUnits, xTime)}`;
}
