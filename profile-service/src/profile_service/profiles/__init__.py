"""Profiles: the owner's view and edits, and the public view by username."""
