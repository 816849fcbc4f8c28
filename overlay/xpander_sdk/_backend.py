"""`Backend`: the official SDK's runtime helpers for agent code, as far as the task API goes.

    from xpander_sdk import Backend
    task = await Backend().ainvoke_agent(agent_id="agent-123", prompt="Hello")   # agent_id: XPANDER_AGENT_ID

`ainvoke_agent` reads the agent (`Agents().aget`, with the pinned `agent_version` too) and creates a task on it
(`agent.acreate_task`); a prompt that is a JSON object holding `xpander_task_id` only reads that task, as in
the official SDK. `areport_external_task` records a task run outside xpander.ai (see
`Task.areport_external_task`). The parameters, their order and their defaults are the official SDK's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ._agents import Agents
from ._checks import refuse
from ._facade import Tasks
from ._requestor import Requestor, check_configuration
from ._task_model import Task
from ._task_reports import external_task_body, external_task_call
from .configuration import Configuration
from .models import AttachmentRef, OutputFormat, User

if TYPE_CHECKING:
    from typing import Unpack

    from ._requestor import RequestOptions
    from .models import TokenUsage

TASK_ID_KEY = "xpander_task_id"


class HasId(Protocol):
    """What `agent` stands for: an agent (`Agents().aget(...)`), of which only the id is used."""

    @property
    def id(self) -> str: ...


class Backend:
    """The runtime helpers. `Backend()` sends through the process-wide pool with the environment's
    configuration; `Backend(configuration)` with another configuration on that pool; `Backend(tasks=tasks)`
    through a `Tasks` of yours."""

    def __init__(self, configuration: Configuration | None = None, *, tasks: Tasks | None = None) -> None:
        self._agents = Agents(configuration, tasks=tasks)

    @property
    def requestor(self) -> Requestor:
        """The low-level client this object sends through: what the tasks it returns follow."""
        return self._agents.requestor

    @property
    def configuration(self) -> Configuration:
        return self._agents.configuration

    def __repr__(self) -> str:
        return f"Backend(base_url={self.configuration.base_url!r})"

    # -- invoking an agent ------------------------------------------------------------------------------------------
    async def ainvoke_agent(
        self,
        agent_id: str | None = None,
        prompt: str | None = "",
        existing_task_id: str | None = None,
        file_urls: Sequence[str] | None = None,
        user_details: User | None = None,
        agent_version: str | int | None = None,
        tool_call_payload_extension: Mapping[str, Any] | None = None,
        source: str | None = "sdk",
        worker_id: str | None = None,
        run_locally: bool | None = False,
        output_format: OutputFormat | str | None = None,
        output_schema: Mapping[str, Any] | None = None,
        events_streaming: bool | None = False,
        additional_context: str | None = None,
        expected_output: str | None = None,
        attachments: Sequence[AttachmentRef] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Task:
        """Create a task on the agent `agent_id` (default: the configuration's, else `XPANDER_AGENT_ID`), read
        first with `agent_version` pinned; or, when `prompt` is a JSON object with a string `xpander_task_id`,
        return that task as it is now (`Tasks.aget`). `options` apply to each call."""
        task_id = task_id_in(prompt)
        if task_id is not None:
            return await Tasks._on(self.requestor).aget(task_id, **options)
        agent = await self._agents.aget(agent_id, agent_version, **options)
        return await agent.acreate_task(
            prompt=prompt,
            existing_task_id=existing_task_id,
            file_urls=file_urls,
            attachments=attachments,
            user_details=user_details,
            agent_version=agent_version,
            tool_call_payload_extension=tool_call_payload_extension,
            source=source,
            worker_id=worker_id,
            run_locally=run_locally,
            output_format=output_format,
            output_schema=output_schema,
            events_streaming=events_streaming,
            additional_context=additional_context,
            expected_output=expected_output,
            **options,
        )

    def invoke_agent(
        self,
        agent_id: str | None = None,
        prompt: str | None = "",
        existing_task_id: str | None = None,
        file_urls: Sequence[str] | None = None,
        user_details: User | None = None,
        agent_version: str | int | None = None,
        tool_call_payload_extension: Mapping[str, Any] | None = None,
        source: str | None = "sdk",
        worker_id: str | None = None,
        run_locally: bool | None = False,
        output_format: OutputFormat | str | None = None,
        output_schema: Mapping[str, Any] | None = None,
        events_streaming: bool | None = False,
        additional_context: str | None = None,
        expected_output: str | None = None,
        attachments: Sequence[AttachmentRef] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Task:
        """The sync twin of `ainvoke_agent`, on a real sync client."""
        task_id = task_id_in(prompt)
        if task_id is not None:
            return Tasks._on(self.requestor).get(task_id, **options)
        agent = self._agents.get(agent_id, agent_version, **options)
        return agent.create_task(
            prompt=prompt,
            existing_task_id=existing_task_id,
            file_urls=file_urls,
            attachments=attachments,
            user_details=user_details,
            agent_version=agent_version,
            tool_call_payload_extension=tool_call_payload_extension,
            source=source,
            worker_id=worker_id,
            run_locally=run_locally,
            output_format=output_format,
            output_schema=output_schema,
            events_streaming=events_streaming,
            additional_context=additional_context,
            expected_output=expected_output,
            **options,
        )

    # -- reporting a task run elsewhere ------------------------------------------------------------------------------
    async def areport_external_task(
        self,
        agent_id: str | None = None,
        agent: HasId | None = None,
        id: str | None = None,
        input: str | None = None,
        llm_response: Any | None = None,
        tokens: TokenUsage | None = None,
        is_success: bool | None = True,
        result: str | None = None,
        duration: float | None = 0,
        used_tools: list[str] | None = None,
        configuration: Configuration | None = None,
        **options: Unpack[RequestOptions],
    ) -> Task:
        """Record a task that ran outside xpander.ai and return it as recorded (see
        `Task.areport_external_task`). The agent is `agent.id` when `agent` is given, else `agent_id`, else the
        configuration's (`XPANDER_AGENT_ID`); sent through this Backend's requestor unless `configuration` is
        given."""
        body = external_task_body(id, input, llm_response, tokens, is_success, result, duration, used_tools or [])
        requestor = self._reporter(configuration)
        call = external_task_call(requestor, _agent_id_of(agent, agent_id), body, Task)
        return (await requestor.acall(call, requestor.options(options))).bind(requestor)

    def report_external_task(
        self,
        agent_id: str | None = None,
        agent: HasId | None = None,
        id: str | None = None,
        input: str | None = None,
        llm_response: Any | None = None,
        tokens: TokenUsage | None = None,
        is_success: bool | None = True,
        result: str | None = None,
        duration: float | None = 0,
        used_tools: list[str] | None = None,
        configuration: Configuration | None = None,
        **options: Unpack[RequestOptions],
    ) -> Task:
        """The sync twin of `areport_external_task`."""
        body = external_task_body(id, input, llm_response, tokens, is_success, result, duration, used_tools or [])
        requestor = self._reporter(configuration)
        call = external_task_call(requestor, _agent_id_of(agent, agent_id), body, Task)
        return requestor.call(call, requestor.options(options)).bind(requestor)

    def _reporter(self, configuration: Configuration | None) -> Requestor:
        return self.requestor if configuration is None else Requestor.shared(check_configuration(configuration))


def _agent_id_of(agent: object, agent_id: str | None) -> object:
    """`agent.id` when an agent is given (anything with a string `id`: an `Agent`), else `agent_id`."""
    if agent is None:
        return agent_id
    agent_id_given = getattr(agent, "id", None)
    if not isinstance(agent_id_given, str):
        raise refuse("agent", "an Agent (an object with a string id), or None", agent)
    return agent_id_given


def task_id_in(prompt: object) -> str | None:
    """The task id of a prompt that is a JSON object holding a non-empty string `xpander_task_id` (the official
    shortcut: such a prompt reads that task instead of creating one); None for any other prompt."""
    if not isinstance(prompt, str) or TASK_ID_KEY not in prompt:
        return None  # the usual case, decided without parsing
    try:
        parsed = json.loads(prompt)
    except (ValueError, RecursionError):
        return None
    if not isinstance(parsed, dict):
        return None
    task_id = parsed.get(TASK_ID_KEY)
    return task_id if isinstance(task_id, str) and task_id else None
