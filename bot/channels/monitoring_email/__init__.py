"""The monitoring provider's alert e-mails, received by SMTP behind the school's mail relay
(aiosmtpd): see receiver.py and docs/monitoring-email.md."""
