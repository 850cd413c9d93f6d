"""Adapters from external function-calling suites (BFCL) to switchboard tools."""
