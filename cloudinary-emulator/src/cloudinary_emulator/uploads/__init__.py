"""Upload API: upload and destroy."""
