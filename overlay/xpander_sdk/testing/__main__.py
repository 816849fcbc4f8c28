"""`python -m xpander_sdk.testing`: a fake xpander API on this machine, with a demo agent, to try the SDK and its
command line without an account.

It serves a `FakeBackend` on 127.0.0.1 (`--port`, 8765 by default; 0 for a free one) with `play_agent(--delay)`,
prints the three `export` lines that point the SDK at it, logs each request it answers on stderr, and runs until
Ctrl-C or SIGTERM (exit 0). A port it cannot listen on is one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import signal
import sys
import threading
from collections.abc import Sequence

from ._backend import FakeBackend
from ._sdk import API_KEY_ENV, BASE_URL_ENV, ORGANIZATION_ID_ENV, port
from ._wire import serve_on_loopback

PROG = "python -m xpander_sdk.testing"
DEFAULT_PORT = 8765
USAGE_ERROR = 2


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Run a fake xpander task API on 127.0.0.1, with a demo agent that runs every task created: it starts "
            "it after DELAY seconds, streams a tool call and its answer in chunks (to a task created with events "
            "streaming), and completes it with 'Done: <prompt>'. Point the SDK or xpander-tasks at it with the "
            "printed export lines. Tasks live in memory until it stops."
        ),
        epilog="Ctrl-C (or SIGTERM) stops it.",
    )
    port_help = f"the port to listen on (default {DEFAULT_PORT}; 0: a free one)"
    parser.add_argument("--port", type=port, default=DEFAULT_PORT, help=port_help)
    parser.add_argument(
        "--delay",
        type=_seconds,
        default=0.5,
        help="seconds before the demo agent starts a task, and about as many again until it completes it (default 0.5)",
    )
    return parser.parse_args(argv)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"a number of seconds >= 0, got {text!r}")
    return value


def banner(url: str, backend: FakeBackend) -> str:
    """What a newcomer pastes into another shell."""
    return (
        f"A fake xpander API is listening on {url} (Ctrl-C stops it). In another shell:\n"
        f"  export {BASE_URL_ENV}={url}\n"
        f"  export {API_KEY_ENV}={backend.api_key}\n"
        f"  export {ORGANIZATION_ID_ENV}={backend.organization_id}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for stop in (signal.SIGINT, signal.SIGTERM):  # both end it cleanly (SIGINT too when a shell started it
        signal.signal(stop, signal.default_int_handler)  # in the background, which ignores SIGINT)
    try:
        return serve(args.port, args.delay)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C while it closes: no traceback
        print("Stopped.", file=sys.stderr, flush=True)
        return 0


def serve(port: int, delay: float) -> int:
    """Serve until a signal interrupts (KeyboardInterrupt); USAGE_ERROR when the port cannot be listened on."""
    with contextlib.ExitStack() as stack:
        backend = stack.enter_context(FakeBackend())
        backend.play_agent(delay)
        try:
            url = stack.enter_context(serve_on_loopback(backend, port, log=sys.stderr))
        except OSError as error:
            print(f"{PROG}: error: {_listen_error(port, error)}", file=sys.stderr)
            return USAGE_ERROR
        print(banner(url, backend), flush=True)
        threading.Event().wait()
    return 0  # pragma: no cover - the wait above ends only by a signal


def _listen_error(port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"port {port} is in use (stop what listens there, or pick another port with --port; 0: a free one)"
    return f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}"


if __name__ == "__main__":
    sys.exit(main())
