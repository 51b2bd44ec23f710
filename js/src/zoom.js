// @ts-check
/**
 * The arithmetic of zooming and panning an axis, and of fitting an axis to data:
 * pure functions of domains (data units) and pixels, no DOM.
 */

/** A domain narrower than this fraction of its magnitude is widened: d3 cannot tick it. */
const MIN_SPAN = 1e-9;
/** Room above and below the data on a fitted linear axis, as a fraction of its span. */
const PAD = 0.05;

/**
 * The zoom factor of one wheel event: below 1 zooms in (wheel up), above 1 zooms out.
 * @param {number} deltaY
 * @param {number} deltaMode 0 pixels, 1 lines, 2 pages
 */
export function wheelFactor(deltaY, deltaMode = 0) {
  const pixels = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(Math.max(-400, Math.min(400, pixels)) * 0.002);
}

/**
 * `domain` scaled by `factor` around the value `at`, which stays where it is on screen.
 * @param {[number, number]} domain
 * @param {number} at
 * @param {number} factor
 * @returns {[number, number]}
 */
export function zoomAround([lo, hi], at, factor) {
  return [at - (at - lo) * factor, at + (hi - at) * factor];
}

/**
 * `domain` moved with a drag of `dx` pixels over a plot `width` pixels wide.
 * @param {[number, number]} domain
 * @param {number} dx
 * @param {number} width
 * @returns {[number, number]}
 */
export function panBy([lo, hi], dx, width) {
  const shift = width > 0 ? (-dx / width) * (hi - lo) : 0;
  return [lo + shift, hi + shift];
}

/**
 * What a zoom gesture settles on: null when it shows all of `full` or more (back to
 * the full range, where the kernel sets the axis), else the domain, never too narrow.
 * @param {[number, number]} domain
 * @param {[number, number]} full
 * @returns {[number, number] | null}
 */
export function settle([lo, hi], [fullLo, fullHi]) {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return null;
  if (hi < lo) [lo, hi] = [hi, lo];
  if (lo <= fullLo && hi >= fullHi) return null;
  const least = MIN_SPAN * Math.max(Math.abs(lo), Math.abs(hi), fullHi - fullLo, 1e-300);
  if (hi - lo < least) {
    const mid = (lo + hi) / 2;
    return [mid - least / 2, mid + least / 2];
  }
  return [lo, hi];
}

/**
 * The value at pixel `px` of an axis showing `domain` over `size` pixels (`flip` for y, drawn upwards).
 * @param {[number, number]} domain
 * @param {boolean} log
 * @param {number} px
 * @param {number} size
 * @param {boolean} [flip]
 */
export function valueAt([lo, hi], log, px, size, flip = false) {
  const t = size > 0 ? (flip ? 1 - px / size : px / size) : 0;
  if (log) return 10 ** (Math.log10(lo) + t * (Math.log10(hi) - Math.log10(lo)));
  return lo + t * (hi - lo);
}

/**
 * The pixel of `value` on an axis showing `domain` over `size` pixels (NaN off a log axis).
 * @param {[number, number]} domain
 * @param {boolean} log
 * @param {number} value
 * @param {number} size
 * @param {boolean} [flip]
 */
export function pixelOf([lo, hi], log, value, size, flip = false) {
  let t;
  if (log) t = value > 0 ? (Math.log10(value) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : NaN;
  else t = (value - lo) / (hi - lo);
  return (flip ? 1 - t : t) * size;
}

/**
 * The range of an axis fitted to the values of its lines inside `window` (all of them
 * when null): padded on a linear axis, whole decades of the values above 0 on a log
 * one. Null when there is nothing to fit.
 * @param {{xs: ArrayLike<number>, ys: ArrayLike<number>}[]} lines
 * @param {[number, number] | null} window
 * @param {boolean} log
 * @returns {[number, number] | null}
 */
export function fitRange(lines, window, log) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const { xs, ys } of lines) {
    for (let i = 0; i < ys.length; i++) {
      const y = ys[i];
      if (!Number.isFinite(y) || (log && y <= 0)) continue;
      if (window && (xs[i] < window[0] || xs[i] > window[1])) continue;
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
  }
  if (!(lo <= hi)) return null;
  if (log) {
    const low = 10 ** Math.floor(Math.log10(lo));
    const high = 10 ** Math.ceil(Math.log10(hi));
    return high > low ? [low, high] : [low, low * 10];
  }
  const size = Math.max(Math.abs(lo), Math.abs(hi));
  const room = hi - lo > size * 1e-12 ? PAD * (hi - lo) : size > 0 ? 0.1 * size : 1;
  let low = lo - room;
  const high = hi + room;
  if (lo >= 0 && low < 0) low = 0; // a count from 0 starts at 0
  return [low, high];
}

/**
 * The powers of ten in `lo..hi` (every k-th one when there are more than `most`):
 * the ticks of a log axis.
 * @param {number} lo
 * @param {number} hi
 * @param {number} [most]
 */
export function decadeTicks(lo, hi, most = 10) {
  if (!(lo > 0 && hi > lo)) return [];
  const first = Math.ceil(Math.log10(lo) - 1e-9);
  const last = Math.floor(Math.log10(hi) + 1e-9);
  const step = Math.max(1, Math.ceil((last - first + 1) / most));
  const ticks = [];
  for (let e = first; e <= last; e += step) ticks.push(Number(`1e${e}`));
  return ticks;
}

/**
 * Round ticks in `lo..hi`, 1, 2 or 5 times a power of ten apart, at most `count` + 1
 * of them: the ticks of a linear x axis. bqplot asks d3 for about ten whatever the
 * plot's width, and a zoomed-in or narrow chart then prints labels over each other.
 * @param {number} lo
 * @param {number} hi
 * @param {number} count
 */
export function niceTicks(lo, hi, count) {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo && count >= 1)) return [];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * power;
  const ticks = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

/**
 * How many x ticks fit `width` pixels: a label as long as the longest end's whole
 * digits (and a decimal or two), about 7 pixels a character, with a gap; 2 to 10.
 * @param {number} width
 * @param {number} lo
 * @param {number} hi
 */
export function tickCount(width, lo, hi) {
  const digits = Math.max(...[lo, hi].map((v) => (Number.isFinite(v) ? String(Math.round(Math.abs(v))).length : 1)));
  const decimals = hi - lo < 10 ? 2 : 0;
  return Math.max(2, Math.min(10, Math.floor(width / (7 * (digits + decimals + 1) + 24))));
}
