// @ts-check
/**
 * Files the controls offer the user: a safe file name, the download itself, and the
 * chart as a PNG with its title above and its shown lines named below.
 */

/**
 * @typedef {import("./models.js").Model} Model
 * @typedef {import("./models.js").Line} Line
 * @typedef {{figure: Model | null, meta: any, lines: Line[], say(what: string, text: string): void}} Drawn
 *   what the PNG shows of the chart, and where it says that it cannot
 */

/** A file name with letters, digits and ._- only. @param {string} name @param {string} ext */
export function fileName(name, ext) {
  const stem = String(name).replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+|[._]+$/g, "") || "chart";
  return `${stem.slice(0, 80)}.${ext}`;
}

/** Offer `blob` as a download named `name`. @param {Blob} blob @param {string} name */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Offer the figure drawn in `figureEl` as a PNG, with the chart's title above it and its
 * shown lines named below.
 * @param {Drawn} chart @param {HTMLElement | null} figureEl @param {Document} doc
 */
export async function savePng(chart, figureEl, doc) {
  const fig = chart.figure;
  if (!fig || !figureEl) return;
  let view = null;
  for (const promise of Object.values(fig.views || {})) {
    const v = await promise;
    if (v.el === figureEl) view = v;
  }
  if (!view || typeof view.get_rendered_canvas !== "function") {
    chart.say("png", "Save PNG: the chart is not drawn yet");
    return;
  }
  const scale = 2;
  const plot = await view.get_rendered_canvas(scale);
  const canvas = doc.createElement("canvas");
  const head = 26 * scale;
  const foot = 22 * scale;
  canvas.width = plot.width;
  canvas.height = plot.height + head + foot;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(plot, 0, head);
  ctx.fillStyle = "#111";
  ctx.font = `bold ${14 * scale}px sans-serif`;
  ctx.textBaseline = "middle";
  ctx.fillText(String(chart.meta.title || ""), 10 * scale, head / 2, canvas.width - 20 * scale);
  ctx.font = `${12 * scale}px sans-serif`;
  let x = 10 * scale;
  for (const line of chart.lines.filter((l) => !l.hidden)) {
    ctx.fillStyle = line.colour;
    ctx.fillRect(x, plot.height + head + foot / 2 - 5 * scale, 10 * scale, 10 * scale);
    ctx.fillStyle = "#111";
    const name = line.key.length > 40 ? `${line.key.slice(0, 39)}…` : line.key;
    ctx.fillText(name, x + 14 * scale, plot.height + head + foot / 2);
    x += 14 * scale + ctx.measureText(name).width + 16 * scale;
  }
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  if (blob) download(/** @type {Blob} */ (blob), fileName(chart.meta.title || "chart", "png"));
}
