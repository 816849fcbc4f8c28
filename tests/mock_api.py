"""An in-process fake of the API on `httpx.MockTransport`, for unit tests: records requests, answers scripted."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from attrs import evolve

from xpander_sdk import Configuration, Tasks

MINIMAL_TASK = {
    "id": "t1",
    "agent_id": "agent-123",
    "organization_id": "o",
    "input": {"text": "x"},
    "created_at": "2025-01-01T00:00:00Z",
}

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeAPI:
    """Answers each request with the next scripted answer (the last one repeats), and records the requests."""

    def __init__(self, answers: Iterable[Answer] = ()) -> None:
        self.answers = list(answers) or [httpx.Response(201, json=MINIMAL_TASK)]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer

    @property
    def last_body(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.requests[-1].content)
        return body

    def tasks(self, *, fast_retries: bool = True, **options: Any) -> Tasks:
        """A Tasks whose sync and async clients both talk to this fake (retries without real waits)."""
        transport = httpx.MockTransport(self)
        configuration = options.pop("configuration", None) or Configuration(
            api_key="test-key", base_url="https://api.test"
        )
        tasks = Tasks(
            configuration,
            http_client=httpx.Client(transport=transport),
            async_http_client=httpx.AsyncClient(transport=transport),
            **options,
        )
        if fast_retries:
            tasks.retry_policy = evolve(tasks.retry_policy, initial_delay=0.001, max_delay=0.002)
        return tasks
