"""Local Qondor and Xero API servers for the demo, tests and benchmarks."""
