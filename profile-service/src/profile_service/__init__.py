"""profile-service: profiles, signed upload parameters, the Cloudinary webhook and the outbox."""

__version__ = "0.1.0"
