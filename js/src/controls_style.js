// @ts-check
/** The stylesheet of the chart controls: toolbar, hover label, selection, table switches. */

const STYLE_ID = "cellflux-controls-style";
const CSS = `
.cellflux-controls{display:flex;flex-wrap:wrap;align-items:center;gap:4px 10px;font-size:12px;margin:2px 0}
.cellflux-controls button{font-size:12px;padding:1px 8px;cursor:pointer}
.cellflux-controls button:disabled{cursor:default;opacity:.5}
.cellflux-controls label{display:inline-flex;align-items:center;gap:4px;cursor:pointer}
.cellflux-controls input[type=range]{width:90px}
.cellflux-controls-status{color:#555;font-style:italic}
.cellflux-hover{position:absolute;pointer-events:none;z-index:10;background:rgba(255,255,255,.94);
 border:1px solid #999;border-radius:3px;padding:3px 6px;font-size:12px;line-height:1.35;white-space:pre;
 box-shadow:0 1px 3px rgba(0,0,0,.25);color:#111}
.cellflux-hover-rule{position:absolute;pointer-events:none;width:0;border-left:1px dashed #888;z-index:9}
.cellflux-hover-dot{position:absolute;pointer-events:none;width:8px;height:8px;margin:-5px 0 0 -5px;
 border-radius:50%;border:1px solid #fff;z-index:9}
.cellflux-select{position:absolute;pointer-events:none;background:rgba(30,120,220,.15);
 border:1px solid rgba(30,120,220,.6);z-index:8}
/* bqplot sends the kernel a hover message holding the whole line at each mouseover of a
   mark, whatever enable_hover says: the marks take no pointer events, the figure does. */
.cellflux-chart .bqplot.figure g.curve,.cellflux-chart .bqplot.figure g.curve *{pointer-events:none}
table.cellflux-stats th[data-cellflux-key]{cursor:pointer}
table.cellflux-stats tr.cellflux-hidden{opacity:.45}
table.cellflux-stats tr.cellflux-hidden .cellflux-name{text-decoration:line-through}
`;

/** Inject the stylesheet once per document. @param {Document} doc */
export function ensureStyle(doc) {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  doc.head.appendChild(style);
}
