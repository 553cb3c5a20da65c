"""Scheduled jobs (APScheduler 3.11). Jobs are thin and call the services; their effects are
idempotent in the database, so a job that runs twice, or late, does no harm."""
