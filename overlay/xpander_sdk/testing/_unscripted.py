"""Why a test that waits on a task nobody scripted fails in seconds, not at the wait's timeout (600 s by default).

A task of the fake stays `pending` until the test says what happens to it. A test that forgot to say it would wait
for the whole wait timeout and then report a timeout, which does not say what was missing. So the backend notes,
per task, whether something will finish it (a `complete_next`/`fail_next` outcome, the demo agent of
`play_agent`, or a worker of its agent: one is connected to the fake's controller, or the task waits for one or
was sent to one, see `_controller`), when it last changed (its create; `start`, `emit`,
`complete`, `fail`; an update or a stop by the SDK), and whether it has been read since (a status GET, an event
stream opened). A task that has not finished, that nothing will finish and that has not changed for
`unscripted_wait` seconds is *abandoned*: its open event streams end, and a read of it that follows another read
(a wait polls, a follower reconnects) is answered 409 with a `detail` that says what to script. A first read is
always served, so a test may look at an idle task once.
"""

from __future__ import annotations

import time

from attrs import define

_HINT = (
    "Script it: backend.complete_next(...) or backend.fail_next(...) before the create, backend.complete(task_id) "
    "or backend.fail(task_id) from the test, backend.play_agent(), or a worker of its agent registered with the "
    "fake; FakeBackend(unscripted_wait=None) turns this check off."
)


@define
class _Watch:
    """What the backend knows of one task: when it last changed, whether something will finish it, and whether
    it has been read since it changed."""

    changed_at: float
    driven: bool
    read: bool = False


class Unscripted:
    """The abandoned-task check of one backend, `after` seconds of quiet (None: off). Its methods are called with
    the backend's lock held."""

    def __init__(self, after: float | None) -> None:
        self.after = after
        self._watches: dict[str, _Watch] = {}

    def created(self, task_id: str, *, driven: bool) -> None:
        """A task was created (or continued), `driven` when an outcome or the demo agent will finish it."""
        self._watches[task_id] = _Watch(time.monotonic(), driven)

    def changed(self, task_id: str) -> None:
        watch = self._watches.get(task_id)
        if watch is not None:
            watch.changed_at, watch.read = time.monotonic(), False

    def abandoned(self, task_id: str, *, finished: bool, worked: bool = False) -> bool:
        """Whether nothing will change the task: not finished, not driven, not `worked` (a worker will finish
        it), and quiet for `after` seconds."""
        watch = self._watches.get(task_id)
        if self.after is None or watch is None or finished or watch.driven or worked:
            return False
        return time.monotonic() - watch.changed_at >= self.after

    def refusal(self, task_id: str, status: str, *, finished: bool, worked: bool = False) -> str | None:
        """The `detail` of the 409 for a read of the task (a status GET, an event stream opened), or None to
        serve it; the read is noted either way."""
        watch = self._watches.get(task_id)
        if watch is None:
            return None
        refuse = watch.read and self.abandoned(task_id, finished=finished, worked=worked)
        watch.read = True
        if not refuse:
            return None
        return (
            f"Task {task_id} is {status} and nothing will finish it: no complete_next()/fail_next() outcome was "
            f"scheduled for it, play_agent() was off when it was created, no worker of its agent is there, and "
            f"nothing has changed it for "
            f"{self.after:g} s, so this wait would only end at its timeout (the fake backend's unscripted_wait). "
            f"{_HINT}"
        )
