"""Markdown tables of the results, each peer row with its ratio to a cellflux row.

Figures are medians over rounds, with the range ``[min–max]``. A cost ratio is
peer/cellflux: above 1 the peer costs more. A row says "cellflux loses" when
the peer does better and the ranges of the two rows do not overlap, "about
even" when they overlap.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

from .frontend import IOPUB_LIMIT
from .harness import Outcome


def num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 10 ** digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def size(n: float | None) -> str:
    if n is None:
        return "–"
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.2g} B" if n < 10 else f"{n:.0f} B"


def with_range(o: Outcome, key: str, fmt: Callable[[float | None], str] = num) -> str:
    med, spread = o.median(key), o.spread(key)
    if med is None or spread is None:
        return "–"
    n = len(o.values(key))
    fewer = f" ({n} of {o.rounds} rounds)" if n < o.rounds else ""
    if n < 2:
        return fmt(med) + fewer
    return f"{fmt(med)} [{fmt(spread[0])}–{fmt(spread[1])}]{fewer}"


def ratio(peer: float | None, ref: float | None) -> float | None:
    if peer is None or ref is None or ref <= 0 or peer < 0:
        return None
    return peer / ref


def times(r: float | None) -> str:
    if r is None:
        return "–"
    if r < 0.01:
        return f"1/{1 / r:,.0f}x"
    return f"{r:.2g}x" if r < 100 else f"{r:,.0f}x"


def verdict(peer: Outcome, ref: Outcome, key: str, *, lower_is_better: bool = True) -> str:
    """Who does better on ``key``: judged on the ranges, so noise is not called a win."""
    p, c = peer.spread(key), ref.spread(key)
    if p is None or c is None:
        return ""
    if not lower_is_better:
        p, c = (-p[1], -p[0]), (-c[1], -c[0])
    if p[1] < c[0]:
        return "**cellflux loses**"
    if p[0] > c[1]:
        return "cellflux wins"
    return "about even"


def table(headers: Sequence[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def missing_row(o: Outcome, width: int) -> list[str]:
    return [o.tool.name, f"not measured: {o.reason}"] + [""] * (width - 2)


def failures(o: Outcome) -> str:
    return f" ({len(o.failures)} round(s) failed: {o.failures[-1][:120]})" if o.failures and o.runs else ""


def by_name(outcomes: list[Outcome]) -> dict[str, Outcome]:
    return {o.tool.name: o for o in outcomes}


def reference(o: Outcome, outcomes: list[Outcome]) -> Outcome:
    names = by_name(outcomes)
    return names.get(o.tool.ref) or outcomes[0]


# -- the workloads --------------------------------------------------------------------------


def w1(outcomes: list[Outcome], n: int) -> str:
    headers = ["tool", "overhead per item (ns)", "peer / cellflux", "compared with", "front end msgs/s",
               "verdict", "note"]
    rows = []
    for o in outcomes:
        if o.reason:
            rows.append(missing_row(o, len(headers)))
            continue
        ref = reference(o, outcomes)
        is_ref = o.tool.is_cellflux
        r = None if is_ref else ratio(o.median("overhead_ns"), ref.median("overhead_ns"))
        rows.append([
            o.tool.name, with_range(o, "overhead_ns"), "" if is_ref else times(r), "" if is_ref else ref.tool.name,
            num(o.median("messages_per_s")), "" if is_ref else verdict(o, ref, "overhead_ns"),
            o.tool.note + failures(o),
        ])
    return (f"### W1 progress: {n:,} items, overhead per item over a bare loop\n\n"
            "Lower is better; a ratio above 1 means the peer adds more per item than cellflux.\n\n"
            + table(headers, rows))


def w2(outcomes: list[Outcome], default: str, unthrottled: str) -> str:
    names = by_name(outcomes)
    refs = [names.get(default), names.get(unthrottled)]
    headers = ["tool", "steps", "cost per step (µs)", "vs cellflux default", "vs cellflux throttle=None",
               "verdict (vs throttle=None)", "note"]
    rows = []
    for o in outcomes:
        if o.reason:
            rows.append(missing_row(o, len(headers)))
            continue
        cells = []
        for ref in refs:
            if ref is None or o.tool.is_cellflux:
                cells.append("")
            else:
                cells.append(times(ratio(o.median("per_step_us"), ref.median("per_step_us"))))
        judge = refs[1]
        rows.append([
            o.tool.name, f"{o.tool.params['steps']:,}", with_range(o, "per_step_us"), *cells,
            "" if judge is None or o.tool.is_cellflux else verdict(o, judge, "per_step_us"),
            o.tool.note + failures(o),
        ])
    return ("### W2 logging: 2 scalars per step, cost per step in the training thread\n\n"
            "Lower is better. Slow peers ran fewer steps (column *steps*); the cost is per step. "
            "Every peer keeps every value, so the fair cellflux row is `throttle=None`; the default "
            "keeps the first and the latest value of each 0.1 s window (by design) and is shown too.\n\n"
            + table(headers, rows))


def w3(outcomes: list[Outcome], default: str, unthrottled: str) -> str:
    names = by_name(outcomes)
    judge = names.get(unthrottled)
    headers = ["tool", "time to durable (s)", "points kept / logged", "vs cellflux throttle=None",
               "verdict", "how"]
    how = {
        "cellflux": "cf.flush()", "trackio": "trackio.finish()", "tensorboardX": "writer.close()",
        "mlflow (sqlite, sync)": "mlflow.end_run()",
        "mlflow (sqlite, async)": "mlflow.flush_async_logging(); mlflow.end_run()",
        "wandb": "run.finish()",
    }
    rows = []
    for o in outcomes:
        if o.reason:
            rows.append(missing_row(o, len(headers)))
            continue
        step = next((v for k, v in how.items() if o.tool.name.startswith(k)), "")
        logged = o.first("logged")
        if o.median("durable_s") is None:
            kept = o.first("kept_in_memory")
            rows.append([o.tool.name, "never (nothing is written)", f"{kept:,} / {logged:,} in memory only",
                         "", "", "no store"])
            continue
        kept = o.first("kept")
        rows.append([
            o.tool.name, with_range(o, "durable_s"), f"{kept:,} / {logged:,}",
            "" if judge is None or o.tool.is_cellflux else times(ratio(o.median("durable_s"), judge.median("durable_s"))),
            "" if judge is None or o.tool.is_cellflux else verdict(o, judge, "durable_s"),
            step,
        ])
    return ("### W3 durable: time from the end of W2's loop until its data is on disk, and what was kept\n\n"
            "Lower is better. Each figure is for the steps the tool ran in W2: a tool that is still writing "
            "when the loop ends (mlflow async, trackio) needs longer for more steps.\n\n" + table(headers, rows))


def w4(outcomes: list[Outcome], seconds: float) -> str:
    headers = ["tool", "msgs/s", "bytes/s", "peak msgs/s (3 s)", "loop steps/s", "bytes per step",
               "msgs vs cellflux", "bytes vs cellflux", "steps/s vs cellflux", "verdict", "note"]
    rows = []
    ref = outcomes[0]
    for o in outcomes:
        if o.reason:
            rows.append(missing_row(o, len(headers)))
            continue
        is_ref = o is ref or o.tool.is_cellflux
        said = []
        peak = o.median("peak_messages_per_s") or 0.0
        if peak > IOPUB_LIMIT:
            said.append(f"over Jupyter's {IOPUB_LIMIT:.0f} msgs/s limit: the server drops updates")
        if not is_ref:
            loses = [what for key, what in (("messages_per_s", "messages/s"), ("bytes_per_s", "bytes/s"))
                     if verdict(o, ref, key) == "**cellflux loses**"]
            if verdict(o, ref, "steps_per_s", lower_is_better=False) == "**cellflux loses**":
                loses.append("loop speed")
            steps = ratio(o.median("steps_per_s"), ref.median("steps_per_s"))
            slower = steps is not None and verdict(o, ref, "steps_per_s", lower_is_better=False) == "cellflux wins"
            if loses:
                said.append(f"**cellflux loses** on {' and '.join(loses)}"
                            + (" (the peer's loop barely ran)" if slower and steps is not None and steps < 0.01 else ""))
            if slower:
                said.append(f"its loop ran {times(steps)} as fast as with cellflux")
        closing = o.median("closing_messages")
        note = o.tool.note
        if closing:
            note += f"; at the end: {closing:.0f} msgs, {size(o.median('closing_bytes'))} (final values"
            note += ", static snapshot)" if is_ref else ")"
        rows.append([
            o.tool.name, with_range(o, "messages_per_s"), with_range(o, "bytes_per_s", size),
            num(o.median("peak_messages_per_s")), with_range(o, "steps_per_s"),
            size(per_step(o)),
            "" if is_ref else times(ratio(o.median("messages_per_s"), ref.median("messages_per_s"))),
            "" if is_ref else times(ratio(o.median("bytes_per_s"), ref.median("bytes_per_s"))),
            "" if is_ref else times(ratio(o.median("steps_per_s"), ref.median("steps_per_s"))),
            "; ".join(said), note + failures(o),
        ])
    return (f"### W4 live view: 10 metrics recorded in a tight loop for {seconds:g} s, drawn live\n\n"
            "Messages and bytes are what the kernel sends to the front end (Jupyter messages as "
            "`jupyter_client` packs them, binary buffers included), during the loop. Fewer is lighter "
            "for the browser, but a view must still update; *loop steps/s* is how fast the training "
            "loop ran while the view was live (higher is better), and *bytes per step* what each step "
            "of that loop cost the front end.\n\n" + table(headers, rows))


def per_step(o: Outcome) -> float | None:
    """Bytes sent per training-loop step (median over rounds)."""
    values = [r["bytes_per_s"] / r["steps_per_s"] for r in o.runs if r.get("steps_per_s")]
    return statistics.median(values) if values else None


def w5(outcomes: list[Outcome], points: int, not_feasible: dict[str, str]) -> str:
    headers = ["tool", "read time (s)", "peer / cellflux", "store size", "verdict", "how"]
    rows = []
    ref = outcomes[0]
    for o in outcomes:
        if o.reason:
            rows.append(missing_row(o, len(headers)))
            continue
        is_ref = o is ref
        rows.append([
            o.tool.name, with_range(o, "read_s"),
            "" if is_ref else times(ratio(o.median("read_s"), ref.median("read_s"))),
            size(o.first("bytes")), "" if is_ref else verdict(o, ref, "read_s"), o.tool.note + failures(o),
        ])
    for name, reason in not_feasible.items():
        rows.append([name, f"not measured: {reason}", "", "", "", ""])
    return (f"### W5 read back: a {points:,}-point series from each store into numpy (x and y float64)\n\n"
            "Lower is better; each read runs in a fresh process with the tool imported, "
            "and checks the count.\n\n" + table(headers, rows))


def header(meta: dict[str, Any]) -> str:
    lines = ["# cellflux benchmarks: results", ""]
    lines.append(f"Written by `{meta['command']}` on {meta['date']} in {meta['duration']}. "
                 "Do not edit: run the command again.")
    lines.append("")
    lines.append(f"- machine: {meta['machine']}")
    lines.append(f"- load average (1 min) at start / end: {meta['load']}")
    lines.append(f"- Python {meta['python']} on {meta['platform']}")
    lines.append(f"- cellflux {meta['cellflux']}")
    lines.append("- peers: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()))
    lines.append(f"- rounds: {meta['rounds']}; tools interleaved, in a rotated order each round, "
                 "each measurement in a fresh process")
    lines.append("")
    lines.append(
        "Every peer runs offline: wandb in offline mode, mlflow on a local SQLite file, trackio on a "
        "local directory, `HF_HUB_OFFLINE=1`, telemetry off. A notebook front end is stood in for by a "
        "recorder (`benchmarks/frontend.py`): widget comms, display messages and stdout are packed as "
        "the kernel would send them and counted.")
    return "\n".join(lines)
