// @ts-check
/**
 * The chart's stats table (drawn by the kernel) as the switches that show and hide its
 * lines: each row's name cell is a button, pressed while its line is shown.
 */

/** @typedef {import("./models.js").Line} Line */

/**
 * Mark the rows of the table in `statsEl` as switches of `lines`; run again after each
 * rewrite of the table by the kernel.
 * @param {HTMLElement | null} statsEl @param {Line[]} lines
 */
export function decorateStats(statsEl, lines) {
  for (const row of statsEl?.querySelectorAll("table.cellflux-stats tr") ?? []) {
    const name = row.querySelector(".cellflux-name");
    const cell = name?.closest("th");
    if (!name || !cell) continue;
    const key = name.getAttribute("title") || "";
    const line = lines.find((l) => l.key === key);
    const hidden = !!line?.hidden;
    if (cell.getAttribute("data-cellflux-key") !== key) {
      cell.setAttribute("data-cellflux-key", key);
      cell.setAttribute("role", "button");
      cell.tabIndex = 0;
    }
    const label = `${hidden ? "Show" : "Hide"} ${key}`;
    if (cell.getAttribute("aria-label") !== label) cell.setAttribute("aria-label", label);
    if (cell.getAttribute("aria-pressed") !== String(!hidden)) cell.setAttribute("aria-pressed", String(!hidden));
    row.classList.toggle("cellflux-hidden", hidden);
  }
}

/** The metric key of the switch that `e` reached, or null. @param {Event} e */
export function switchKey(e) {
  const cell = /** @type {HTMLElement} */ (e.target).closest?.("th[data-cellflux-key]");
  return cell ? cell.getAttribute("data-cellflux-key") || "" : null;
}
