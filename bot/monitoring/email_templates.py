"""The built-in templates for providers whose alert e-mails are described publicly. A school's
own template with the same name (`monitoring: email: templates:`) replaces one.

What each provider documents, and what is the bot's reading of it:

- Linewize School Manager, "Red Flag Alert"
  (https://help.linewize.com/hc/en-gb/articles/5999388552732-School-Manager-Red-Flag-Alert-Email,
  https://help.linewize.com/hc/en-gb/articles/5803866585244-School-Manager-Email-Reports-and-Alerts-Guide):
  sent from redflag@linewize.com, the subject starts "[REDFLAG ALERT]" and names the student and
  the red flag; the body gives the student's name and the School Manager device, the time and
  date, the red flag's category, the request (search terms) and a "View in School Manager" link.
  The guide describes the fields without quoting the layout: the labels below are the guide's
  names for them. Red flags have no levels: one is high; a suicide red flag (which Linewize's
  weekly wellbeing report lists on its own) is critical.
- Smoothwall Filter, "Safeguarding Alert"
  (https://kb.smoothwall.com/hc/en-us/articles/15280520844572-What-is-Safeguarding-Severity,
  https://kb.smoothwall.com/hc/en-us/articles/15280601139100-When-are-Safeguarding-Alerts-sent):
  the body gives the Safeguarding Severity, Danger (the highest), Caution or Advisory, and the
  Safeguarding Theme (Suicide, Bullying, ...). Smoothwall documents its sender address only for
  its Monitor product (noreply@smoothwall.com, in
  https://monitorhelp.smoothwall.com/hc/en-us/articles/8025396557980); the subject and the
  labels are the bot's reading of the documented field names.

Senso documents its levels (Low, Medium, High, Urgent, Critical; only Urgent and Critical are
e-mailed: https://support.senso.cloud/support/solutions/articles/79000116253) but not its
e-mail's sender or layout, so it has no built-in template: docs/monitoring-email.md shows one
for the school file, to be checked against a real alert e-mail first.
"""

from __future__ import annotations

from bot.school.monitoring_email_settings import EmailTemplate

LINEWIZE = EmailTemplate(
    name="linewize",
    senders=("redflag@linewize.com",),
    subject=r"\[REDFLAG ALERT\]",
    labels={
        "user": ("Student", "User", "Name"),
        "device": ("School Manager device", "Device"),
        "occurred_at": ("Time and Date", "Date and Time", "Date", "Time"),
        "category": ("Category", "Red Flag"),
        "description": ("Request",),
    },
    default_severity="high",
    critical_categories=("suicide",),
    console_link_text="View in School Manager",
)

SMOOTHWALL = EmailTemplate(
    name="smoothwall",
    senders=("@smoothwall.com", "@smoothwall.cloud"),
    subject=r"safeguarding",
    labels={
        "severity": ("Safeguarding Severity", "Severity"),
        "category": ("Safeguarding Theme", "Theme", "Category"),
        "user": ("Username", "User"),
        "device": ("Device", "IP Address", "Client IP"),
        "occurred_at": ("Date/Time", "Date and Time", "Time", "Date"),
        "description": ("Search Term", "URL", "Content"),
    },
    severities={"danger": "critical", "caution": "high", "advisory": "medium"},
)

BUILT_IN: tuple[EmailTemplate, ...] = (LINEWIZE, SMOOTHWALL)
