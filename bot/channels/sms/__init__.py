"""Alert text messages through the school's SMS provider, for the people's alert rules."""
