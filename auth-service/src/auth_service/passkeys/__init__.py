"""Passkeys (WebAuthn): register, list, rename and remove them; sign in and step up with one."""
