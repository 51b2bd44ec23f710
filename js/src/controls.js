// @ts-check
/**
 * cellflux chart controls: hover labels, zoom and pan, log scale, smoothing, show and
 * hide, Save PNG and Save CSV for one bqplot chart of a board.
 *
 * Everything but two requests happens in the browser, on the chart's bqplot models
 * reached through the widget manager and changed with `set(..., LOCAL)`: nothing is
 * sent to the kernel, so it works while a cell is busy. The two requests (zoomed lines
 * at full detail, the CSV of every stored point) go to the kernel as one custom
 * message each (see src/cellflux/display/controls.py and docs/interactive.md).
 *
 * Model trait `meta` (Python: display/interact.py chart_meta): model ids of the
 * figure, x scale, y axes and scales and line marks; units; which axes are log.
 *
 * The parts: chart.js holds the state shared by the views (with models.js, ranges.js,
 * axes.js, marks.js for the bqplot models, requests.js for the kernel); view.js is one
 * view (with toolbar.js, overlay.js, stats_table.js, download.js, controls_style.js).
 */
import { Chart } from "./chart.js";
import { View } from "./view.js";

export default () => {
  /** @type {Chart | undefined} */
  let chart;
  return {
    /** @param {{model: any}} args */
    initialize({ model }) {
      chart = new Chart(model);
      return () => chart?.dispose();
    },
    /** @param {{model: any, el: HTMLElement}} args */
    render({ model, el }) {
      chart ||= new Chart(model);
      const view = new View(chart, el);
      return () => view.dispose();
    },
  };
};
