"""The fake Xero Accounting API (identity, accounting routes, admin)."""
