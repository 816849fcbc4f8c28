"""Test code that uses the SDK, without a network: a fake of the task API that runs in your process.

    from xpander_sdk.testing import FakeBackend

    def test_summary():
        with FakeBackend() as backend:
            backend.complete_next(result="Sales grew 12%")   # the next task created completes with this
            tasks = backend.client()                          # a Tasks that talks to the fake (sync and async)
            task = tasks.create_and_wait(agent_id="agent-1", prompt="Summarize")
            assert task.result == "Sales grew 12%"
            assert backend.requests[0].json["input"]["text"] == "Summarize"

With pytest, the fixture `xpander_backend` (this package's pytest plugin, loaded by itself) yields a
`FakeBackend` installed for the test: every `Tasks()` of the code under test talks to it.

Scripting: `complete(task_id, result=...)`, `fail(task_id, error=...)`, `start(task_id)`, `emit(task_id,
type, data)`, `complete_next(...)`/`fail_next(...)` for the tasks about to be created, `respond_next(status=429,
retry_after=1)` and `disconnect_next()` for the next requests, `add_agent(agent_id, name=...)` for what
`Agents().aget` reads (any other agent id reads as a default agent). Reading: `requests` (each a
`RecordedRequest`), `tasks[task_id]` (a `Task`), `events(task_id)` (the event log), `metrics(agent_id)` (the
metrics reports of `task.report_metrics()`; a task reported with `Task.report_external_task()` is served as a
task). Plugging in: `client()`, `transport` (httpx, sync and async), `install()`, `serve()` (a loopback server).

Workers (agent code decorated with `@on_task`, which runs tasks on your machines): the backend is also their agent
controller, and `run_worker(handle, agent_id=...)` runs a `Worker` against it on a thread of its own. A worker's
registration stream (`GET {base_url}/{organization_id}/events/{agent_id}/`) gets `worker-registration` (its id:
`worker-1`, `worker-2`... one per registration), then an `agent-execution` (the whole task) for each task created
for its agent that no `complete_next`/`fail_next`/`play_agent` takes: to the worker the create's `worker_id`
names, else in turn; with no worker connected, the task waits for the next one. Reading: `workers`,
`worker_events(worker_id=None, event=None)` (heartbeats, capacity updates), `heartbeats()`, `dispatched(task_id)`.
Faults: `controller_down(seconds)` (streams end, 503 meanwhile), `dispatch_raw(agent_id, data)` (a malformed
dispatch), `redispatch(task_id)` (a duplicate), `silence_worker_streams(seconds)` (dead connections: not even a
ping), `environment_conflict(agent_id, error=...)`.

`play_agent(delay=0.5)` runs every task created with a demo agent (a tool call, the answer in chunks, the result
`Done: <prompt>`); `python -m xpander_sdk.testing` serves a fake with it on port 8765, to try the SDK and its
command line without an account. A wait on a task nothing will finish fails after `unscripted_wait` seconds
(default 5) with a 409 that says what to script, instead of waiting for its timeout.
"""

from ._backend import API_KEY, BASE_URL, ORGANIZATION_ID, FakeBackend, RecordedRequest

__all__ = ["API_KEY", "BASE_URL", "ORGANIZATION_ID", "FakeBackend", "RecordedRequest"]
