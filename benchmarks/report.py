"""results.md and the lines the harness prints, from the rows of results.json."""

from __future__ import annotations

from typing import Any

TARGET_XERO_RATIO = 1.25
TARGET_CPU_MS = 1.0
TARGET_RSS_MB = 300.0
TARGET_WALL_RATIO = 1.3
# Issue 19: calls and invoice-sync wall within 1.05, tap-qondor's memory, and half the egress
# measured before any cut (benchmarks/egress-baseline/, bytes per queued invoice, both flows).
TARGET_TIGHT_RATIO = 1.05
TARGET_TIGHT_SIZES = (1000, 10000)
TARGET_TAP_RSS_MB = 150.0
BASELINE_EGRESS_PER_INVOICE = {1000: 4560.4, 10000: 5352.5}


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        value = f"{value:,.1f}" if value >= 10 else f"{value:.2f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    return f"{value}{unit}"


def duration(seconds: float | None) -> str:
    """Seconds as a short human duration."""
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _ratio(calls: int | None, floor: int | None) -> str:
    return f"{calls / floor:.2f}" if calls is not None and floor else "–"


def row_text(row: dict[str, Any]) -> str:
    """A few lines for the terminal: the measurement beside its floor."""
    if "error" in row:
        return f"n={row['n']}: ERROR {row['error']}"
    d = row["detail"]
    lines = [
        f"n={row['n']:,} ({row['customers']:,} customers; calls from the {d['calls_from']} run)",
        f"  Xero   {row['xero_calls']:,} calls / floor {row['xero_floor']:,} = "
        f"{_ratio(row['xero_calls'], row['xero_floor'])}; 429s {_fmt(row['xero_429'])}; "
        f"naive {row['naive_xero_calls']:,}",
        f"  Qondor {row['qondor_calls']:,} calls / floor {row['qondor_floor']:,} = "
        f"{_ratio(row['qondor_calls'], row['qondor_floor'])}",
    ]
    lines += [f"    floor {k}: {v}" for k, v in d["floor_formula"].items()]
    for flow, calls in d["calls"].items():
        lines.append(f"    {flow} Xero: {calls['xero']}")
        lines.append(f"    {flow} Qondor: {calls['qondor']}")
    lines.append(
        f"  wall {duration(row['wall_s'])} (real limits), projected {duration(row['projected_wall_s'])},"
        f" forced by limits {duration(d['forced_s'])}; CPU {_fmt(row['cpu_ms_per_invoice'])} ms/invoice;"
        f" target peak RSS {_fmt(row['target_peak_rss_mb'])} MB"
    )
    for err in d.get("errors", []):
        lines.append(f"  ERROR {err}")
    return "\n".join(lines)


def _verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**not met**")


def markdown(results: dict[str, Any]) -> str:
    """results.md: the table, the floor beside each measurement, the targets."""
    m = results["machine"]
    out = [
        "# Benchmark results",
        "",
        f"Taken {m['date_utc']} on {m['cpus']} CPUs ({m['platform']}, Python {m['python']}); "
        f"1-minute load average mean {m.get('load1_mean')}, max {m.get('load1_max')} "
        "(the cores were shared with other work). Produced by `benchmarks/run.py`; "
        "the formulas are in `benchmarks/README.md`, the full figures in `results.json`.",
        "",
        "| N | customers | Xero calls | Xero floor | ÷ floor | Xero 429 | naive Xero calls "
        "| Qondor calls | Qondor floor | ÷ floor | wall (real limits) | projected (real limits) "
        "| forced by limits | CPU ms/invoice | target peak RSS |",
        "|" + "---|" * 15,
    ]
    rows = [r for r in results["runs"] if "error" not in r]
    for r in rows:
        d = r["detail"]
        out.append(
            f"| {r['n']:,} | {r['customers']:,} | {r['xero_calls']:,} | {r['xero_floor']:,} "
            f"| {_ratio(r['xero_calls'], r['xero_floor'])} | {_fmt(r['xero_429'])} "
            f"| {r['naive_xero_calls']:,} | {r['qondor_calls']:,} | {r['qondor_floor']:,} "
            f"| {_ratio(r['qondor_calls'], r['qondor_floor'])} | {duration(r['wall_s'])} "
            f"| {duration(r['projected_wall_s'])} | {duration(d['forced_s'])} "
            f"| {_fmt(r['cpu_ms_per_invoice'])} | {_fmt(r['target_peak_rss_mb'], ' MB')} |"
        )
    for r in results["runs"]:
        if "error" in r:
            out.append(f"| {r['n']:,} | run failed: {r['error'][:200]} |" + " |" * 13)

    out += ["", "## The floor beside each measurement", ""]
    for r in rows:
        d = r["detail"]
        out.append(f"### N = {r['n']:,} (calls from the {d['calls_from']} run)")
        out.append("")
        if "payment_sync" not in d.get("flows", ["payment_sync"]):
            out.append(
                "- the payment sync was not run at this size (`--payment-sync-up-to`): "
                "calls, floors and times are the invoice sync's only"
            )
        if d.get("floor_note"):
            out.append(f"- {d['floor_note']}")
        if "taken" in d:
            out.append(f"- taken {d['taken'].get('date_utc')} in an earlier run of the harness")
        for k, v in d["floor_formula"].items():
            out.append(f"- floor, {k.replace('_', ' ')}: {v}")
        for flow, calls in d["calls"].items():
            out.append(f"- measured, {flow.replace('_', ' ')}, Xero: {_calls(calls['xero'])}")
            if calls.get("xero_egress"):
                per = calls["xero_egress_bytes"] / r["n"] if r["n"] else 0
                out.append(
                    f"- Xero egress, {flow.replace('_', ' ')}: {_bytes(calls['xero_egress'])} "
                    f"({per:,.0f} bytes per queued invoice)"
                )
            out.append(f"- measured, {flow.replace('_', ' ')}, Qondor: {_calls(calls['qondor'])}")
        naive = ", ".join(f"{k} {v:,}" for k, v in d["naive_xero"].items())
        out.append(
            f"- naive strategy, Xero: {naive} = {r['naive_xero_calls']:,} "
            f"(at least {duration(d['naive_projected_s'])} under Xero's limits)"
        )
        if d.get("peak_rss_mb"):
            rss = ", ".join(f"{k} {v:.0f} MB" for k, v in d["peak_rss_mb"].items())
            out.append(f"- peak RSS (limits lifted): {rss}")
        lifted = d.get("lifted", {})
        for flow, run in lifted.items():
            out.append(
                f"- limits lifted, {flow.replace('_', ' ')}: {run['records']:,} records in "
                f"{run['wall_s']:.1f} s; tap {_fmt(run['tap']['records_per_s'])} rec/s, "
                f"{_fmt(run['tap'].get('records_per_cpu_s'))} per CPU-second after start-up "
                f"(CPU {run['tap']['cpu_s']:.2f} s); target {_fmt(run['target']['records_per_s'])}"
                f" rec/s, {_fmt(run['target'].get('records_per_cpu_s'))} per CPU-second after "
                f"start-up (CPU {run['target']['cpu_s']:.2f} s)"
            )
        if "cpu_ms_per_invoice_excl_startup" in d:
            out.append(
                f"- CPU per invoice without the plugins' start-up ({d['startup_cpu_s']:.2f} s): "
                f"{d['cpu_ms_per_invoice_excl_startup']:.3f} ms"
            )
        if "invoice_sync_vs_forced" in d:
            out.append(
                f"- invoice sync under real limits: {duration(d['invoice_sync_wall_s'])}, "
                f"{d['invoice_sync_vs_forced']} × the {duration(d['forced_invoice_sync_s'])} "
                "the limits force"
            )
        for err in d.get("errors", []):
            out.append(f"- error: {err[:500]}")
        out.append("")

    out += ["## Targets", "", *targets(rows), ""]
    return "\n".join(out)


def _bytes(by_endpoint: dict[str, int]) -> str:
    total = sum(by_endpoint.values())
    return ", ".join(f"`{k}` {v:,} B" for k, v in by_endpoint.items()) + f" (total {total:,} B)"


def _calls(by_endpoint: dict[str, int]) -> str:
    total = sum(by_endpoint.values())
    return ", ".join(f"`{k}` {v:,}" for k, v in by_endpoint.items()) + f" (total {total:,})"


def targets(rows: list[dict[str, Any]]) -> list[str]:
    """One line per target of the issue with its verdict and figures."""
    if not rows:
        return ["- no successful run"]
    ratios = {r["n"]: r["xero_calls"] / r["xero_floor"] for r in rows if r["xero_floor"]}
    x429 = {r["n"]: r["xero_429"] for r in rows if r["xero_429"] is not None}
    cpu = {r["n"]: r["cpu_ms_per_invoice"] for r in rows if r["cpu_ms_per_invoice"] is not None}
    rss = {r["n"]: r["target_peak_rss_mb"] for r in rows if r["target_peak_rss_mb"] is not None}
    wall = {
        r["n"]: r["detail"]["invoice_sync_vs_forced"]
        for r in rows
        if r["detail"].get("invoice_sync_vs_forced") is not None
    }

    def show(d: dict[int, Any]) -> str:
        return (
            ", ".join(f"N={n:,}: {v if isinstance(v, int) else f'{v:.2f}'}" for n, v in d.items())
            or "not measured"
        )

    biggest = max(rss) if rss else None
    tight = {n: v for n, v in ratios.items() if n in TARGET_TIGHT_SIZES}
    tap_rss = {
        r["n"]: r["detail"]["peak_rss_mb"]["tap-qondor"]
        for r in rows
        if (r["detail"].get("peak_rss_mb") or {}).get("tap-qondor") is not None
    }
    egress = {
        r["n"]: round(r["xero_egress_bytes"] / r["n"])
        for r in rows
        if r["n"] in BASELINE_EGRESS_PER_INVOICE and r.get("xero_egress_bytes")
    }
    goal = {n: round(BASELINE_EGRESS_PER_INVOICE[n] / 2) for n in egress}
    tap_biggest = max(tap_rss) if tap_rss else None
    return [
        f"- Xero calls ≤ {TARGET_XERO_RATIO} × floor at every N: "
        f"{_verdict(all(v <= TARGET_XERO_RATIO for v in ratios.values()) if ratios else None)} "
        f"({show(ratios)})",
        f"- zero Xero 429 at default pacing: "
        f"{_verdict(all(v == 0 for v in x429.values()) if x429 else None)} ({show(x429)})",
        f"- invoice sync ≤ {TARGET_WALL_RATIO} × the time the limits force (N = 1,000): "
        f"{_verdict(wall[1000] <= TARGET_WALL_RATIO if 1000 in wall else None)} ({show(wall)})",
        f"- CPU ≤ {TARGET_CPU_MS} ms per invoice (tap + target, limits lifted): "
        f"{_verdict(all(v <= TARGET_CPU_MS for v in cpu.values()) if cpu else None)} ({show(cpu)})",
        f"- target peak RSS ≤ {TARGET_RSS_MB:.0f} MB at the largest N: "
        f"{_verdict(rss[biggest] <= TARGET_RSS_MB if biggest else None)} ({show(rss)} MB)",
        f"- Xero calls ≤ {TARGET_TIGHT_RATIO} × floor at N = 1,000 and 10,000: "
        f"{_verdict(all(v <= TARGET_TIGHT_RATIO for v in tight.values()) if tight else None)} "
        f"({show(tight)})",
        f"- invoice sync ≤ {TARGET_TIGHT_RATIO} × the time the limits force (N = 1,000): "
        f"{_verdict(wall[1000] <= TARGET_TIGHT_RATIO if 1000 in wall else None)} ({show(wall)})",
        f"- tap-qondor peak RSS ≤ {TARGET_TAP_RSS_MB:.0f} MB at the largest N: "
        f"{_verdict(tap_rss[tap_biggest] <= TARGET_TAP_RSS_MB if tap_biggest else None)} "
        f"({show(tap_rss)} MB)",
        f"- Xero egress per queued invoice ≤ half the baseline (both flows): "
        f"{_verdict(all(egress[n] <= goal[n] for n in egress) if egress else None)} "
        + (f"({show(egress)} B; goal {show(goal)} B)" if egress else "(not measured)"),
    ]
