"""Contacts queueing for agents: the staffing file and the SimPy model of who answers whom, and when."""
