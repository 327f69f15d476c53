"""The clients' Session reads proxy and CA settings from the environment once, and honours them."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from qondor_xero.http import send, session_for


def test_proxy_from_the_environment_is_used_for_the_api(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = session_for("https://api.xero.com/api.xro/2.0")
    assert session.proxies.get("https") == "http://proxy.example:3128"
    assert session.trust_env is False


def test_no_proxy_exempts_the_api_host(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "qondor.azure-api.net")
    assert session_for("https://qondor.azure-api.net/Prod").proxies == {}


def test_ca_bundle_from_the_environment_is_used(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert session_for("https://api.xero.com/api.xro/2.0").verify == str(bundle)


class _Echo(BaseHTTPRequestHandler):
    """Answers every call with what it received; the first answer sets a cookie."""

    seen: list[dict] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.seen.append(
            {"line": f"{self.command} {self.path}", "headers": dict(self.headers), "body": body}
        )
        self.send_response(200)
        self.send_header("Set-Cookie", "affinity=abc; Path=/")
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    do_GET = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        pass


def test_send_puts_the_same_request_on_the_wire_as_session_request():
    server = HTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/Prod"
    try:
        calls = []
        for how in ("request", "send"):
            session = session_for(base)
            session.headers.update({"Ocp-Apim-Subscription-Key": "k", "Accept": "application/json"})
            _Echo.seen = []
            for method, params, body in (("GET", {"a": "b c"}, None), ("PUT", None, {"id": 1})):
                if how == "request":
                    r = session.request(method, base + "/x", params=params, json=body, timeout=5)
                else:
                    r = send(session, method, base + "/x", params=params, json=body, timeout=5)
                assert r.json() == {"ok": True}
            calls.append(_Echo.seen)
        assert calls[0] == calls[1]
        assert calls[1][1]["headers"]["Cookie"] == "affinity=abc"  # the session's cookie is sent
        assert calls[1][0]["line"] == "GET /Prod/x?a=b+c" and calls[1][1]["body"] == '{"id": 1}'
    finally:
        server.shutdown()
        server.server_close()
