"""moto's server app, one request at a time: `python -m tests.concurrency.serial_moto PORT`.

DynamoDB applies a conditional write atomically: the condition is checked and the item written as one step,
whatever else arrives meanwhile. moto in-process (mock_aws) does not hold a lock between the two under threads,
and moto's bundled server (`moto_server`, ThreadedMotoServer) serves each request on its own thread, so
neither can tell a correct store from one that loses updates. This process serves moto's WSGI app with
werkzeug's `run_simple(threaded=False, processes=1)`: every request runs to its end before the next one
starts, which is the atomicity DynamoDB gives each request. Clients in other threads or processes still race
each other between their requests (a read, then a conditional write), which is what the tests exercise.
"""

from __future__ import annotations

import sys

from moto.moto_server.werkzeug_app import create_backend_app
from werkzeug.serving import run_simple


def main(port: int) -> None:
    app = create_backend_app("dynamodb")  # DynamoDB only: the service these tests race on
    run_simple("127.0.0.1", port, app, threaded=False, processes=1, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main(int(sys.argv[1]))
