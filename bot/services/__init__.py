"""Domain services: take a session and keyword arguments, return typed values, know no channel."""
