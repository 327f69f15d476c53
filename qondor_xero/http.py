"""One `requests.Session` per API client, with the environment read once."""

from __future__ import annotations

import os

import requests
from requests.utils import get_environ_proxies


def session_for(base_url: str) -> requests.Session:
    """A Session for `base_url` honouring HTTP(S)_PROXY, NO_PROXY and the CA-bundle variables.

    They are read here, once, instead of on every request (`trust_env`), which was about a
    quarter of the target's CPU per call (benchmarks/README.md).
    """
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    return session
