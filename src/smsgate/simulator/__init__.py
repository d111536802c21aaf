"""The SMSC simulator: plays the carrier for the sandbox, `make run` and the tests."""
