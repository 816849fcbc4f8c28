"""`Backend`: the official SDK's module for agent code (`from xpander_sdk import Backend`); here, the report of a task
run outside xpander.ai (`areport_external_task`), which hands over to `Task.areport_external_task`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ._requestor import check_configuration
from ._task_model import Task
from .configuration import Configuration

if TYPE_CHECKING:
    from typing import Unpack

    from ._requestor import RequestOptions
    from .models import TokenUsage


class HasId(Protocol):
    """What `agent` stands for: an agent (`Agents().aget(...)`), of which only the id is used."""

    @property
    def id(self) -> str: ...


class Backend:
    """Agent code's access to xpander.ai (the official `Backend`). `configuration` defaults to the environment's
    (`XPANDER_API_KEY`, `XPANDER_BASE_URL`, `XPANDER_AGENT_ID`...), read when it is made."""

    def __init__(self, configuration: Configuration | None = None) -> None:
        self.configuration = Configuration() if configuration is None else check_configuration(configuration)

    def __repr__(self) -> str:
        return f"Backend(configuration={self.configuration!r})"

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
        configuration's (`XPANDER_AGENT_ID`); `configuration` defaults to this Backend's."""
        return await Task.areport_external_task(
            configuration=self.configuration if configuration is None else configuration,
            agent_id=agent.id if agent is not None else agent_id,
            id=id,
            input=input,
            llm_response=llm_response,
            tokens=tokens,
            is_success=is_success,
            result=result,
            duration=duration,
            used_tools=used_tools or [],
            **options,
        )

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
        return Task.report_external_task(
            configuration=self.configuration if configuration is None else configuration,
            agent_id=agent.id if agent is not None else agent_id,
            id=id,
            input=input,
            llm_response=llm_response,
            tokens=tokens,
            is_success=is_success,
            result=result,
            duration=duration,
            used_tools=used_tools or [],
            **options,
        )
