"""Proactive outreach: campaigns as data (campaigns), a daily planner that finds customers whose
warranty or plan expires soon (planner), a sender that calls or texts them at a decent hour and at
most once per frequency-cap period (sender), and the outreach flow's answers (response)."""
