"""Administrators' routes (`/admin/moderation*`, `/admin/profiles/*`): the moderation queue, decisions, take-downs
and the audit log of every admin action."""
