"""The bot's own words outside the flows (the flows' YAML holds the rest)."""

MENU = "Hello {name}. What would you like to do?"
MENU_AGAIN = "Is there anything else?"
HELP_OPTION = "Help"
# {commands}: each report kind's first command word and what it is for, from its entry in
# bot/reports/kinds.py: '"report" to report a concern, ...'.
HELP = (
    "I help staff, volunteers and contractors tell the Designated Safeguarding Lead (DSL) about "
    "an online-safety concern or a problem with web filtering or monitoring, step by step. "
    "If a child is in immediate danger, call 999 first.\n\n"
    "Type {commands}, or press a button below."
)
NOT_UNDERSTOOD = "Sorry, I didn't understand that. Please choose one of these:"
STALE_BUTTON = (
    "That button belongs to a conversation that has finished. Here is what you can do now:"
)
STALE_CLICK = (
    "That question was already answered, so that button did nothing. Here is where you are:"
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
ALREADY_SENT = (
    "Already sent: your reference is {reference}. Nothing new has been filed, and there is no "
    "need to send it again."
)
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

# --- Alerts and cases
URGENT_LABEL = "URGENT: someone may be in immediate danger, or the material may be illegal"
NORMAL_LABEL = "Not marked urgent"
# Why a report is urgent, by the reason code its flow gave (`signal: urgent`, `reason: ...`).
# A code not listed here (a school's own) is shown as written, underscores as spaces.
URGENT_REASONS = {
    "immediate_danger": "immediate danger reported",
    "child_at_risk": "a child is at immediate risk of harm",
    "adult_involved": "an adult is involved",
    "coercion": "coercion, blackmail or grooming",
    "sextortion": "sextortion",
    "under_13": "a child under 13 is shown",
    "violent": "violent acts, or acts unusual for the child's age",
    "possibly_illegal": "possibly illegal material: do not open",
    "planned_meeting": "planned meeting with someone met online",
    "self_harm": "risk of self-harm",
}
URGENT_BECAUSE = "URGENT: {reasons}"
URGENT_TITLE = "URGENT ({reason}): "
URGENT_TITLE_MORE = "{reason}, +{n} more"
# What the reporter is told when an answer makes the report urgent (after the flow's advice).
URGENT_NOW = (
    "This report is now marked URGENT ({reasons}). The DSL and the safeguarding team are being "
    "told straight away."
)
URGENT_ALSO = "Also marked URGENT: {reasons}. The safeguarding team's alert now says so."
ALLEGATION_NOTE = (
    "About an adult who works or volunteers at the school. Sent only to the people who handle "
    "allegations, never to the person concerned."
)
# An urgent alert sent while the reporter is still answering says only that it is coming: the
# report may yet turn out to be about the person it was sent to.
URGENT_TO_FOLLOW = "Urgent, details to follow"
PASSED_ON = "This report has been passed to the people who handle it."
PASSED_ON_TITLE = "Report {reference}"
LEFT_OUT = "Left out"
LEFT_OUT_LINE = "{name} ({roles}): {why}"
LADO = "Local authority designated officer (LADO)"
STILL_ANSWERING = "The reporter is still answering; this card updates when they send the report."
DETAILS_ON_VIEW = 'Details are not shown in alerts here: press "View" (every view is recorded).'
REMINDER = "Not acknowledged yet: reminder {n}. Please acknowledge it as soon as you can."
OUT_OF_HOURS = (
    "Sent outside school hours. If a child is in immediate danger, call 999. Other contacts:"
)
POSSIBLY_ILLEGAL = "possibly illegal material (from a filtering report)"
STATUS_STOPPED = "The reporter stopped before finishing; awaiting acknowledgement"
STATUS_WAITING = "Awaiting acknowledgement"
ICT_NOTE = (
    "For the filtering provider and ICT: please check, then block or unblock as needed. Pupil "
    "details are kept with the DSL only."
)
REVIEW_DUE = (
    "Case {reference}, closed {closed}, is due for its retention review ({years} years). Nothing "
    "has been deleted: decide whether to keep it longer, and record the decision as a note."
)
SEEN_BY_DSL = "Your report {reference} has been seen by the DSL ({who}, {at}). Thank you."
NO_SUCH_CASE = "That case could not be found. It may have been removed from this bot's records."
NOT_ALLOWED = (
    "Only the DSL, the deputies and the headteacher can do that (for an allegation about an "
    "adult, only the people it was sent to). The attempt has been recorded."
)
ACKNOWLEDGED = (
    "You have acknowledged {reference}. The escalation has stopped, the others have been told, "
    "and the reporter knows the DSL has seen it."
)
ALREADY_ACKNOWLEDGED = "Already handled: {status}."
NOT_CLOSED = "That case is not closed, so there is nothing to reopen."
ALREADY_CLOSED = "That case is already closed. Reopen it first if something new has come up."
CASE_FLOW_FOR = "Case {reference}."
CASE_RECORDED = "Done: {what} for {reference} is in the case record."
BACK_TO_REPORT = "Back to the report you were writing:"
CHRONOLOGY = "Chronology"
NO_OPEN_CASES = "There are no open cases."
OPEN_CASES = "Open cases ({n})"
NO_REPORTS = "You have not sent any reports yet."
MY_REPORTS = "Your reports"
MINE_SENT = "Sent; waiting for the DSL"
MINE_SEEN = "Seen by the DSL"
MINE_STOPPED = "Stopped before it was finished; the DSL has the urgent part"
EVENT_LABELS = {
    "urgent_opened": "started an urgent report",
    "urgent_reason_added": "gave another reason it is urgent",
    "submitted": "sent the report",
    "alert_raised": "alerted the safeguarding team",
    "escalated": "escalated (not yet acknowledged)",
    "acknowledged": "acknowledged",
    "viewed": "viewed the case",
    "note": "added a note",
    "action": "recorded an action",
    "closed": "closed the case",
    "reopened": "reopened the case",
    "refused": "was refused an action",
    "reporter_stopped": "stopped before finishing",
    "exported": "exported the chronology",
    "report_bound": "recorded the report as it was stored (before the log covered reports)",
    "report_resealed": "sealed the report again under a new encryption key",
}
# Shown in place of a stored value that does not belong to its row (moved or altered).
STORED_ANSWERS = "The report"
STORED_ELSEWHERE = (
    "This cannot be shown: what is stored here does not belong here (it was copied from "
    "another record, or altered). Ask whoever runs the bot to check the record with: "
    "python -m bot verify-log"
)
REFUSED_TRIED = "Tried: {action}"
REFUSED_REPEATS = "{action}, {repeats} more times between {first} and {last}"
OPEN_CASES_OPTION = "Open cases"
MY_REPORTS_OPTION = "My reports"
FINISH_CASE_FORM_FIRST = (
    'Please finish "{title}" first, or type "cancel" to stop it. Here is where you were:'
)
EXPORT_OPTION = "Export the chronology"
EXPORT_TITLE = "Export of {reference}"
EXPORT_TEXT = (
    "The case's chronology, with the report's own answers, as a CSV file for Excel. It names "
    "people and holds what they wrote: keep it secure, and share it only as safeguarding "
    "requires. Every export is recorded in the case."
)
EXPORT_FILE_TITLE = "Chronology of {reference} (CSV)"
EXPORT_CSV_LINK = "Chronology as CSV"
EXPORT_PAGE_LINK = "Printable chronology"
SLACK_FAILED = (
    "Sorry, something went wrong on our side. Your answers so far are saved; please try again "
    "in a moment."
)
SLACK_REPLY_FAILED = (
    "What you sent has been saved, but Slack did not show all of my answer just now. There is no "
    'need to send it again: type "help" to see where you are.'
)
SLACK_UPLOAD_FAILED = (
    "Slack did not take a file just now, so this did not arrive: {files}. Everything else above "
    "is complete. Ask again in a few minutes to have it sent again."
)
SLACK_HOME = (
    "Online safety at {school}. Report an online-safety concern or a filtering problem to the "
    "DSL, step by step, in this app's Messages tab. If a child is in immediate danger, call 999 "
    "first."
)
CASES_WAITING = '{n} case(s) are waiting for acknowledgement. Press "Open cases" below to see them.'

TEAMS_FAILED = (
    "Sorry, something went wrong on our side. What you have entered so far is saved: "
    "please send your last answer again in a minute."
)
TEAMS_WHO_ARE_YOU = (
    "Sorry, Teams did not tell me who you are just now, so I cannot start a report for you. "
    "Nothing has been lost: please try again in a minute."
)
TEAMS_FILES_OFF = (
    "{title}: not sent, because this bot is not set up to send files in Teams (your IT team can "
    "turn it on: TEAMS_FILES)."
)
TEAMS_PICTURE_TOO_BIG = (
    "{title}: too large to show in Teams. The same figures are in the message above."
)
TEAMS_FILE_OFFER = (
    "{title}. Press Allow to save it to your OneDrive. It names people and holds what they "
    "wrote: keep it as you would a record."
)
# How to have a file offered again, by its kind (bot/delivery/messages.py, FileKind).
TEAMS_FILE_AGAIN = {
    "audit_csv": 'type "audit results" again and press Allow',
    "case_chronology": 'press "Export the chronology" on the case again and press Allow',
}
TEAMS_FILE_AGAIN_ANY = "ask for it again and press Allow"
TEAMS_FILE_DECLINED = (
    "All right: the file was not sent, and nothing was saved to your OneDrive. To get it "
    "later, {again}."
)
TEAMS_FILE_NOT_SAVED = (
    "Sorry, the file could not be saved to your OneDrive just now, so it has not been sent. "
    "Please ask again in a few minutes: {again}."
)
TEAMS_FILE_GONE = {
    "audit_csv": (
        "That file can no longer be made (the self-audit it came from is not there any more), "
        'so nothing was saved to your OneDrive. Type "audit results" for the current results.'
    ),
    "case_chronology": (
        "That file can no longer be made (its case could not be found), so nothing was saved "
        "to your OneDrive."
    ),
}
TEAMS_FILE_GONE_ANY = "That file can no longer be made, so nothing was saved to your OneDrive."
TEAMS_FILE_NOT_ALLOWED = (
    "Only the DSL, deputies and headteacher can have everyone's self-audit answers, so nothing "
    "was saved to your OneDrive. This request has been recorded."
)
TEAMS_CASE_FILE_NOT_ALLOWED = (
    "Only the DSL, the deputies and the headteacher can have a case's chronology (for an "
    "allegation about an adult, only the people it was sent to), so nothing was saved to your "
    "OneDrive. The attempt has been recorded."
)
NOT_ON_TEAMS = (
    "Not reachable on Teams (the app is not installed for them, or Teams refused to deliver to "
    "them, so alerts reach them only on the other channels): {names}. Ask your Teams "
    "administrator to install (or unblock) the app for them."
)

AUDIT_INVITE_TITLE = "Online safety self-audit {year}"
AUDIT_INVITE = (
    "Once a year every member of staff answers eight short questions about online safety, so "
    "the DSL can plan the training you want. It takes about three minutes; your name and the "
    "date are filled in for you. You can stop and come back at any time before {closes}."
)
AUDIT_REMINDER = (
    "A reminder: the online safety self-audit is still waiting for your answers. It takes about "
    "three minutes, and it closes {closes}. Anything you have already answered is kept."
)
AUDIT_START_OPTION = "Start the self-audit"
AUDIT_RESUME_OPTION = "Carry on with the self-audit"
AUDIT_CHANGE_OPTION = "Change my answers"
AUDIT_THANKS_TITLE = "Thank you: your self-audit answers are saved"
AUDIT_THANKS = (
    "The DSL will use them to plan this year's online safety training. You can change your "
    "answers until the self-audit closes {closes}."
)
AUDIT_PAUSED_TITLE = "Self-audit paused"
AUDIT_PAUSED = (
    "Your answers so far are kept. Carry on whenever you like before the self-audit closes "
    "{closes}."
)
AUDIT_CLOSED = (
    "This self-audit closed {closed}, so answers can no longer be given or changed. Thank you. "
    "If you think you should have been asked, please tell the DSL."
)
AUDIT_NOT_INVITED = (
    "You are not on the list for this self-audit. If you think you should be, please tell the DSL."
)
AUDIT_FINISH_FIRST = (
    'Please finish or cancel what you have started first (type "cancel" to stop it), then '
    "press the self-audit button again. Nothing you have answered is lost."
)
AUDIT_COMMANDS = (
    'Self-audit commands: "audit start" (starts this academic year\'s self-audit, once), '
    '"audit status", "audit results" and "audit summary" (for governors: numbers only).'
)
AUDIT_NOT_ALLOWED = (
    "Only the DSL and deputies can start the self-audit, and only they and the headteacher can "
    "see its results. This request has been recorded."
)
AUDIT_NONE = 'No self-audit has been run yet. The DSL can start one with "audit start".'
AUDIT_NO_FLOW = (
    'The self-audit questions ("{flow}") could not be found. Check the audit section of the '
    "school configuration."
)
AUDIT_STARTED = (
    "The {year} online safety self-audit has started: {n} member(s) of staff are being asked. "
    'It closes {closes}. "audit status" shows how it is going.'
)
AUDIT_ALREADY = (
    "The {year} self-audit is already running ({n} member(s) of staff asked; it closes "
    '{closes}). Nobody is asked twice. "audit status" shows how it is going.'
)
AUDIT_NONE_OPEN = (
    "There is no self-audit open at the moment. The DSL will let you know when it starts."
)

TRAINING_NOT_ALLOWED = (
    "Only the DSL, deputies and headteacher can see and record staff training. This request has "
    "been recorded."
)
TRAINING_COMMANDS = (
    'Training commands: "training" (who is overdue) and "training record <e-mail> '
    '<induction|refresher|dsl> <date>", for example "training record t.brannigan@example.org '
    'refresher 04/09/2026".'
)
TRAINING_RECORD_USAGE = (
    'To record a training, type "training record <e-mail> <induction|refresher|dsl> <date>", '
    'for example "training record t.brannigan@example.org refresher 04/09/2026".'
)
TRAINING_UNKNOWN_PERSON = (
    "{email} is not in the school configuration, so no training can be recorded for them. "
    "Check the spelling, or ask IT to add them."
)
TRAINING_BAD_DATE = (
    '"{given}" is not a date that has passed. Please give it as dd/mm/yyyy, for example 04/09/2026.'
)
TRAINING_RECORDED = "Recorded: {kind} for {email} on {day}."
TRAINING_ALREADY = "{kind} for {email} on {day} was already recorded."
TRAINING_ALL_CURRENT = "Everyone's online-safety training is up to date."
TRAINING_OVERDUE = "Training overdue: {n} of {of} staff"
POLICY_REVIEW_DUE = (
    "The online safety policy is due for its annual review on {day} (policy §12). This year's "
    'self-audit results can inform it: type "audit summary".'
)

# The Teams renderer's own words (hints under a question, its buttons).
TEAMS_TYPE_YOUR_ANSWER = "Type your answer as a message."
TEAMS_DATETIME_HINT = 'For example "now", "today 10:15", "yesterday 15:00" or 24/11/2026 14:30.'
TEAMS_UP_TO = "Up to {limit:,} characters."
TEAMS_TICK_THEN_DONE = "Tick all that apply, then press Done."
TEAMS_PROGRESS = "Question {n} of {total}"
TEAMS_CURRENT_ANSWER = "Current answer: "
TEAMS_RESTORED = "What you wrote, to copy and edit:"
TEAMS_OPTIONS_IN_FULL = "The options in full:"
TEAMS_CHANGE = "Change"
TEAMS_DONE = "Done"
TEAMS_URGENT = "🚨 Urgent"
TEAMS_CONTINUED = " (continued)"
TEAMS_BOT_MESSAGE = "A message from the online-safety bot"

# The person picker (a person step) in Slack and Teams.
PERSON_PICK_PLACEHOLDER = "Start typing their name"
PERSON_CHOOSE = "Choose"
PERSON_HOW = (
    'Start typing their name in the box and choose them, or choose "Someone not on this '
    'list" and type their name and role as a message.'
)
# A question's message once it is answered (Slack and Teams take its buttons away).
ANSWER_GIVEN = "Your answer: {answer}"
ANSWERED_EARLIER = "This question was answered earlier."
