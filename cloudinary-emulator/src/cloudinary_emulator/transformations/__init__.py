"""Cloudinary's transformation URL grammar (parser) and a Pillow implementation of the subset avatars need."""
