"""The SMSC simulator: plays the carrier for the sandbox, `make run` and the tests."""

# The connector test-mode messages leave through: receipts and handset views key on it.
CONNECTOR_NAME = "simulator"
