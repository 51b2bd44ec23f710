// @ts-check
/**
 * The debiased exponential moving average of a drawn line: the formula of
 * src/cellflux/display/smoothing.py, checked against the same test vector
 * (js/tests/fixtures/smoothing.json).
 *
 * With strength w in [0, 1) and the finite values y1, y2, ... of the line:
 *   acc_n = w * acc_(n-1) + (1 - w) * y_n,  acc_0 = 0;  smoothed_n = acc_n / (1 - w^n)
 * The division undoes the pull of acc_0 = 0 towards zero at the start. A non-finite
 * value is a gap: NaN out, and nothing changes after it.
 */

/** Strengths are clamped to [0, MAX_STRENGTH]: at 1 the average would never move. */
export const MAX_STRENGTH = 0.999;

/**
 * @param {ArrayLike<number>} ys
 * @param {number} strength
 * @returns {Float64Array}
 */
export function smooth(ys, strength) {
  const w = Number.isFinite(strength) ? Math.min(Math.max(strength, 0), MAX_STRENGTH) : 0;
  const out = new Float64Array(ys.length);
  let acc = 0;
  let weight = 1;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) {
      out[i] = NaN;
      continue;
    }
    if (w === 0) {
      out[i] = y;
      continue;
    }
    acc = w * acc + (1 - w) * y;
    weight *= w;
    out[i] = acc / (1 - weight);
  }
  return out;
}
