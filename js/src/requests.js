// @ts-check
/**
 * The two requests the controls send the kernel, as custom messages: the zoomed lines
 * at full detail, and the CSV of every stored point (see src/cellflux/display/controls.py).
 * The kernel acknowledges each at once unless the cell is busy; then the request waits
 * for the cell to finish, and the status says so.
 */
import { download, fileName } from "./download.js";

/** A request not acknowledged by then waits for the kernel: the cell is busy. */
export const ACK_MS = 1500;

/** @typedef {{kind: string, timer: any, waiting: boolean}} Pending */

export class Requests {
  /**
   * @param {any} model anywidget's model
   * @param {(what: string, text: string) => void} say sets the status of one kind of request
   * @param {() => boolean} zoomed whether the chart is zoomed now
   */
  constructor(model, say, zoomed) {
    this.model = model;
    this.say = say;
    this.zoomed = zoomed;
    this.seq = 0;
    this.zoomSeq = 0;
    /** @type {Map<number, Pending>} */ this.pending = new Map();
    /** @type {Map<number, any[]>} */ this.csvParts = new Map();
  }

  dispose() {
    for (const p of this.pending.values()) clearTimeout(p.timer);
  }

  /** Ask for the lines of `window` at full detail (null: the full range). @param {[number, number] | null} window */
  zoom(window) {
    const z = window;
    // A margin of half a window each side: a small pan still has its points at hand.
    const span = z ? z[1] - z[0] : 0;
    const content = z ? { kind: "zoom", low: z[0] - span / 2, high: z[1] + span / 2 } : { kind: "zoom", low: null, high: null };
    this.zoomSeq = this.send(content);
    this.say("zoom", z ? "zoomed: loading detail…" : "");
  }

  /** Ask for the CSV of every stored point: it comes back in chunks, offered as one download. */
  csv() {
    this.send({ kind: "csv" });
  }

  /** Send a request to the kernel; returns its sequence number. @param {any} content */
  send(content) {
    const seq = ++this.seq;
    const timer = setTimeout(() => {
      const p = this.pending.get(seq);
      if (!p) return;
      p.waiting = true;
      this.say(p.kind, p.kind === "csv" ? "Save CSV: when the cell finishes" : this.zoomed() ? "zoomed: full detail when the cell finishes" : "");
    }, ACK_MS);
    this.pending.set(seq, { kind: content.kind, timer, waiting: false });
    this.model.send({ ...content, seq });
    return seq;
  }

  /** A custom message of the kernel. @param {any} msg @param {any[]} buffers */
  receive(msg, buffers) {
    if (!msg || typeof msg.seq !== "number") return;
    const pending = this.pending.get(msg.seq);
    if (msg.kind === "ack") {
      if (pending) clearTimeout(pending.timer);
      if (pending?.kind === "csv") this.say("csv", "Save CSV: reading the stored points…");
      return;
    }
    if (msg.kind === "error") {
      this.pending.delete(msg.seq);
      this.say(pending?.kind || "error", `failed: ${msg.message}`);
      return;
    }
    if (msg.kind === "zoomed") {
      this.pending.delete(msg.seq);
      if (msg.seq === this.zoomSeq) this.say("zoom", this.zoomed() ? "zoomed: full detail (double-click to reset)" : "");
      return;
    }
    if (msg.kind === "csv") {
      const parts = this.csvParts.get(msg.seq) || [];
      for (const b of buffers || []) parts.push(b);
      this.csvParts.set(msg.seq, parts);
      if (!msg.last) return;
      this.csvParts.delete(msg.seq);
      this.pending.delete(msg.seq);
      download(new Blob(parts, { type: "text/csv" }), fileName(String(msg.name || "chart").replace(/\.csv$/, ""), "csv"));
      this.say("csv", "");
    }
  }
}
