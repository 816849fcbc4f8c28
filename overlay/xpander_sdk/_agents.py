"""`Agents` and `Agent`: read an agent's configuration (`GET /agents/{agent_id}`) and create tasks on it.

    from xpander_sdk import Agents
    agent = await Agents().aget("agent-123")            # or agent_id from XPANDER_AGENT_ID; version=3 pins one
    task = await agent.acreate_task(prompt="Summarize the latest sales report")

The parameters, their order and their defaults are the official SDK's. An `Agents` sends through a requestor, as
`Tasks` does (the process-wide pool by default, or the `Tasks` given); an `Agent` is an active record that follows
the requestor it was read through, and `acreate_task` takes `Tasks.acreate`'s one create path.

Reads are cached 5 s, as in the official SDK: per base URL, organization, API key (as a digest), agent id and
pinned version, process-wide, 256 entries at most; a failure is never cached. The agent is read leniently: only
the seven keys the official SDK requires are required, an unknown framework or status is kept (the official SDK
fails the read with a 500), and every key this version does not type is kept in `extra`.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self

import httpx
from attrs import define, evolve, field, fields

from . import _routes
from ._bodies import agent_create_order
from ._checks import check_header_value, refuse
from ._constants import AGENT_CACHE_SECONDS, AGENT_CACHE_SIZE
from ._facade import Tasks
from ._requestor import Requestor
from ._task_json import dump, extra_keys
from ._task_model import Task, _ActiveRecord
from .configuration import Configuration
from .exceptions import InvalidArgumentError
from .models import (
    AttachmentRef,
    LLMReasoningEffort,
    MCPServerDetails,
    OutputFormat,
    Principal,
    ThinkMode,
    User,
    open_enum,
)
from .models._json import parse_datetime
from .models.agents import AgentStatus, Framework

if TYPE_CHECKING:
    from typing import Unpack

    from ._request import Call, CallOptions
    from ._requestor import RequestOptions

Json = Mapping[str, Any]
CacheKey = tuple[str, str, str, str, str]


# -- the agent ---------------------------------------------------------------------------------------------------
@define(kw_only=True, repr=False, getstate_setstate=False)
class Agent(_ActiveRecord):
    """An agent's configuration as the server returned it, with the official SDK's field names. The server's
    other keys (instructions, tools, graph, settings...) are in `extra`, as they came; `to_dict()` gives them all.

    An Agent read by `Agents` follows the requestor it came through: `acreate_task` uses its configuration and
    connections. One made by hand sends through the environment's configuration, on the shared pool."""

    id: str
    organization_id: str
    name: str
    unique_name: str
    framework: Framework
    """A `Framework`; one this version does not list is kept as a pseudo-member (`.value` is the string)."""
    model_provider: str
    model_name: str
    description: str | None = None
    version: int = 1
    status: AgentStatus = AgentStatus.ACTIVE
    created_at: datetime.datetime | None = None
    extra: dict[str, Any] = field(factory=dict)
    """Keys the server sent that this version does not type, as they came."""
    _requestor: Requestor | None = field(default=None, init=False, repr=False, eq=False)

    def __repr__(self) -> str:
        return (
            f"Agent(id={self.id!r}, name={self.name!r}, framework={self.framework.value!r}, "
            f"model={self.model_provider}/{self.model_name}, version={self.version!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_dict(cls, data: Json) -> Self:
        """Parse the JSON object of an agent. KeyError when a required key is missing; TypeError or ValueError
        when a value cannot be read."""
        return cls(
            id=_text(data, "id"),
            organization_id=_text(data, "organization_id"),
            name=_text(data, "name"),
            unique_name=_text(data, "unique_name"),
            framework=open_enum(Framework, _text(data, "framework")),
            model_provider=_text(data, "model_provider"),
            model_name=_text(data, "model_name"),
            description=data.get("description"),
            version=_version(data.get("version")),
            status=AgentStatus.ACTIVE if data.get("status") is None else open_enum(AgentStatus, str(data["status"])),
            created_at=parse_datetime(data.get("created_at")),
            extra=extra_keys(data, _AGENT_KEYS),
        )

    def to_dict(self) -> dict[str, Any]:
        """The agent as JSON: its typed fields, then the keys in `extra`."""
        return dump(self)

    # -- reading (the official classmethods) -------------------------------------------------------------------
    @classmethod
    async def aload(
        cls,
        agent_id: str,
        configuration: Configuration | None = None,
        version: int | str | None = None,
        **options: Unpack[RequestOptions],
    ) -> Agent:
        """The agent `agent_id` (the `version` pinned), read with `configuration` (default: the environment's)."""
        return await Agents(configuration).aget(agent_id, version, **options)

    @classmethod
    def load(
        cls,
        agent_id: str,
        configuration: Configuration | None = None,
        version: int | str | None = None,
        **options: Unpack[RequestOptions],
    ) -> Agent:
        """The sync twin of `aload`."""
        return Agents(configuration).get(agent_id, version, **options)

    # -- creating a task ------------------------------------------------------------------------------------------
    async def acreate_task(
        self,
        prompt: str | None = "",
        existing_task_id: str | None = None,
        file_urls: Sequence[str] | None = (),
        user_details: User | None = None,
        principal: Principal | None = None,
        agent_version: str | int | None = None,
        tool_call_payload_extension: Mapping[str, Any] | None = None,
        source: str | None = "sdk",
        worker_id: str | None = None,
        run_locally: bool | None = False,
        output_format: OutputFormat | str | None = None,
        output_schema: Mapping[str, Any] | None = None,
        events_streaming: bool | None = False,
        additional_context: str | None = None,
        instructions_override: str | None = None,
        test_run_node_id: str | None = None,
        user_oidc_token: str | None = None,
        expected_output: str | None = None,
        mcp_servers: Sequence[MCPServerDetails] | None = (),
        triggering_agent_id: str | None = None,
        title: str | None = None,
        think_mode: ThinkMode | str | None = ThinkMode.Default,
        disable_attachment_injection: bool | None = False,
        return_metrics: bool | None = False,
        user_tokens: Mapping[str, str] | None = None,
        llm_model_provider: str | None = None,
        llm_model_name: str | None = None,
        llm_reasoning_effort: LLMReasoningEffort | str | None = None,
        harness_cli: str | None = None,
        tool_call_limit: int | None = None,
        attachments: Sequence[AttachmentRef] | None = None,
        permission_mode: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry_unsafe: bool = False,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Task:
        """Create a task on this agent: `Tasks.acreate(self.id, ...)` with `source="sdk"` by default (the
        official defaults), through the requestor this agent follows; the task follows it too."""
        tasks, call, options = self._create_call(locals())
        return await tasks._asend(call, options)

    def create_task(
        self,
        prompt: str | None = "",
        existing_task_id: str | None = None,
        file_urls: Sequence[str] | None = (),
        user_details: User | None = None,
        principal: Principal | None = None,
        agent_version: str | int | None = None,
        tool_call_payload_extension: Mapping[str, Any] | None = None,
        source: str | None = "sdk",
        worker_id: str | None = None,
        run_locally: bool | None = False,
        output_format: OutputFormat | str | None = None,
        output_schema: Mapping[str, Any] | None = None,
        events_streaming: bool | None = False,
        additional_context: str | None = None,
        instructions_override: str | None = None,
        test_run_node_id: str | None = None,
        user_oidc_token: str | None = None,
        expected_output: str | None = None,
        mcp_servers: Sequence[MCPServerDetails] | None = (),
        triggering_agent_id: str | None = None,
        title: str | None = None,
        think_mode: ThinkMode | str | None = ThinkMode.Default,
        disable_attachment_injection: bool | None = False,
        return_metrics: bool | None = False,
        user_tokens: Mapping[str, str] | None = None,
        llm_model_provider: str | None = None,
        llm_model_name: str | None = None,
        llm_reasoning_effort: LLMReasoningEffort | str | None = None,
        harness_cli: str | None = None,
        tool_call_limit: int | None = None,
        attachments: Sequence[AttachmentRef] | None = None,
        permission_mode: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry_unsafe: bool = False,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> Task:
        """The sync twin of `acreate_task`, on a real sync client."""
        tasks, call, options = self._create_call(locals())
        return tasks._send(call, options)

    def _create_call(self, given: Mapping[str, Any]) -> tuple[Tasks, Call[Task], CallOptions]:
        """`Tasks.acreate`'s checked call for this agent, its body in the official `acreate_task`'s key order."""
        tasks = Tasks._on(self._sender())
        call, options = tasks._create_call({**given, "agent_id": self.id})
        return tasks, evolve(call, body=agent_create_order(call.body)), options


_AGENT_KEYS = frozenset(a.name for a in fields(Agent) if a.name not in ("extra", "_requestor"))
"""The keys an Agent types; the others go to `extra`."""


def _text(data: Json, key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} must be a string, got {type(value).__name__}")
    return value


def _version(value: object) -> int:
    """The agent's version: an integer (a string of digits is read as one, as pydantic's lax mode does); absent
    or null, the official default 1."""
    if value is None:
        return 1
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise TypeError(f"version must be an integer, got {value!r}")


# -- the cache of agent reads -------------------------------------------------------------------------------------
@define
class AgentCache:
    """Agent reads by (base URL, organization, API key digest, agent id, pinned version), each kept `seconds`
    after it was read, `size` at most (the oldest dropped first). Thread-safe; the JSON is copied in and out, so
    a changed Agent never changes what the next read returns."""

    seconds: float = AGENT_CACHE_SECONDS
    size: int = AGENT_CACHE_SIZE
    clock: Callable[[], float] = time.monotonic
    _entries: OrderedDict[CacheKey, tuple[float, dict[str, Any]]] = field(factory=OrderedDict, repr=False)
    """Agents' JSON, which may hold secrets (MCP keys): never in the repr."""
    _lock: threading.Lock = field(factory=threading.Lock, repr=False)

    def get(self, key: CacheKey) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self.clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            data = entry[1]
        return copy.deepcopy(data)

    def put(self, key: CacheKey, data: Json) -> None:
        kept = copy.deepcopy(dict(data))
        with self._lock:
            self._entries[key] = (self.clock() + self.seconds, kept)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


CACHE = AgentCache()
"""The process-wide cache of agent reads (what `Agents().aget` reuses for 5 s)."""


def _new_cache_lock() -> None:
    """In a child made by `os.fork()`: a new lock, as another thread may have held the old one at the fork."""
    CACHE._lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_new_cache_lock)


def clear_agent_cache() -> None:
    """Forget every agent read (the testing kit does, so that an agent it scripts is read afresh)."""
    CACHE.clear()


def _cache_key(configuration: Configuration, agent_id: str, version: str | None) -> CacheKey:
    api_key = configuration.api_key or ""
    digest = hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return (configuration.root_url, configuration.organization_id or "", digest, agent_id, version or "")


# -- the facade ------------------------------------------------------------------------------------------------------
class Agents:
    """Read agents. `Agents()` sends through the process-wide pool with the environment's configuration;
    `Agents(configuration)` with another configuration on that pool (nothing to close); `Agents(tasks=tasks)`
    through a `Tasks` of yours (its connections, timeout and retries)."""

    def __init__(self, configuration: Configuration | None = None, *, tasks: Tasks | None = None) -> None:
        if tasks is not None and not isinstance(tasks, Tasks):
            raise refuse("tasks", "a Tasks or None", tasks)
        if tasks is not None and configuration is not None:
            raise InvalidArgumentError("tasks", "pass a configuration or tasks, not both (tasks has its own)")
        self._tasks = tasks if tasks is not None else Tasks.on_shared_pool(configuration)

    @property
    def requestor(self) -> Requestor:
        """The low-level client this object sends through: what the agents it returns follow."""
        return self._tasks.requestor

    @property
    def configuration(self) -> Configuration:
        return self._tasks.configuration

    def __repr__(self) -> str:
        return f"Agents(base_url={self.configuration.base_url!r})"

    async def aget(
        self, agent_id: str | None = None, version: int | str | None = None, **options: Unpack[RequestOptions]
    ) -> Agent:
        """The agent `agent_id` (default: the configuration's `agent_id`, else `XPANDER_AGENT_ID`), its version
        `version` when given (sent as `x-agent-version`), else the deployed one. Reused for 5 s (see the module)."""
        requestor = self.requestor
        call, key, call_options = self._get_call(agent_id, version, options)
        cached = CACHE.get(key)
        if cached is not None:
            return Agent.from_dict(cached).bind(requestor)
        return await requestor.acall(call, call_options)

    def get(
        self, agent_id: str | None = None, version: int | str | None = None, **options: Unpack[RequestOptions]
    ) -> Agent:
        """The sync twin of `aget`."""
        requestor = self.requestor
        call, key, call_options = self._get_call(agent_id, version, options)
        cached = CACHE.get(key)
        if cached is not None:
            return Agent.from_dict(cached).bind(requestor)
        return requestor.call(call, call_options)

    def _get_call(
        self, agent_id: object, version: object, options: RequestOptions
    ) -> tuple[Call[Agent], CacheKey, CallOptions]:
        """The checked call, its cache key and options; InvalidArgumentError before anything is sent."""
        requestor = self.requestor
        chosen = self.configuration.agent_id_or_default(agent_id)
        pinned = _version_header(version)
        call_options = requestor.options(options)
        key = _cache_key(self.configuration, str(chosen), pinned)

        def read(data: dict[str, Any]) -> Agent:
            agent = Agent.from_dict(data).bind(requestor)
            CACHE.put(key, data)
            return agent

        return _routes.get_agent(chosen, pinned, read), key, call_options


def _version_header(version: object) -> str | None:
    """`x-agent-version`, as the official SDK: `str(version)` when it is truthy (0, "" and None pin nothing)."""
    if isinstance(version, bool) or not isinstance(version, int | str | None):
        raise refuse("version", "an int, a string or None", version)
    return check_header_value("version", str(version)) if version else None
