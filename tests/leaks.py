"""What a leaked secret looks like in output: the exact values, and any Xero access token."""

from __future__ import annotations

import re

# A JWT: base64url of '{"' (header, then claims) twice, joined by dots. A bare "eyJ" also turns
# up by chance in random base64url text, such as a PKCE challenge or a Fernet ciphertext.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.")


def leaked(text: str, secrets: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Which of `secrets` occur in `text` (shown masked), and "a JWT" if an access token does."""
    found = [s[:6] + "…" for s in secrets if s and s in text]
    return found + (["a JWT"] if JWT.search(text) else [])
