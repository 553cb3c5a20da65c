"""Outbound -> the JSON the page renders. Pure; the page shows all text with textContent."""

from __future__ import annotations

from typing import Any

from bot.delivery.messages import Answered, Card, Link, Notice, Option, Outbound, Question, Summary
from bot.words import strings


def render(message: Outbound) -> dict[str, Any]:
    if isinstance(message, Notice):
        text = message.text
        if message.restore_text and message.restore_text.strip():
            text += " " + strings.WEB_RESTORED  # the page puts it back in the box: it says so
        return {
            "kind": "notice",
            "tone": message.tone,
            "text": text,
            "restore_text": message.restore_text,
        }
    if isinstance(message, Question):
        return {
            "kind": "question",
            "step_id": message.step_id,
            "input": message.input,
            "text": message.text,
            "hint": message.hint,
            "guidance": message.guidance,
            "options": [_option(o) for o in message.options],
            "max_length": message.max_length,
            "required": message.required,
            "progress": list(message.progress) if message.progress else None,
            "current_answer": message.current_answer,
            "actions": [_option(o) for o in message.actions],
            "token": message.token,
        }
    if isinstance(message, Summary):
        return {
            "kind": "summary",
            "title": message.title,
            "text": message.text,
            "rows": [
                {"step_id": r.step_id, "label": r.label, "value": r.value} for r in message.rows
            ],
            "options": [_option(o) for o in message.options],
            "token": message.token,
        }
    if isinstance(message, Card):
        return {
            "kind": "card",
            "card_id": message.card_id,
            "title": message.title,
            "tone": message.tone,
            "text": message.text,
            "fields": [{"label": f.label, "value": f.value} for f in message.fields],
            "actions": [_option(o) for o in message.actions],
            "footer": message.footer,
            "links": [{"label": link.label, "href": link.path} for link in _links(message)],
        }
    raise TypeError(f"cannot render {type(message).__name__}")


def render_all(messages: list[Outbound]) -> list[dict[str, Any]]:
    # Answered: the page disables a question's buttons itself once a newer one is shown.
    return [render(m) for m in messages if not isinstance(m, Answered)]


def _links(card: Card) -> list[Link]:
    """The card's links, then its files' own: the page opens them from the bot's routes (which
    check who asks), so no file's bytes go into the chat's JSON."""
    return [*card.links, *(a.link for a in card.attachments if a.link is not None)]


def _option(option: Option) -> dict[str, str]:
    return {"value": option.value, "label": option.label, "style": option.style}
