"""Tooling that runs the stack on a laptop and in tests; never imported by the services themselves."""
