"""Alert e-mails through the school's SMTP server: a Notifier for the people's alert rules."""
