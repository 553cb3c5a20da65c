"""The shape of a flow file, checked field by field when it is loaded."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

StepKind = Literal["choice", "multi_choice", "yes_no", "text", "datetime", "confirm", "person"]
Record = Literal[
    "category", "subcategory", "allegation", "allegation_about_head", "allegation_kind"
]
# Who else a report step's answer goes to, beyond the DSL: `ict`, the ICT contacts of a
# filtering report (so only steps that cannot name or identify a pupil).
Audience = Literal["ict"]
# What a case flow does when it is completed (purpose: case); the loader checks that the flow
# asks what the bot reads for it.
CaseAction = Literal["close", "note", "action", "reopen", "recategorise"]
_ID_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptionSpec(_Strict):
    value: str = Field(pattern=_ID_PATTERN)
    label: str = Field(min_length=1, max_length=75)
    # On a `records: category` or `subcategory` step: a report with this answer is a nude or
    # semi-nude image case (UKCIS advice), whose case is closed with the referral criteria.
    image_case: bool = False


class Effect(_Strict):
    """Something that happens as soon as an answer matches: a message, a signal to the bot.

    `signal: urgent` makes the report urgent the moment the answer is given; its `reason` (a
    code such as `sextortion`) says why, on the alert and in the record, so it is required.
    """

    when: str
    notice: str | None = None
    tone: Literal["info", "guidance", "warning", "urgent"] = "info"
    signal: Literal["urgent", "possibly_illegal"] | None = None
    reason: str | None = Field(default=None, pattern=_ID_PATTERN)

    @model_validator(mode="after")
    def _reason_with_urgent(self) -> Effect:
        if self.signal == "urgent" and self.reason is None:
            raise ValueError(
                "signal: urgent needs a reason: a short code saying why, such as "
                "'reason: immediate_danger' (it is shown on the alert)"
            )
        if self.reason is not None and self.signal != "urgent":
            raise ValueError("a reason is only for signal: urgent")
        return self


class StepSpec(_Strict):
    id: str = Field(pattern=_ID_PATTERN)
    kind: StepKind
    prompt: str = Field(min_length=1)
    label: str = Field(min_length=1, max_length=60)
    hint: str | None = None
    guidance: str | None = None
    options: tuple[OptionSpec, ...] = ()
    required: bool = True
    max_length: int | None = Field(default=None, ge=1, le=10_000)
    when: str | None = None
    allow_future: bool = False
    defang: bool = False
    records: Record | None = None
    share_with: tuple[Audience, ...] = ()
    on_answer: tuple[Effect, ...] = ()
    # A case flow's choice step whose options are those of the `records: category` step of
    # the report flow with this id, filled in when the flows are loaded (never copied).
    options_from: str | None = Field(default=None, pattern=_ID_PATTERN)

    @field_validator("options")
    @classmethod
    def _unique_values(cls, options: tuple[OptionSpec, ...]) -> tuple[OptionSpec, ...]:
        values = [o.value for o in options]
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise ValueError(f"option value(s) used twice: {', '.join(duplicates)}")
        return options

    def values(self) -> set[str]:
        """The answers a choice step can record: its options' values (yes/no, or "ok")."""
        if self.kind == "yes_no":
            return {"yes", "no"}
        if self.kind == "confirm" and not self.options:
            return {"ok"}
        return {option.value for option in self.options}


class OfferSpec(_Strict):
    """What a report flow offers in the reporter's confirmation when `when` holds on the sent
    answers: to start another report flow (`flow`) with some answers filled in, linked to the
    report just sent. The reporter sees `text`, and a button labelled `label`.

    `carry`: the other flow's step id -> this flow's step whose answer it takes (left out when
    not answered, or not an answer the other step can take). `given`: the other flow's step id
    -> a fixed value. The reporter can change any of them at the summary; a step not filled in
    is asked as usual, so the first question (immediate danger) is always asked.
    """

    when: str
    flow: str = Field(pattern=_ID_PATTERN)
    text: str = Field(min_length=1)
    label: str = Field(min_length=1, max_length=75)
    carry: dict[str, str] = Field(default_factory=dict)
    given: dict[str, str] = Field(default_factory=dict)


class FlowSpec(_Strict):
    id: str = Field(pattern=_ID_PATTERN)
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    # report: a concern filed with the DSL; case: a DSL action on one; audit: the staff
    # training self-audit; check: the ICT lead's filtering check; review: the annual filtering
    # and monitoring review (the rules of the last four are checked by the loader,
    # dialogs/purposes.py); brief: the DSL writing a staff briefing; briefing: a briefing as
    # staff read it (made by bot/briefings from what the DSL wrote, stored with its campaign).
    purpose: Literal["report", "case", "audit", "check", "review", "brief", "briefing"] = "report"
    report_kind: str | None = Field(default=None, pattern=_ID_PATTERN)  # checked at start
    context: tuple[Annotated[str, Field(pattern=_ID_PATTERN)], ...] = ()
    intro: str = Field(min_length=1)
    help: str = Field(min_length=1)
    summary_title: str = Field(min_length=1)
    submit_label: str = Field(default="Send report", max_length=75)
    # A case flow's action (purpose: case only): what completing it does to the case.
    action: CaseAction | None = None
    # What stopping this flow says, in its own words: the question "cancel" asks and the
    # message once stopped. Unset, a report's (dialogs/strings.py), or for a case flow the
    # bot's words for a case form (bot/cases/flow_words.py).
    cancel_question: str | None = Field(default=None, min_length=1)
    cancelled: str | None = Field(default=None, min_length=1)
    # A case flow's message once recorded (purpose: case only); {reference} is the case's.
    done: str | None = Field(default=None, min_length=1)
    steps: tuple[StepSpec, ...] = Field(min_length=1)
    # A report flow's offer to start another report, linked, once this one is sent.
    offer: OfferSpec | None = None

    @model_validator(mode="after")
    def _kind_for_reports(self) -> FlowSpec:
        if self.purpose == "report" and self.report_kind is None:
            raise ValueError("a report flow needs report_kind: concern or filtering")
        return self

    @model_validator(mode="after")
    def _offer_for_reports(self) -> FlowSpec:
        if self.offer is not None and self.purpose != "report":
            raise ValueError("offer is only for report flows (purpose: report)")
        return self

    @model_validator(mode="after")
    def _action_for_cases(self) -> FlowSpec:
        if self.purpose == "case" and self.action is None:
            raise ValueError(
                "a case flow needs action: close, note, action, reopen or recategorise"
            )
        if self.purpose != "case" and self.action is not None:
            raise ValueError("action is only for case flows (purpose: case)")
        if self.purpose != "case" and self.done is not None:
            raise ValueError("done is only for case flows (purpose: case)")
        return self

    @property
    def _by_id(self) -> dict[str, StepSpec]:
        # Looked up many times a turn (every answer kept is checked against its step), so the
        # index is kept; with the very steps it was made from, because a copy of the flow made
        # with other steps (`extends:`, model_copy) carries this object's attributes along.
        kept = self.__dict__.get("_step_index")
        if kept is None or kept[0] is not self.steps:
            kept = (self.steps, {step.id: step for step in self.steps})
            self.__dict__["_step_index"] = kept
        return kept[1]

    def step(self, step_id: str) -> StepSpec:
        return self._by_id[step_id]

    def has_step(self, step_id: str) -> bool:
        return step_id in self._by_id

    def index(self, step_id: str) -> int:
        return [step.id for step in self.steps].index(step_id)

    def shared_with(self, audience: Audience) -> tuple[str, ...]:
        """The ids of the steps whose answers go to `audience` (`share_with`), in order."""
        return tuple(step.id for step in self.steps if audience in step.share_with)

    def recorded_option(self, records: Record, value: str | None) -> OptionSpec | None:
        """The option a report's recorded `category` or `subcategory` value was chosen from."""
        for step in self.steps:
            if step.records == records:
                for option in step.options:
                    if option.value == value:
                        return option
        return None

    def option_label(self, step_id: str, value: str) -> str | None:
        """The label of one of a step's options, None if the step or the value is unknown."""
        for step in self.steps:
            if step.id == step_id:
                return next((o.label for o in step.options if o.value == value), None)
        return None
