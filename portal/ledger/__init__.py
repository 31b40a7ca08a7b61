"""The ledger CSV format: row validation (pure) and the idempotent importer."""
