"""Weeks of contact records at volume: a calendar of seasonality, holidays and event days, the routing decision
in memory and the queue model, written to the lake layout."""
