"""The fake Qondor API: the invoice queue, customers and offices (`create_app`)."""
