"""The agent desktop locally (`callcenter desktop`): the page from desktop/dist, a softphone stand-in driven by the
simulator (softphone.py), and the real tickets API handler behind a local HTTP adapter (server.py)."""
