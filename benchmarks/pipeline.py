"""Run a tap into a target the way Meltano does (a relay between two processes) and measure both."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
LIFTED = Path(__file__).resolve().parent / "lifted.py"


@dataclass
class ProcessUse:
    """What one plugin process cost: time, CPU (wait4's rusage) and peak RSS (VmHWM)."""

    name: str
    exit_code: int | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0


@dataclass
class PipelineRun:
    """One `tap | target` run."""

    tap: ProcessUse
    target: ProcessUse
    records: int = 0
    wall_s: float = 0.0
    timed_out: bool = False
    stderr_tail: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Both processes exited 0 in time."""
        return not self.timed_out and self.tap.exit_code == 0 and self.target.exit_code == 0


def _hwm_mb(pid: int) -> float:
    """VmHWM (peak RSS of the process's own memory since its exec) in MB; 0 when gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def _wait(proc: subprocess.Popen[bytes], use: ProcessUse, started: float) -> None:
    """Reap a child with wait4 (its own CPU time), polling VmHWM for its peak RSS meanwhile.

    wait4's ru_maxrss is not used: Linux carries the parent's peak over the fork/exec into it, so
    it would report the harness's own memory.
    """
    peak = 0.0
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _hwm_mb(proc.pid))
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    use.exit_code = proc.returncode
    use.wall_s = time.monotonic() - started
    use.cpu_s = rusage.ru_utime + rusage.ru_stime
    use.peak_rss_mb = peak


def _relay(src: IO[bytes], dst: IO[bytes], counter: list[int]) -> None:
    """Copy Singer messages from tap to target, counting RECORD messages."""
    try:
        for line in src:
            if b'"RECORD"' in line[:40]:
                counter[0] += 1
            dst.write(line)
    except BrokenPipeError:
        pass
    finally:
        with contextlib.suppress(BrokenPipeError):
            dst.close()


def _tail(path: Path, chars: int = 1500) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-chars:]


def command(plugin: str, config: Path, lifted: bool) -> list[str]:
    """The plugin's console script, or it under `lifted.py` (clients' pacing off)."""
    if lifted:
        return [str(BIN / "python"), str(LIFTED), plugin, "--config", str(config)]
    return [str(BIN / plugin), "--config", str(config)]


def meltano_catalog(tap: str, workdir: Path) -> Path:
    """The catalog Meltano hands `tap` (its committed catalog, less the streams its
    `select_filter` in meltano.yml leaves out), written into workdir."""
    import yaml

    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    plugin = next(p for p in project["plugins"]["extractors"] if p["name"] == tap)
    catalog = json.loads((ROOT / plugin["catalog"]).read_text())
    kept = plugin.get("select_filter")
    for entry in catalog["streams"]:
        if kept is not None and entry["tap_stream_id"] not in kept:
            for meta in entry["metadata"]:
                if meta["breadcrumb"] == []:
                    meta["metadata"]["selected"] = False
    path = workdir / f"{tap}.catalog.json"
    path.write_text(json.dumps(catalog))
    return path


def run_pipeline(
    tap: str,
    tap_config: Path,
    target: str,
    target_config: Path,
    workdir: Path,
    timeout: float,
    lifted: bool = False,
    tap_state: Path | None = None,
) -> PipelineRun:
    """`tap --config c --catalog k [--state s] | target --config c`, stderr to files in workdir,
    with a timeout; the target's stdout (its STATE messages) goes to `{target}.stdout` there.
    The catalog is the one Meltano would hand the tap, so the streams read are the job's."""
    run = PipelineRun(ProcessUse(tap), ProcessUse(target))
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    tap_err = workdir / f"{tap}.stderr"
    target_err = workdir / f"{target}.stderr"
    target_out = workdir / f"{target}.stdout"
    started = time.monotonic()
    with open(tap_err, "wb") as te, open(target_err, "wb") as ge, open(target_out, "wb") as go:
        tap_proc = subprocess.Popen(
            command(tap, tap_config, lifted)
            + ["--catalog", str(meltano_catalog(tap, workdir))]
            + (["--state", str(tap_state)] if tap_state else []),
            stdout=subprocess.PIPE,
            stderr=te,
            env=env,
        )
        target_proc = subprocess.Popen(
            command(target, target_config, lifted),
            stdin=subprocess.PIPE,
            stdout=go,
            stderr=ge,
            env=env,
        )
        counter = [0]
        relay = threading.Thread(
            target=_relay, args=(tap_proc.stdout, target_proc.stdin, counter), daemon=True
        )
        relay.start()
        waiters = [
            threading.Thread(target=_wait, args=(tap_proc, run.tap, started), daemon=True),
            threading.Thread(target=_wait, args=(target_proc, run.target, started), daemon=True),
        ]
        for w in waiters:
            w.start()
        for w in waiters:
            w.join(max(1.0, timeout - (time.monotonic() - started)))
        if any(w.is_alive() for w in waiters):
            run.timed_out = True
            for proc in (tap_proc, target_proc):
                if proc.returncode is None:
                    proc.kill()
            for w in waiters:
                w.join(30)
        relay.join(10)
    run.records = counter[0]
    run.wall_s = time.monotonic() - started
    run.stderr_tail = {tap: _tail(tap_err), target: _tail(target_err)}
    return run


def startup_cpu_s(plugin: str) -> float:
    """CPU seconds a plugin spends starting (its `--about`), the fixed cost of any run."""
    proc = subprocess.Popen(
        [str(BIN / plugin), "--about"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    use = ProcessUse(plugin)
    _wait(proc, use, time.monotonic())
    return use.cpu_s if use.exit_code == 0 else 0.0
