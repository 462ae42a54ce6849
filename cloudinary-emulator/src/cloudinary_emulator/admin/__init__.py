"""Admin API: get one resource, list resources."""
