"""Qondor ⇄ Xero integration core: API clients, mapping file, pure transforms. No Singer here."""
