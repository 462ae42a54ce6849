"""auth-service: users, passwords and tokens."""

__version__ = "0.1.0"
