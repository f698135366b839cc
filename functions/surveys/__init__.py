"""Post-call satisfaction surveys: who gets one (eligibility), sending at most one per contact
(dispatcher), and storing the answers the survey flow collects (answers)."""
