"""Channels: each turns its platform's payloads into Inbound and renders Outbound for it."""
