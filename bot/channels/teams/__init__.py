"""Microsoft Teams: every use of the Microsoft 365 Agents SDK is in this package."""
