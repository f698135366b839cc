"""`callcenter desktop`: the agent desktop on localhost, with a softphone stand-in and the real tickets API."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from callcenter.cli.common import DEMO_PROFILES, REPO_ROOT, console, import_profiles


def add_parser(sub: Any) -> None:
    desktop = sub.add_parser("desktop", help="serve the agent desktop on localhost (no AWS account)",
                             description="The agent desktop page (desktop/, built by `make desktop`) with a "
                                         "softphone stand-in driven by the simulator and the real tickets API "
                                         "handler on the local backend. Sign in with a stand-in identity.")
    desktop.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765; 0: any free port)")
    desktop.add_argument("--profiles", type=Path, default=DEMO_PROFILES if DEMO_PROFILES.exists() else None,
                         metavar="FILE", help=f"profiles to load (default: {DEMO_PROFILES.relative_to(REPO_ROOT)})")
    desktop.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from callcenter.backend import LocalBackend
    from callcenter.desktop.server import DIST, DesktopApp, serve
    from callcenter.desktop.softphone import LocalSoftphone

    out = console()
    if not (DIST / "index.html").is_file():
        raise SystemExit("callcenter: the desktop page is not built: run `make desktop` first")
    with LocalBackend(log_level="ERROR") as backend:
        profiles = []
        if args.profiles:
            profiles = import_profiles(args.profiles, out, quiet=True).accepted
            backend.load_profiles(profiles)
        app = DesktopApp(backend, LocalSoftphone(backend, profiles))
        server = serve(app, "127.0.0.1", args.port)
        host, port = server.server_address[:2]
        print(f"Agent desktop: http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0
