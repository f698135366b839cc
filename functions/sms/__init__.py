"""Two-way SMS: the messages customers text to the center's number (functions/sms/inbox.py)."""
