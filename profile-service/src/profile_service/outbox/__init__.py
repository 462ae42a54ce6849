"""Cloudinary side effects (destroys) performed later, with a lease, retries and a dead-letter state."""
