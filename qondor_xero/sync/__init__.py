"""The invoice sync, Qondor items into Xero, with no Singer in it.

`run.py` (one run's clients, reference data and stop), `memory.py` (what a run remembers),
`items.py` (checks and contacts), `invoices.py` and `credit_notes.py` (one batch each), over the
decisions (`qondor_xero/decisions.py`) and writers (`qondor_xero/writers.py`).
"""
