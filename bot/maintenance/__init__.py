"""Operational commands: backing up and restoring the database, rotating the encryption key."""
