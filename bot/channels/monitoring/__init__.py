"""The monitoring providers' signed webhook, POST /api/monitoring/<provider> (bot/monitoring)."""
