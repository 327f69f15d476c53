"""tap-qondor: Qondor's invoice queue and its customers as Singer streams."""
