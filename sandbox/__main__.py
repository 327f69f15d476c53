"""`python -m sandbox serve`: the local Qondor and Xero APIs."""

from sandbox.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
