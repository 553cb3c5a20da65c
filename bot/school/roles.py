"""The roles a person holds in the school file, and which of them handle safeguarding cases."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    STAFF = "staff"
    DSL = "dsl"  # designated safeguarding lead (policy §3.3)
    DEPUTY_DSL = "deputy_dsl"
    HEADTEACHER = "headteacher"
    ICT = "ict"  # ICT manager / technical support (policy §3.4)
    GOVERNOR = "governor"


# Who handles safeguarding cases: alerted first, may acknowledge, view and close them.
HANDLER_ROLES = (Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER)
