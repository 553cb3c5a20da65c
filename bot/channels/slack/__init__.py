"""Slack: a DM with each person, Block Kit messages with buttons, and the DSL's alert cards."""
