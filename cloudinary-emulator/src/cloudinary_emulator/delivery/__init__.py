"""Delivery: `GET /{cloud}/image/upload/...` serves originals and derivatives."""
