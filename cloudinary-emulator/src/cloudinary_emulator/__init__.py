"""cloudinary-emulator: an offline stand-in for Cloudinary's upload, admin, delivery and notification APIs."""

__version__ = "0.1.0"
