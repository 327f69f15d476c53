"""The clients' Session reads proxy and CA settings from the environment once, and honours them."""

from qondor_xero.http import session_for


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
