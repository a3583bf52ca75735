"""Starts moto's server on loopback, answering one request at a time.

moto applies an UpdateItem as read-modify-write in Python without a lock, so two concurrent
`ADD` updates of one item can both read the same old value: DynamoDB never does that. The
conformance suite checks that concurrent increments and versioned writes are atomic, which
only means something if the emulator is atomic too, so requests are serialised here.
Connections stay concurrent (threaded server); only the handling of requests is one at a time.
"""

import argparse
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def one_at_a_time(app):
    lock = threading.Lock()

    def serialised(environ, start_response):
        with lock:
            # Materialise the body inside the lock: the response is computed lazily otherwise.
            return list(app(environ, start_response))

    return serialised


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        "127.0.0.1",
        args.port,
        one_at_a_time(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
