"""The Agents SDK's User-Agent is worked out once a process (bot/channels/teams/sdk.py), not
from the installed packages' metadata for every client it makes (two every Teams activity)."""

from __future__ import annotations

import importlib.metadata

from aiohttp import ClientSession
from microsoft_agents.hosting.core.connector.client.user_token_client import UserTokenClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

import bot.channels.teams.sdk  # noqa: F401 - what is tested is what importing it does


async def test_clients_made_each_turn_do_not_read_the_installed_packages_again(monkeypatch):
    looked_up: list[str] = []
    version = importlib.metadata.version

    def counted(name: str) -> str:
        looked_up.append(name)
        return version(name)

    monkeypatch.setattr(importlib.metadata, "version", counted)
    agents: set[str] = set()
    for _turn in range(3):
        async with ClientSession() as first, ClientSession() as second:
            TeamsConnectorClient("https://smba.example/teams/", "token", session=first)
            UserTokenClient("https://token.example/", "", app_id="app", session=second)
            agents |= {first.headers["User-Agent"], second.headers["User-Agent"]}
    assert len(looked_up) <= 1  # once a process (none if a test before worked it out)
    assert len(agents) == 1 and next(iter(agents)).startswith("agents-sdk-py/")
