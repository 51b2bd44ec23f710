// @ts-check
/**
 * A line mark of the chart drawn as the user asked: shown or hidden, raw, or raw
 * (faint) under its smoothed form. The kernel's data is kept aside (`line.raw`) so that
 * smoothing can be turned off again.
 */
import { LOCAL } from "./models.js";
import { smooth } from "./smoothing.js";

/** @typedef {import("./models.js").Line} Line */

const RAW_OPACITY = 0.3;

/** Keep the data the kernel sent to `line`'s mark. @param {Line} line */
export function takeData(line) {
  if (!line.mark) return;
  const xs = line.mark.get("x");
  const ys = line.mark.get("y");
  // Our smoothed form is [raw, smoothed]: an x-only update from the kernel leaves it.
  const raw = Array.isArray(ys) && ys.length && typeof ys[0] === "object" ? ys[0] : ys;
  line.raw = { xs: xs || [], ys: raw || [] };
}

/**
 * Draw `line` as the user asked: shown or hidden, raw or raw (faint) and smoothed.
 * @param {Line} line @param {number} smoothing the EMA strength, 0 for none
 */
export function applyLine(line, smoothing) {
  const mark = line.mark;
  if (!mark) return;
  if (!line.raw) takeData(line);
  if (mark.get("visible") !== !line.hidden) mark.set({ visible: !line.hidden }, LOCAL);
  const raw = line.raw;
  line.smoothed = raw && smoothing > 0 ? smooth(raw.ys, smoothing) : null;
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
