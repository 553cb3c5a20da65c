"""The bot's words: one YAML catalogue per language (catalogue.py), read as `strings.NAME`."""
