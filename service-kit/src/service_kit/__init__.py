"""The service chassis: what every service needs and no domain owns."""

__version__ = "0.1.0"
