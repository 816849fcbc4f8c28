"""Contract against Prism in dynamic mode: responses generated from the spec's `Task` schema (random values,
optional keys left out) all parse, and the parsed task holds what each response sent.

300 creates, 20 at a time, on one `Tasks` and one pooled AsyncClient.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest

from tests import spec_tools
from xpander_sdk import Configuration, MCPServerDetails, Principal, Task, Tasks, ThinkMode, User

CREATES = 300
CONCURRENCY = 20
# A few different calls (each also gets its own title, which pairs a response with its request).
CALLS: list[dict[str, Any]] = [
    {"prompt": "hi"},
    {"prompt": "", "file_urls": ["https://example.com/a.pdf"], "think_mode": ThinkMode.Harder},
    {
        "prompt": "Summarize",
        "user_details": User(email="ada@example.com", first_name="Ada"),
        "principal": Principal(kind="user", id="u1"),
        "agent_version": "3",
    },
    {"prompt": "Use the CRM", "mcp_servers": [MCPServerDetails(name="crm", url="https://mcp.example.com")]},
    {"prompt": "Be quick", "tool_call_limit": 0, "output_format": "json", "output_schema": {"type": "object"}},
]


class ResponseRecordingTransport(httpx.AsyncBaseTransport):
    """httpx's own async transport, keeping each response's JSON by the title of its request."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=CONCURRENCY))
        self.responses: dict[str, Any] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        self.responses[json.loads(request.content)["title"]] = json.loads(content)
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.anyio
async def test_every_dynamic_response_parses_into_the_task_it_describes(prism_dynamic_url: str) -> None:
    transport = ResponseRecordingTransport()
    created: dict[str, Task] = {}
    limiter = anyio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(transport=transport) as client:
        tasks = Tasks(Configuration(api_key="test-api-key", base_url=prism_dynamic_url), async_http_client=client)

        async def create(number: int) -> None:
            title = f"call-{number}"
            async with limiter:
                created[title] = await tasks.acreate(
                    "agent-123", **CALLS[number % len(CALLS)], title=title, max_retries=0
                )

        async with anyio.create_task_group() as group:
            for number in range(CREATES):
                group.start_soon(create, number)

    assert len(created) == CREATES
    assert set(transport.responses) == set(created)
    check = spec_tools.validator("Task")
    statuses = set()
    for title, task in created.items():
        data = transport.responses[title]
        assert spec_tools.violations(check, data) == [], f"Prism generated a response the spec forbids: {data}"
        spec_tools.assert_parsed_faithfully(data, task)
        statuses.add(task.status.value)
    assert len(statuses) > 1, "dynamic mode should vary the responses"
