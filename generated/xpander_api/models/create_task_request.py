from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.harness_cli import HarnessCLI
from ..models.llm_reasoning_effort import LLMReasoningEffort
from ..models.output_format import OutputFormat
from ..models.permission_mode import PermissionMode
from ..models.think_mode import ThinkMode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.mcp_server_details import MCPServerDetails
    from ..models.output_schema import OutputSchema
    from ..models.payload_extension import PayloadExtension
    from ..models.task_input import TaskInput
    from ..models.user_tokens import UserTokens


T = TypeVar("T", bound="CreateTaskRequest")


@_attrs_define
class CreateTaskRequest:
    """The body of a create-task request. The official SDK sends every key, null where unset; the server requires `input`
    (its published schema, see xpander-wire.md) and gives every other key a default, so an unset key may also be left
    out. Keys are listed in the order the official SDK sends them. `input` is not in `required` because the generator
    writes required keys first, which would change the bytes the official SDK sends (`id` comes first); `x-server-
    required` says it instead, and the testing kit's fake server refuses a body without it, as the server does.

        Attributes:
            id (None | str | Unset): Continue this existing task (same task and memory thread) instead of starting a new
                one. Not an idempotency key.
            input_ (TaskInput | Unset): What the agent is asked to do: the prompt, files, and who asks. `attachments` and
                `principal` are left out by the official SDK when unset.
            payload_extension (None | PayloadExtension | Unset): Extra payload merged into the agent's tool calls
                (`tool_call_payload_extension` in the SDK).
            source (None | str | Unset): Where the task comes from (the official `Agent.acreate_task` sends `sdk`).
            worker_id (None | str | Unset): Run the task on this worker.
            output_format (None | OutputFormat | Unset): The format of the result (server default `text`).
            output_schema (None | OutputSchema | Unset): A JSON Schema the result must follow (with `output_format` `json`).
            run_locally (bool | None | Unset): Run the task on a local worker rather than in the cloud. Null (which the
                official SDK sends for `None`) means the server's default, false. Default: False.
            events_streaming (bool | None | Unset): Publish the task's events as Server-Sent Events (needed to stream them
                later). Null (which the official SDK sends for `None`) means the server's default, false. Default: False.
            additional_context (None | str | Unset): Extra context added to the agent's instructions for this task.
            instructions_override (None | str | Unset): Instructions that replace the agent's own for this task.
            test_run_node_id (None | str | Unset): Run only this node of the agent graph (test runs).
            user_oidc_token (None | str | Unset): The end user's OIDC token, passed on to tools that act for the user. A
                secret.
            expected_output (None | str | Unset): A description of the result the agent should produce.
            mcp_servers (list[MCPServerDetails] | None | Unset): MCP servers the agent may use for this task, in addition to
                its own. The server also accepts null (no servers); the official SDK always sends a list.
            triggering_agent_id (None | str | Unset): The agent that started this task, when one agent delegates to another.
            title (None | str | Unset): A title for the task, shown in the xpander.ai console.
            think_mode (None | ThinkMode | Unset): How hard the agent thinks. The server also accepts null (its default,
                `default`); the official SDK always sends a value. Default: ThinkMode.DEFAULT.
            disable_attachment_injection (bool | None | Unset): Do not inject the content of attached files into the prompt.
                Null (which the official SDK sends for `None`) means the server's default, false. Default: False.
            tool_call_limit (int | None | Unset): The most tool calls the agent may make in this task. No minimum is known
                of the server (the official SDK sends any int), so none is stated here.
            user_tokens (None | Unset | UserTokens): Tokens for MCP servers, by server name, that act for the user. Secrets.
            return_metrics (bool | None | Unset): Record token usage and timing metrics on the task. Null (which the
                official SDK sends for `None`) means the server's default, false. Default: False.
            llm_model_provider (None | str | Unset): Use this model provider instead of the agent's (for example `openai`).
            llm_model_name (None | str | Unset): Use this model instead of the agent's (for example `gpt-5`).
            llm_reasoning_effort (LLMReasoningEffort | None | Unset): The reasoning effort asked of the model.
            harness_cli (HarnessCLI | None | Unset): The coding-agent harness that runs the task.
            permission_mode (None | PermissionMode | str | Unset): The harness's permission mode, lower-cased and stripped:
                one of `PermissionMode`, or another value, which the official SDK sends as it is "for the platform to judge", so
                the request does not refuse it.
    """

    id: None | str | Unset = UNSET
    input_: TaskInput | Unset = UNSET
    payload_extension: None | PayloadExtension | Unset = UNSET
    source: None | str | Unset = UNSET
    worker_id: None | str | Unset = UNSET
    output_format: None | OutputFormat | Unset = UNSET
    output_schema: None | OutputSchema | Unset = UNSET
    run_locally: bool | None | Unset = False
    events_streaming: bool | None | Unset = False
    additional_context: None | str | Unset = UNSET
    instructions_override: None | str | Unset = UNSET
    test_run_node_id: None | str | Unset = UNSET
    user_oidc_token: None | str | Unset = UNSET
    expected_output: None | str | Unset = UNSET
    mcp_servers: list[MCPServerDetails] | None | Unset = UNSET
    triggering_agent_id: None | str | Unset = UNSET
    title: None | str | Unset = UNSET
    think_mode: None | ThinkMode | Unset = ThinkMode.DEFAULT
    disable_attachment_injection: bool | None | Unset = False
    tool_call_limit: int | None | Unset = UNSET
    user_tokens: None | Unset | UserTokens = UNSET
    return_metrics: bool | None | Unset = False
    llm_model_provider: None | str | Unset = UNSET
    llm_model_name: None | str | Unset = UNSET
    llm_reasoning_effort: LLMReasoningEffort | None | Unset = UNSET
    harness_cli: HarnessCLI | None | Unset = UNSET
    permission_mode: None | PermissionMode | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.output_schema import OutputSchema  # noqa: PLC0415
        from ..models.payload_extension import PayloadExtension  # noqa: PLC0415
        from ..models.user_tokens import UserTokens  # noqa: PLC0415

        id: None | str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        input_: dict[str, Any] | Unset = UNSET
        if not isinstance(self.input_, Unset):
            input_ = self.input_.to_dict()

        payload_extension: dict[str, Any] | None | Unset
        if isinstance(self.payload_extension, Unset):
            payload_extension = UNSET
        elif isinstance(self.payload_extension, PayloadExtension):
            payload_extension = self.payload_extension.to_dict()
        else:
            payload_extension = self.payload_extension

        source: None | str | Unset
        if isinstance(self.source, Unset):
            source = UNSET
        else:
            source = self.source

        worker_id: None | str | Unset
        if isinstance(self.worker_id, Unset):
            worker_id = UNSET
        else:
            worker_id = self.worker_id

        output_format: None | str | Unset
        if isinstance(self.output_format, Unset):
            output_format = UNSET
        elif isinstance(self.output_format, OutputFormat):
            output_format = self.output_format.value
        else:
            output_format = self.output_format

        output_schema: dict[str, Any] | None | Unset
        if isinstance(self.output_schema, Unset):
            output_schema = UNSET
        elif isinstance(self.output_schema, OutputSchema):
            output_schema = self.output_schema.to_dict()
        else:
            output_schema = self.output_schema

        run_locally: bool | None | Unset
        if isinstance(self.run_locally, Unset):
            run_locally = UNSET
        else:
            run_locally = self.run_locally

        events_streaming: bool | None | Unset
        if isinstance(self.events_streaming, Unset):
            events_streaming = UNSET
        else:
            events_streaming = self.events_streaming

        additional_context: None | str | Unset
        if isinstance(self.additional_context, Unset):
            additional_context = UNSET
        else:
            additional_context = self.additional_context

        instructions_override: None | str | Unset
        if isinstance(self.instructions_override, Unset):
            instructions_override = UNSET
        else:
            instructions_override = self.instructions_override

        test_run_node_id: None | str | Unset
        if isinstance(self.test_run_node_id, Unset):
            test_run_node_id = UNSET
        else:
            test_run_node_id = self.test_run_node_id

        user_oidc_token: None | str | Unset
        if isinstance(self.user_oidc_token, Unset):
            user_oidc_token = UNSET
        else:
            user_oidc_token = self.user_oidc_token

        expected_output: None | str | Unset
        if isinstance(self.expected_output, Unset):
            expected_output = UNSET
        else:
            expected_output = self.expected_output

        mcp_servers: list[dict[str, Any]] | None | Unset
        if isinstance(self.mcp_servers, Unset):
            mcp_servers = UNSET
        elif isinstance(self.mcp_servers, list):
            mcp_servers = []
            for mcp_servers_type_0_item_data in self.mcp_servers:
                mcp_servers_type_0_item = mcp_servers_type_0_item_data.to_dict()
                mcp_servers.append(mcp_servers_type_0_item)

        else:
            mcp_servers = self.mcp_servers

        triggering_agent_id: None | str | Unset
        if isinstance(self.triggering_agent_id, Unset):
            triggering_agent_id = UNSET
        else:
            triggering_agent_id = self.triggering_agent_id

        title: None | str | Unset
        if isinstance(self.title, Unset):
            title = UNSET
        else:
            title = self.title

        think_mode: None | str | Unset
        if isinstance(self.think_mode, Unset):
            think_mode = UNSET
        elif isinstance(self.think_mode, ThinkMode):
            think_mode = self.think_mode.value
        else:
            think_mode = self.think_mode

        disable_attachment_injection: bool | None | Unset
        if isinstance(self.disable_attachment_injection, Unset):
            disable_attachment_injection = UNSET
        else:
            disable_attachment_injection = self.disable_attachment_injection

        tool_call_limit: int | None | Unset
        if isinstance(self.tool_call_limit, Unset):
            tool_call_limit = UNSET
        else:
            tool_call_limit = self.tool_call_limit

        user_tokens: dict[str, Any] | None | Unset
        if isinstance(self.user_tokens, Unset):
            user_tokens = UNSET
        elif isinstance(self.user_tokens, UserTokens):
            user_tokens = self.user_tokens.to_dict()
        else:
            user_tokens = self.user_tokens

        return_metrics: bool | None | Unset
        if isinstance(self.return_metrics, Unset):
            return_metrics = UNSET
        else:
            return_metrics = self.return_metrics

        llm_model_provider: None | str | Unset
        if isinstance(self.llm_model_provider, Unset):
            llm_model_provider = UNSET
        else:
            llm_model_provider = self.llm_model_provider

        llm_model_name: None | str | Unset
        if isinstance(self.llm_model_name, Unset):
            llm_model_name = UNSET
        else:
            llm_model_name = self.llm_model_name

        llm_reasoning_effort: None | str | Unset
        if isinstance(self.llm_reasoning_effort, Unset):
            llm_reasoning_effort = UNSET
        elif isinstance(self.llm_reasoning_effort, LLMReasoningEffort):
            llm_reasoning_effort = self.llm_reasoning_effort.value
        else:
            llm_reasoning_effort = self.llm_reasoning_effort

        harness_cli: None | str | Unset
        if isinstance(self.harness_cli, Unset):
            harness_cli = UNSET
        elif isinstance(self.harness_cli, HarnessCLI):
            harness_cli = self.harness_cli.value
        else:
            harness_cli = self.harness_cli

        permission_mode: None | str | Unset
        if isinstance(self.permission_mode, Unset):
            permission_mode = UNSET
        elif isinstance(self.permission_mode, PermissionMode):
            permission_mode = self.permission_mode.value
        else:
            permission_mode = self.permission_mode

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if input_ is not UNSET:
            field_dict["input"] = input_
        if payload_extension is not UNSET:
            field_dict["payload_extension"] = payload_extension
        if source is not UNSET:
            field_dict["source"] = source
        if worker_id is not UNSET:
            field_dict["worker_id"] = worker_id
        if output_format is not UNSET:
            field_dict["output_format"] = output_format
        if output_schema is not UNSET:
            field_dict["output_schema"] = output_schema
        if run_locally is not UNSET:
            field_dict["run_locally"] = run_locally
        if events_streaming is not UNSET:
            field_dict["events_streaming"] = events_streaming
        if additional_context is not UNSET:
            field_dict["additional_context"] = additional_context
        if instructions_override is not UNSET:
            field_dict["instructions_override"] = instructions_override
        if test_run_node_id is not UNSET:
            field_dict["test_run_node_id"] = test_run_node_id
        if user_oidc_token is not UNSET:
            field_dict["user_oidc_token"] = user_oidc_token
        if expected_output is not UNSET:
            field_dict["expected_output"] = expected_output
        if mcp_servers is not UNSET:
            field_dict["mcp_servers"] = mcp_servers
        if triggering_agent_id is not UNSET:
            field_dict["triggering_agent_id"] = triggering_agent_id
        if title is not UNSET:
            field_dict["title"] = title
        if think_mode is not UNSET:
            field_dict["think_mode"] = think_mode
        if disable_attachment_injection is not UNSET:
            field_dict["disable_attachment_injection"] = disable_attachment_injection
        if tool_call_limit is not UNSET:
            field_dict["tool_call_limit"] = tool_call_limit
        if user_tokens is not UNSET:
            field_dict["user_tokens"] = user_tokens
        if return_metrics is not UNSET:
            field_dict["return_metrics"] = return_metrics
        if llm_model_provider is not UNSET:
            field_dict["llm_model_provider"] = llm_model_provider
        if llm_model_name is not UNSET:
            field_dict["llm_model_name"] = llm_model_name
        if llm_reasoning_effort is not UNSET:
            field_dict["llm_reasoning_effort"] = llm_reasoning_effort
        if harness_cli is not UNSET:
            field_dict["harness_cli"] = harness_cli
        if permission_mode is not UNSET:
            field_dict["permission_mode"] = permission_mode

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.mcp_server_details import MCPServerDetails  # noqa: PLC0415
        from ..models.output_schema import OutputSchema  # noqa: PLC0415
        from ..models.payload_extension import PayloadExtension  # noqa: PLC0415
        from ..models.task_input import TaskInput  # noqa: PLC0415
        from ..models.user_tokens import UserTokens  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

        _input_ = d.pop("input", UNSET)
        input_: TaskInput | Unset
        if isinstance(_input_, Unset):
            input_ = UNSET
        else:
            input_ = TaskInput.from_dict(_input_)

        def _parse_payload_extension(data: object) -> None | PayloadExtension | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                payload_extension_type_0 = PayloadExtension.from_dict(data)

                return payload_extension_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PayloadExtension | Unset, data)

        payload_extension = _parse_payload_extension(d.pop("payload_extension", UNSET))

        def _parse_source(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        source = _parse_source(d.pop("source", UNSET))

        def _parse_worker_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        worker_id = _parse_worker_id(d.pop("worker_id", UNSET))

        def _parse_output_format(data: object) -> None | OutputFormat | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                output_format_type_0 = OutputFormat(data)

                return output_format_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | OutputFormat | Unset, data)

        output_format = _parse_output_format(d.pop("output_format", UNSET))

        def _parse_output_schema(data: object) -> None | OutputSchema | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                output_schema_type_0 = OutputSchema.from_dict(data)

                return output_schema_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | OutputSchema | Unset, data)

        output_schema = _parse_output_schema(d.pop("output_schema", UNSET))

        def _parse_run_locally(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        run_locally = _parse_run_locally(d.pop("run_locally", UNSET))

        def _parse_events_streaming(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        events_streaming = _parse_events_streaming(d.pop("events_streaming", UNSET))

        def _parse_additional_context(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        additional_context = _parse_additional_context(d.pop("additional_context", UNSET))

        def _parse_instructions_override(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        instructions_override = _parse_instructions_override(d.pop("instructions_override", UNSET))

        def _parse_test_run_node_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        test_run_node_id = _parse_test_run_node_id(d.pop("test_run_node_id", UNSET))

        def _parse_user_oidc_token(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_oidc_token = _parse_user_oidc_token(d.pop("user_oidc_token", UNSET))

        def _parse_expected_output(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        expected_output = _parse_expected_output(d.pop("expected_output", UNSET))

        def _parse_mcp_servers(data: object) -> list[MCPServerDetails] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                mcp_servers_type_0 = []
                _mcp_servers_type_0 = data
                for mcp_servers_type_0_item_data in _mcp_servers_type_0:
                    mcp_servers_type_0_item = MCPServerDetails.from_dict(mcp_servers_type_0_item_data)

                    mcp_servers_type_0.append(mcp_servers_type_0_item)

                return mcp_servers_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[MCPServerDetails] | None | Unset, data)

        mcp_servers = _parse_mcp_servers(d.pop("mcp_servers", UNSET))

        def _parse_triggering_agent_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        triggering_agent_id = _parse_triggering_agent_id(d.pop("triggering_agent_id", UNSET))

        def _parse_title(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        title = _parse_title(d.pop("title", UNSET))

        def _parse_think_mode(data: object) -> None | ThinkMode | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                think_mode_type_0 = ThinkMode(data)

                return think_mode_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ThinkMode | Unset, data)

        think_mode = _parse_think_mode(d.pop("think_mode", UNSET))

        def _parse_disable_attachment_injection(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        disable_attachment_injection = _parse_disable_attachment_injection(d.pop("disable_attachment_injection", UNSET))

        def _parse_tool_call_limit(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        tool_call_limit = _parse_tool_call_limit(d.pop("tool_call_limit", UNSET))

        def _parse_user_tokens(data: object) -> None | Unset | UserTokens:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                user_tokens_type_0 = UserTokens.from_dict(data)

                return user_tokens_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UserTokens, data)

        user_tokens = _parse_user_tokens(d.pop("user_tokens", UNSET))

        def _parse_return_metrics(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        return_metrics = _parse_return_metrics(d.pop("return_metrics", UNSET))

        def _parse_llm_model_provider(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        llm_model_provider = _parse_llm_model_provider(d.pop("llm_model_provider", UNSET))

        def _parse_llm_model_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        llm_model_name = _parse_llm_model_name(d.pop("llm_model_name", UNSET))

        def _parse_llm_reasoning_effort(data: object) -> LLMReasoningEffort | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                llm_reasoning_effort_type_0 = LLMReasoningEffort(data)

                return llm_reasoning_effort_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(LLMReasoningEffort | None | Unset, data)

        llm_reasoning_effort = _parse_llm_reasoning_effort(d.pop("llm_reasoning_effort", UNSET))

        def _parse_harness_cli(data: object) -> HarnessCLI | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                harness_cli_type_0 = HarnessCLI(data)

                return harness_cli_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(HarnessCLI | None | Unset, data)

        harness_cli = _parse_harness_cli(d.pop("harness_cli", UNSET))

        def _parse_permission_mode(data: object) -> None | PermissionMode | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                permission_mode_type_0 = PermissionMode(data)

                return permission_mode_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PermissionMode | str | Unset, data)

        permission_mode = _parse_permission_mode(d.pop("permission_mode", UNSET))

        create_task_request = cls(
            id=id,
            input_=input_,
            payload_extension=payload_extension,
            source=source,
            worker_id=worker_id,
            output_format=output_format,
            output_schema=output_schema,
            run_locally=run_locally,
            events_streaming=events_streaming,
            additional_context=additional_context,
            instructions_override=instructions_override,
            test_run_node_id=test_run_node_id,
            user_oidc_token=user_oidc_token,
            expected_output=expected_output,
            mcp_servers=mcp_servers,
            triggering_agent_id=triggering_agent_id,
            title=title,
            think_mode=think_mode,
            disable_attachment_injection=disable_attachment_injection,
            tool_call_limit=tool_call_limit,
            user_tokens=user_tokens,
            return_metrics=return_metrics,
            llm_model_provider=llm_model_provider,
            llm_model_name=llm_model_name,
            llm_reasoning_effort=llm_reasoning_effort,
            harness_cli=harness_cli,
            permission_mode=permission_mode,
        )

        return create_task_request
