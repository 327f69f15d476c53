"""Benchmark harness: API calls, time and memory of both syncs against the floor, per size.

    .venv/bin/python benchmarks/run.py --sizes 100,1000,10000 [--with-100k] [--real-limits-up-to 1000]

See benchmarks/README.md for what is measured and the floor's formula.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import floor  # noqa: E402
import report  # noqa: E402
from pipeline import PipelineRun, run_pipeline, startup_cpu_s  # noqa: E402
from sandbox_proc import (  # noqa: E402
    QONDOR_KEY,
    XERO_CLIENT_ID,
    XERO_CLIENT_SECRET,
    XERO_TENANT_ID,
    Sandbox,
    count_calls,
    endpoint,
    is_api_call,
)

HERE = Path(__file__).resolve().parent
SET_AS_PAID = "PUT /Invoicing/v1/Invoice/SetAsPaid"
MAPPING = HERE / "bench-mapping.yml"
PLUGINS = ("tap-qondor", "target-xero", "tap-xero", "target-qondor")


def log(msg: str) -> None:
    """Progress on stderr, with the time."""
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


class LoadSampler(threading.Thread):
    """Samples the 1-minute load average every few seconds while benchmarks run."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(5)

    def stop(self) -> dict[str, float]:
        """Stop sampling; mean and max load seen."""
        self._stop.set()
        return self.summary()

    def summary(self) -> dict[str, float]:
        """Mean and max load seen so far."""
        s = self.samples or [os.getloadavg()[0]]
        return {"load1_mean": round(sum(s) / len(s), 2), "load1_max": round(max(s), 2)}


def write_configs(sb: Sandbox, workdir: Path, limits: bool) -> dict[str, Path]:
    """Config files of the four plugins, pointed at this sandbox."""
    xero = {
        "api_url": sb.xero_api_url,
        "identity_url": sb.xero_url,
        "client_id": XERO_CLIENT_ID,
        "client_secret": XERO_CLIENT_SECRET,
        "tenant_id": XERO_TENANT_ID,
        "mapping_file": str(MAPPING),
    }
    qondor_api = f"{sb.qondor_url}/Prod"
    configs = {
        "tap-qondor": {
            "api_url": qondor_api,
            "api_key": QONDOR_KEY,
            "mapping_file": str(MAPPING),
        },
        "target-xero": {
            **xero,
            "token_store": str(workdir / "xero-token.json"),
            "qondor_api_url": qondor_api,
            "qondor_api_key": QONDOR_KEY,
        },
        "tap-xero": {**xero, "token_store": str(workdir / "xero-token.json")},
        "target-qondor": {"api_url": qondor_api, "api_key": QONDOR_KEY},
    }
    paths = {}
    for name, cfg in configs.items():
        paths[name] = workdir / f"{name}.json"
        paths[name].write_text(json.dumps(cfg, indent=2))
    return paths


def pay_share(sb: Sandbox, xero_state: dict[str, Any], share: float) -> int:
    """Pay every k-th unpaid AUTHORISED invoice in the sandbox's Xero, as customers would.

    The paid invoices are marked PAID in `xero_state` too, so it need not be fetched again.
    """
    invoices = sorted(
        (
            i
            for i in xero_state.get("invoices", [])
            if i.get("Type", "ACCREC") == "ACCREC"
            and i.get("Status") == "AUTHORISED"
            and float(i.get("AmountDue") or 0) > 0
        ),
        key=lambda i: str(i.get("InvoiceNumber")),
    )
    if not invoices or share <= 0:
        return 0
    chosen = invoices[:: max(1, round(1 / share))]
    ids = [i["InvoiceID"] for i in chosen]
    for start in range(0, len(ids), 500):
        sb.call("xero", "POST", "/_sandbox/pay", {"invoices": ids[start : start + 500]})
    for invoice in chosen:
        invoice["Status"] = "PAID"
    return len(chosen)


def flow_calls(sb: Sandbox) -> dict[str, Any]:
    """Calls of the flow just run, per half, by endpoint, with 429s."""
    xero_log = sb.calls_since_mark("xero")
    xero, x429 = count_calls(xero_log)
    qondor, q429 = count_calls(sb.calls_since_mark("qondor"))
    api = Counter({k: v for k, v in xero.items() if is_api_call(k)})
    reads: dict[str, list[str]] = {}  # query strings of Xero reads, to see what was asked
    egress: Counter[str] = Counter()  # response body bytes by endpoint: Xero prices egress
    for r in xero_log:
        key = endpoint(str(r.get("method")), str(r.get("path")))
        if is_api_call(key):
            egress[key] += int(r.get("bytes") or 0)
        if key.startswith("GET ") and is_api_call(key) and xero[key] <= 40:
            reads.setdefault(key, []).append(f"{r.get('status')} {r.get('query', '')}"[:300])
    return {
        "xero_reads": reads,
        "xero": dict(sorted(api.items())),
        "xero_auth": dict(sorted((k, v) for k, v in xero.items() if not is_api_call(k))),
        "xero_total": sum(api.values()),
        "xero_429": x429,
        "xero_egress": dict(sorted(egress.items())),
        "xero_egress_bytes": sum(egress.values()),
        "qondor": dict(sorted(qondor.items())),
        "qondor_total": sum(qondor.values()),
        "qondor_429": q429,
    }


def pipeline_summary(run: PipelineRun, startup: dict[str, float]) -> dict[str, Any]:
    """What a pipeline run cost, for the results file."""

    def rate(seconds: float) -> float | None:
        return round(run.records / seconds, 1) if seconds > 0.05 else None

    return {
        "ok": run.ok,
        "records": run.records,
        "wall_s": round(run.wall_s, 2),
        "tap": {
            "exit": run.tap.exit_code,
            "wall_s": round(run.tap.wall_s, 2),
            "cpu_s": round(run.tap.cpu_s, 3),
            "peak_rss_mb": round(run.tap.peak_rss_mb, 1),
            "records_per_s": rate(run.tap.wall_s),
            "records_per_cpu_s": rate(run.tap.cpu_s - startup.get(run.tap.name, 0.0)),
        },
        "target": {
            "exit": run.target.exit_code,
            "wall_s": round(run.target.wall_s, 2),
            "cpu_s": round(run.target.cpu_s, 3),
            "peak_rss_mb": round(run.target.peak_rss_mb, 1),
            "records_per_s": rate(run.target.wall_s),
            "records_per_cpu_s": rate(run.target.cpu_s - startup.get(run.target.name, 0.0)),
        },
        **({} if run.ok else {"stderr_tail": run.stderr_tail}),
    }


def measure(n: int, limits: bool, args: argparse.Namespace, root: Path) -> dict[str, Any]:  # noqa: C901
    """Both syncs at size n on a fresh private sandbox, limits on or lifted."""
    label = f"n={n} {'real limits' if limits else 'limits lifted'}"
    workdir = root / f"n{n}-{'limits' if limits else 'lifted'}"
    workdir.mkdir(parents=True, exist_ok=True)
    sb = Sandbox(workdir, args.scenario, n, limits, args.sandbox_arg or [])
    out: dict[str, Any] = {"n": n, "limits": limits}
    try:
        log(f"{label}: starting sandbox")
        out["sandbox_start_s"] = round(sb.start().start_seconds, 1)
        configs = write_configs(sb, workdir, limits)
        xero_before = sb.state("xero")
        queue = sb.queue()
        time.sleep(1.0 if limits else 0)  # let the harness's own queue read leave the window
        sb.mark_logs()
        log(f"{label}: invoice sync of {len(queue)} queued items")
        inv_run = run_pipeline(
            "tap-qondor", configs["tap-qondor"], "target-xero", configs["target-xero"],
            workdir, args.timeout, lifted=not limits,
        )  # fmt: skip
        out["invoice_sync"] = pipeline_summary(inv_run, args.startup) | {"calls": flow_calls(sb)}
        log(f"{label}: invoice sync {'ok' if inv_run.ok else 'FAILED'} in {inv_run.wall_s:.1f} s")
        qondor_after, xero_after = sb.state("qondor"), sb.state("xero")
        inv = floor.invoice_sync_data(queue, qondor_after, xero_before, xero_after)
        out["invoice_data"] = floor.as_dict(inv)
        out["contacts_created"] = len(xero_after.get("contacts", [])) - len(
            xero_before.get("contacts", [])
        )

        out["floors"] = {
            "xero_invoice": floor.xero_invoice_floor(inv).terms,
            "qondor_invoice": floor.qondor_invoice_floor(inv).terms,
        }
        out["naive_xero"] = floor.naive_xero_calls(inv, floor.PaymentSyncData())
        if n > args.payment_sync_up_to:
            log(f"{label}: payment sync skipped (--payment-sync-up-to {args.payment_sync_up_to})")
            return out

        out["paid_in_xero"] = pay_share(sb, xero_after, args.pay_share)
        pay = floor.payment_sync_data(qondor_after, xero_after)
        out["payment_data"] = floor.as_dict(pay)
        del qondor_after, xero_after, xero_before, queue  # large at 100,000
        time.sleep(1.0 if limits else 0)
        sb.mark_logs()
        log(f"{label}: payment sync ({out['paid_in_xero']} invoices paid in Xero)")
        pay_run = run_pipeline(
            "tap-xero", configs["tap-xero"], "target-qondor", configs["target-qondor"],
            workdir, args.timeout, lifted=not limits,
        )  # fmt: skip
        out["payment_sync"] = pipeline_summary(pay_run, args.startup) | {"calls": flow_calls(sb)}
        log(f"{label}: payment sync {'ok' if pay_run.ok else 'FAILED'} in {pay_run.wall_s:.1f} s")
        qondor_end = sb.state("qondor")
        out["qondor_paid_after"] = sum(
            1 for i in qondor_end.get("invoices", []) if i.get("status") == 3
        )
        out["floors"]["xero_payment"] = floor.xero_payment_floor(pay).terms
        out["floors"]["qondor_payment"] = floor.qondor_payment_floor(pay).terms
        # SetAsPaid calls target-xero sent (items paid at once) are the invoice sync's; the
        # payment sync still reads each of those once (qondor_payment_floor)
        moved = min(pay.paid_known, out["invoice_sync"]["calls"]["qondor"].get(SET_AS_PAID, 0))
        if moved:
            out["floors"]["qondor_invoice"]["SetAsPaid (paid at once)"] = moved
        out["naive_xero"] = floor.naive_xero_calls(inv, pay)
    except Exception as exc:  # a broken part must not lose the other sizes' results
        out["error"] = f"{type(exc).__name__}: {exc}"[:2000]
        log(f"{label}: ERROR {out['error']}")
    finally:
        sb.stop()
    return out


def combine(n: int, lifted: dict[str, Any] | None, real: dict[str, Any] | None, startup: float):
    """One row of results.json from the lifted run and (for small n) the real-limits run."""
    base = real if real and "error" not in real else lifted
    if base is None or "floors" not in base:
        return {"n": n, "error": (base or {}).get("error", "no run")}
    inv, pay = base["invoice_data"], base.get("payment_data")
    fl = base["floors"]
    flows = [f for f in ("invoice_sync", "payment_sync") if f in base]
    floors = {  # flow -> (Xero floor, Qondor floor)
        "invoice_sync": (sum(fl["xero_invoice"].values()), sum(fl["qondor_invoice"].values())),
    }
    if "payment_sync" in flows:
        floors["payment_sync"] = (
            sum(fl["xero_payment"].values()),
            sum(fl["qondor_payment"].values()),
        )
    xero_floor = sum(x for x, _ in floors.values())
    qondor_floor = sum(q for _, q in floors.values())
    calls = {f: base[f]["calls"] for f in flows}
    xero_calls = sum(c["xero_total"] for c in calls.values())
    qondor_calls = sum(c["qondor_total"] for c in calls.values())

    def own_s(flow: str) -> float:
        return lifted[flow]["wall_s"] if lifted and flow in lifted else 0.0

    projected = sum(
        floor.limited_seconds(calls[f]["xero_total"], calls[f]["qondor_total"], own_s(f))
        for f in calls
    )
    forced_invoice = floor.limited_seconds(*floors["invoice_sync"])
    forced = sum(floor.limited_seconds(*xq) for xq in floors.values())
    row: dict[str, Any] = {
        "n": n,
        "customers": inv["customers"],
        "xero_calls": xero_calls,
        "xero_floor": xero_floor,
        "xero_429": None,
        "qondor_calls": qondor_calls,
        "qondor_floor": qondor_floor,
        "wall_s": None,
        "projected_wall_s": round(projected, 1),
        "cpu_ms_per_invoice": None,
        "target_peak_rss_mb": None,
        "naive_xero_calls": sum(base["naive_xero"].values()),
        "xero_egress_bytes": sum(c.get("xero_egress_bytes", 0) for c in calls.values()),
    }
    if real and "error" not in real:
        row["xero_429"] = sum(real[f]["calls"]["xero_429"] for f in calls)
        row["wall_s"] = round(sum(real[f]["wall_s"] for f in calls), 1)
    if lifted and "invoice_sync" in lifted:
        tap, target = lifted["invoice_sync"]["tap"], lifted["invoice_sync"]["target"]
        row["cpu_ms_per_invoice"] = round(1000 * (tap["cpu_s"] + target["cpu_s"]) / n, 3)
        row["target_peak_rss_mb"] = target["peak_rss_mb"]
    detail: dict[str, Any] = {
        "calls_from": "real limits" if base is real else "limits lifted",
        "flows": flows,
        "xero_ratio": round(xero_calls / xero_floor, 3) if xero_floor else None,
        "qondor_ratio": round(qondor_calls / qondor_floor, 3) if qondor_floor else None,
        "floor_formula": {k: floor.Floor(v).formula() for k, v in fl.items()},
        "invoice_data": inv,
        "payment_data": pay,
        "calls": calls,
        "naive_xero": base["naive_xero"],
        "naive_projected_s": round(floor.xero_seconds(sum(base["naive_xero"].values())), 1),
        "forced_s": round(forced, 1),
        "forced_invoice_sync_s": round(forced_invoice, 1),
        "startup_cpu_s": startup,
    }
    if real and "error" not in real:
        inv_wall = real["invoice_sync"]["wall_s"]
        detail["invoice_sync_wall_s"] = inv_wall
        detail["invoice_sync_vs_forced"] = (
            round(inv_wall / forced_invoice, 2) if forced_invoice else None
        )
        detail["real_limits"] = {f: real[f] for f in flows}
        detail["qondor_429"] = sum(real[f]["calls"]["qondor_429"] for f in calls)
    if lifted and "invoice_sync" in lifted:
        tap, target = lifted["invoice_sync"]["tap"], lifted["invoice_sync"]["target"]
        own = max(0.0, tap["cpu_s"] + target["cpu_s"] - startup)
        detail["cpu_ms_per_invoice_excl_startup"] = round(1000 * own / n, 3)
        detail["lifted"] = {f: lifted[f] for f in ("invoice_sync", "payment_sync") if f in lifted}
        detail["peak_rss_mb"] = {
            p: lifted[f][side]["peak_rss_mb"]
            for f, pair in (("invoice_sync", PLUGINS[:2]), ("payment_sync", PLUGINS[2:]))
            if f in lifted
            for side, p in zip(("tap", "target"), pair, strict=True)
        }
    for run in (lifted, real):
        if run and "error" in run:
            detail.setdefault("errors", []).append(run["error"])
    row["detail"] = detail
    return row


def machine(load: dict[str, float]) -> dict[str, Any]:
    """Where and when the results were taken."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **load,
        "note": "2 cores shared with other engineers' test runs; load1 is the 1-minute load average",
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark at each size and write results.md and results.json."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100,1000,10000", help="comma-separated queue sizes")
    p.add_argument("--with-100k", action="store_true", help="add 100,000 (limits lifted)")
    p.add_argument("--real-limits-up-to", type=int, default=1000, help="also run with real limits")
    p.add_argument("--no-lifted", action="store_true", help="skip the limits-lifted runs")
    p.add_argument(
        "--payment-sync-up-to", type=int, default=10**9, help="skip the payment sync above this N"
    )
    p.add_argument("--pay-share", type=float, default=0.5, help="share of invoices to pay")
    p.add_argument("--scenario", default="bench")
    p.add_argument("--sandbox-arg", action="append", help="extra flag for the sandbox")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per pipeline")
    p.add_argument("--out", type=Path, default=HERE, help="directory for results.md/.json")
    p.add_argument("--merge", action="store_true", help="keep earlier rows of other sizes")
    p.add_argument(
        "--merge-from", action="append", type=Path, help="add rows of another results.json"
    )
    p.add_argument("--workdir", type=Path, help="keep run files here (default: a temp dir)")
    args = p.parse_args(argv)

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.with_100k and 100_000 not in sizes:
        sizes.append(100_000)
    root = args.workdir or Path(tempfile.mkdtemp(prefix="qx-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    log(f"sizes {sizes}; real limits up to {args.real_limits_up_to}; files in {root}")
    sampler = LoadSampler()
    sampler.start()
    args.startup = {p: round(startup_cpu_s(p), 3) for p in PLUGINS}
    startup = round(args.startup["tap-qondor"] + args.startup["target-xero"], 3)
    args.out.mkdir(parents=True, exist_ok=True)
    results_path = args.out / "results.json"
    sources = list(args.merge_from or [])
    if args.merge and results_path.exists():
        sources.append(results_path)
    earlier = []  # rows of sizes not run now, each noting when it was taken
    for source in sources:
        old = json.loads(Path(source).read_text())
        for r in old.get("runs", []):
            if r.get("n") not in sizes and r.get("n") not in {e["n"] for e in earlier}:
                r.setdefault("detail", {}).setdefault("taken", old.get("machine", {}))
                earlier.append(r)
    rows: list[dict[str, Any]] = []

    def write(load: dict[str, float]) -> None:
        results = {"machine": machine(load), "runs": sorted(rows + earlier, key=lambda r: r["n"])}
        results_path.write_text(json.dumps(results, indent=2) + "\n")
        (args.out / "results.md").write_text(report.markdown(results))

    for n in sizes:
        lifted = None if args.no_lifted else measure(n, False, args, root)
        real = measure(n, True, args, root) if n <= args.real_limits_up_to else None
        rows.append(combine(n, lifted, real, startup))
        print(report.row_text(rows[-1]), flush=True)
        write(sampler.summary())  # after each size, so a late size cannot lose the others
    write(sampler.stop())
    log(f"wrote {results_path} and results.md")
    return 0 if all("error" not in r and not r.get("detail", {}).get("errors") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
