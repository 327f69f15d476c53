"""sandbox.process: the server subprocess the demo, the fixtures and the benchmarks start."""

from __future__ import annotations

import socket

import pytest

from sandbox import process
from sandbox.process import SandboxError, SandboxProcess, free_port, port_is_free, serve_flags


def test_serve_flags_from_keywords():
    flags = {"no_limits": True, "openapi_strict": False, "size": 5, "seed": None}
    assert serve_flags(flags) == ["--no-limits", "--size", "5"]
    assert serve_flags({"xero_window_seconds": 0.5}) == ["--xero-window-seconds", "0.5"]


def test_start_serves_both_halves_and_stop_frees_the_ports(tmp_path):
    box = SandboxProcess(tmp_path / "s.db", tmp_path / "s.log", args=["--scenario", "demo"])
    with box:
        assert box.running
        assert box.xero_api_url == f"{box.xero_url}/api.xro/2.0"
        assert box.xero_state()["contacts"] and box.qondor_state()["invoices"]
        assert box.start_seconds is not None and box.start_seconds > 0
    assert not box.running and box.process.returncode is not None
    assert port_is_free(box.xero_port) and port_is_free(box.qondor_port)


def test_fresh_start_drops_the_data_a_restart_keeps(tmp_path):
    box = SandboxProcess(tmp_path / "s.db", tmp_path / "s.log", args=["--scenario", "empty"])
    with box:
        box.admin(box.xero_url, "POST", "seed", {"contacts": [{"Name": "Varig AS"}]})
    with box:
        assert [c["Name"] for c in box.xero_state()["contacts"]] == ["Varig AS"]
    box.start(fresh=True)
    try:
        assert box.xero_state()["contacts"] == []
    finally:
        box.stop()


def test_a_server_that_exits_at_start_is_reported_with_its_output(tmp_path):
    box = SandboxProcess(tmp_path / "s.db", tmp_path / "s.log", args=["--no-such-flag"])
    with pytest.raises(SandboxError) as failure:
        box.start()
    message = str(failure.value)
    assert "exited with code 2 at start" in message
    assert "unrecognized arguments: --no-such-flag" in message
    assert str(tmp_path / "s.log") in message


def test_a_server_that_does_not_answer_in_time_is_stopped(tmp_path):
    box = SandboxProcess(tmp_path / "s.db", tmp_path / "s.log")
    with pytest.raises(SandboxError, match=r"did not answer on http://127\.0\.0\.1:\d+/_sandbox"):
        box.start(timeout=0)
    assert not box.running


def test_a_port_in_use_is_refused_before_starting(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        box = SandboxProcess(tmp_path / "s.db", tmp_path / "s.log", qondor_port=port)
        with pytest.raises(SandboxError, match=f"port {port} is already in use"):
            box.start()
    assert box.process is None


def test_free_ports_in_one_process_are_distinct():
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50


def test_picked_ports_another_process_took_before_the_bind_are_picked_again(tmp_path, monkeypatch):
    xero, qondor = free_port(), free_port()
    with socket.socket() as thief:
        thief.bind(("127.0.0.1", xero))
        thief.listen()
        monkeypatch.setattr(process, "port_is_free", lambda port: True)  # the race: taken later
        with SandboxProcess(
            tmp_path / "s.db", tmp_path / "s.log", xero_port=xero, qondor_port=qondor
        ) as box:
            assert box.xero_port != xero and box.running
    assert "address already in use" in (tmp_path / "s.log").read_text()


def test_a_port_another_sandbox_took_first_is_not_taken_for_this_one(tmp_path, monkeypatch):
    # The race across test workers: another sandbox binds a port this one picked, and answers
    # /_sandbox/health there. This one must not take that answer for its own Xero half.
    with SandboxProcess(tmp_path / "a.db", tmp_path / "a.log", args=["--scenario", "demo"]) as a:
        monkeypatch.setattr(process, "port_is_free", lambda port: True)  # the race: taken later
        b = SandboxProcess(
            tmp_path / "b.db",
            tmp_path / "b.log",
            xero_port=a.qondor_port,
            qondor_port=free_port(),
            args=["--scenario", "empty"],
        )
        with b:
            assert b.xero_port != a.qondor_port and b.running
            assert b.xero_state()["contacts"] == []  # its own empty Xero, not the other's Qondor
        assert a.running and a.qondor_state()["invoices"]
        # What start() waits for: this server's own half, told apart by its api and pid.
        assert SandboxProcess._healthy(a.xero_url, "xero", a.process.pid)
        assert not SandboxProcess._healthy(a.qondor_url, "xero", a.process.pid)  # another half
        assert not SandboxProcess._healthy(a.xero_url, "xero", a.process.pid + 1)  # another server
    assert "address already in use" in (tmp_path / "b.log").read_text()


def test_admin_errors_name_the_call_and_status(sandbox):
    with pytest.raises(SandboxError, match=r"GET http://127\.0\.0\.1:\d+/_sandbox/nothing: 404"):
        sandbox.admin(sandbox.xero_url, "GET", "nothing")
