"""What `monitoring stats` offers the channels: its chart alone, for the web chat's link (made
afresh for whoever is signed in; the role checked, a refusal recorded: bot/monitoring/stats.py)."""

from __future__ import annotations

from bot.monitoring.stats import CHART_PATH
from bot.monitoring.stats import chart as monitoring_chart

__all__ = ["CHART_PATH", "monitoring_chart"]
