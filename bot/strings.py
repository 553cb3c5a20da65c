"""The bot's own words outside the flows (the flows' YAML holds the rest)."""

MENU = "Hello {name}. What would you like to do?"
MENU_AGAIN = "Is there anything else?"
HELP_OPTION = "Help"
HELP = (
    "I help staff, volunteers and contractors tell the Designated Safeguarding Lead (DSL) about "
    "an online-safety concern or a problem with web filtering or monitoring, step by step. "
    "If a child is in immediate danger, call 999 first.\n\n"
    'Type "report" to report a concern, "filtering" for a filtering or monitoring problem, or '
    "press a button below."
)
NOT_UNDERSTOOD = "Sorry, I didn't understand that. Please choose one of these:"
STALE_BUTTON = (
    "That button belongs to a conversation that has finished. Here is what you can do now:"
)
NO_ATTACHMENTS = (
    "I can't accept files or images here, and nothing you attached has been saved. Describe what "
    "you saw in words instead. If it might be a nude or semi-nude image of a child, do not send, "
    "copy or forward it to anyone: keep the device secure and tell the DSL now."
)
SUBMITTED = (
    "Sent. Your reference is {reference}. Your report is stored securely for the DSL and the "
    "safeguarding team. Thank you for reporting it."
)
SUBMITTED_URGENT = (
    "Sent. Your reference is {reference}, marked URGENT. If anyone is still in immediate danger, "
    "call 999 now."
)
LINKED_CONCERN = "Because the material may be illegal, it was also filed as concern {reference}."
UNFINISHED = (
    'You have an unfinished report, "{title}", started {started}. Carry on where you left off, '
    'or type "cancel" to discard it.'
)
WELCOME_BACK = (
    'Welcome back. You have an unfinished report, "{title}". Here is where you left off. '
    "(What you just typed has been put back in the box.)"
)
PURGED = (
    'Your unfinished report "{title}", started {started}, was deleted after {hours} hours '
    "without changes, as nothing had been sent. Please start again if you still need to report it."
)
BUSY = "That arrived twice at once; I used the first one. Here is where you are:"
FLOW_GONE = (
    "The report you had started no longer exists in this bot's configuration, so it could not be "
    "continued. Please start again."
)
