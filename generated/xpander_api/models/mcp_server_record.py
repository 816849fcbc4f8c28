from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.mcp_server_auth_type import MCPServerAuthType
from ..models.mcp_server_sso_token_mode import MCPServerSSOTokenMode
from ..models.mcp_server_transport import MCPServerTransport
from ..models.mcp_server_type import MCPServerType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.mcp_server_record_env_vars import MCPServerRecordEnvVars
    from ..models.mcp_server_record_headers import MCPServerRecordHeaders


T = TypeVar("T", bound="MCPServerRecord")


@_attrs_define
class MCPServerRecord:
    """An MCP server of a task, as the server stored it.

    Attributes:
        id (None | str | Unset): The server's id.
        type_ (MCPServerType | None | str | Unset): Local process or remote server.
        name (None | str | Unset): The server's name.
        command (None | str | Unset): The command that starts a local server.
        url (None | str | Unset): The URL of a remote server.
        transport (MCPServerTransport | None | str | Unset): How the agent talks to the server.
        auth_type (MCPServerAuthType | None | str | Unset): How the agent authenticates to the server.
        api_key (None | str | Unset): The server's API key. A secret.
        use_secrets_manager (bool | None | Unset): Whether credentials come from the secrets manager.
        client_id (None | str | Unset): The OAuth2 client id.
        client_secret (None | str | Unset): The OAuth2 client secret. A secret.
        headers (MCPServerRecordHeaders | None | Unset): Extra HTTP headers sent to the server.
        env_vars (MCPServerRecordEnvVars | None | Unset): Environment variables for a local server.
        allowed_tools (list[str] | None | Unset): The tools that may be used.
        additional_scopes (list[str] | None | Unset): Extra OAuth2 scopes.
        share_user_token_across_other_agents (bool | None | Unset): Whether other agents may reuse the user's token.
        sso_token (MCPServerSSOTokenMode | None | str | Unset): Which SSO token is passed to the server.
        sso_audience (None | str | Unset): The audience for the SSO token exchange.
    """

    id: None | str | Unset = UNSET
    type_: MCPServerType | None | str | Unset = UNSET
    name: None | str | Unset = UNSET
    command: None | str | Unset = UNSET
    url: None | str | Unset = UNSET
    transport: MCPServerTransport | None | str | Unset = UNSET
    auth_type: MCPServerAuthType | None | str | Unset = UNSET
    api_key: None | str | Unset = UNSET
    use_secrets_manager: bool | None | Unset = UNSET
    client_id: None | str | Unset = UNSET
    client_secret: None | str | Unset = UNSET
    headers: MCPServerRecordHeaders | None | Unset = UNSET
    env_vars: MCPServerRecordEnvVars | None | Unset = UNSET
    allowed_tools: list[str] | None | Unset = UNSET
    additional_scopes: list[str] | None | Unset = UNSET
    share_user_token_across_other_agents: bool | None | Unset = UNSET
    sso_token: MCPServerSSOTokenMode | None | str | Unset = UNSET
    sso_audience: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.mcp_server_record_env_vars import MCPServerRecordEnvVars  # noqa: PLC0415
        from ..models.mcp_server_record_headers import MCPServerRecordHeaders  # noqa: PLC0415

        id: None | str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        type_: None | str | Unset
        if isinstance(self.type_, Unset):
            type_ = UNSET
        elif isinstance(self.type_, MCPServerType):
            type_ = self.type_.value
        else:
            type_ = self.type_

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        command: None | str | Unset
        if isinstance(self.command, Unset):
            command = UNSET
        else:
            command = self.command

        url: None | str | Unset
        if isinstance(self.url, Unset):
            url = UNSET
        else:
            url = self.url

        transport: None | str | Unset
        if isinstance(self.transport, Unset):
            transport = UNSET
        elif isinstance(self.transport, MCPServerTransport):
            transport = self.transport.value
        else:
            transport = self.transport

        auth_type: None | str | Unset
        if isinstance(self.auth_type, Unset):
            auth_type = UNSET
        elif isinstance(self.auth_type, MCPServerAuthType):
            auth_type = self.auth_type.value
        else:
            auth_type = self.auth_type

        api_key: None | str | Unset
        if isinstance(self.api_key, Unset):
            api_key = UNSET
        else:
            api_key = self.api_key

        use_secrets_manager: bool | None | Unset
        if isinstance(self.use_secrets_manager, Unset):
            use_secrets_manager = UNSET
        else:
            use_secrets_manager = self.use_secrets_manager

        client_id: None | str | Unset
        if isinstance(self.client_id, Unset):
            client_id = UNSET
        else:
            client_id = self.client_id

        client_secret: None | str | Unset
        if isinstance(self.client_secret, Unset):
            client_secret = UNSET
        else:
            client_secret = self.client_secret

        headers: dict[str, Any] | None | Unset
        if isinstance(self.headers, Unset):
            headers = UNSET
        elif isinstance(self.headers, MCPServerRecordHeaders):
            headers = self.headers.to_dict()
        else:
            headers = self.headers

        env_vars: dict[str, Any] | None | Unset
        if isinstance(self.env_vars, Unset):
            env_vars = UNSET
        elif isinstance(self.env_vars, MCPServerRecordEnvVars):
            env_vars = self.env_vars.to_dict()
        else:
            env_vars = self.env_vars

        allowed_tools: list[str] | None | Unset
        if isinstance(self.allowed_tools, Unset):
            allowed_tools = UNSET
        elif isinstance(self.allowed_tools, list):
            allowed_tools = self.allowed_tools

        else:
            allowed_tools = self.allowed_tools

        additional_scopes: list[str] | None | Unset
        if isinstance(self.additional_scopes, Unset):
            additional_scopes = UNSET
        elif isinstance(self.additional_scopes, list):
            additional_scopes = self.additional_scopes

        else:
            additional_scopes = self.additional_scopes

        share_user_token_across_other_agents: bool | None | Unset
        if isinstance(self.share_user_token_across_other_agents, Unset):
            share_user_token_across_other_agents = UNSET
        else:
            share_user_token_across_other_agents = self.share_user_token_across_other_agents

        sso_token: None | str | Unset
        if isinstance(self.sso_token, Unset):
            sso_token = UNSET
        elif isinstance(self.sso_token, MCPServerSSOTokenMode):
            sso_token = self.sso_token.value
        else:
            sso_token = self.sso_token

        sso_audience: None | str | Unset
        if isinstance(self.sso_audience, Unset):
            sso_audience = UNSET
        else:
            sso_audience = self.sso_audience

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if type_ is not UNSET:
            field_dict["type"] = type_
        if name is not UNSET:
            field_dict["name"] = name
        if command is not UNSET:
            field_dict["command"] = command
        if url is not UNSET:
            field_dict["url"] = url
        if transport is not UNSET:
            field_dict["transport"] = transport
        if auth_type is not UNSET:
            field_dict["auth_type"] = auth_type
        if api_key is not UNSET:
            field_dict["api_key"] = api_key
        if use_secrets_manager is not UNSET:
            field_dict["use_secrets_manager"] = use_secrets_manager
        if client_id is not UNSET:
            field_dict["client_id"] = client_id
        if client_secret is not UNSET:
            field_dict["client_secret"] = client_secret
        if headers is not UNSET:
            field_dict["headers"] = headers
        if env_vars is not UNSET:
            field_dict["env_vars"] = env_vars
        if allowed_tools is not UNSET:
            field_dict["allowed_tools"] = allowed_tools
        if additional_scopes is not UNSET:
            field_dict["additional_scopes"] = additional_scopes
        if share_user_token_across_other_agents is not UNSET:
            field_dict["share_user_token_across_other_agents"] = share_user_token_across_other_agents
        if sso_token is not UNSET:
            field_dict["sso_token"] = sso_token
        if sso_audience is not UNSET:
            field_dict["sso_audience"] = sso_audience

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.mcp_server_record_env_vars import MCPServerRecordEnvVars  # noqa: PLC0415
        from ..models.mcp_server_record_headers import MCPServerRecordHeaders  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

        def _parse_type_(data: object) -> MCPServerType | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                type_type_0 = MCPServerType(data)

                return type_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MCPServerType | None | str | Unset, data)

        type_ = _parse_type_(d.pop("type", UNSET))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_command(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        command = _parse_command(d.pop("command", UNSET))

        def _parse_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        url = _parse_url(d.pop("url", UNSET))

        def _parse_transport(data: object) -> MCPServerTransport | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                transport_type_0 = MCPServerTransport(data)

                return transport_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MCPServerTransport | None | str | Unset, data)

        transport = _parse_transport(d.pop("transport", UNSET))

        def _parse_auth_type(data: object) -> MCPServerAuthType | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                auth_type_type_0 = MCPServerAuthType(data)

                return auth_type_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MCPServerAuthType | None | str | Unset, data)

        auth_type = _parse_auth_type(d.pop("auth_type", UNSET))

        def _parse_api_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        api_key = _parse_api_key(d.pop("api_key", UNSET))

        def _parse_use_secrets_manager(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        use_secrets_manager = _parse_use_secrets_manager(d.pop("use_secrets_manager", UNSET))

        def _parse_client_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        client_id = _parse_client_id(d.pop("client_id", UNSET))

        def _parse_client_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        client_secret = _parse_client_secret(d.pop("client_secret", UNSET))

        def _parse_headers(data: object) -> MCPServerRecordHeaders | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                headers_type_0 = MCPServerRecordHeaders.from_dict(data)

                return headers_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MCPServerRecordHeaders | None | Unset, data)

        headers = _parse_headers(d.pop("headers", UNSET))

        def _parse_env_vars(data: object) -> MCPServerRecordEnvVars | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                env_vars_type_0 = MCPServerRecordEnvVars.from_dict(data)

                return env_vars_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MCPServerRecordEnvVars | None | Unset, data)

        env_vars = _parse_env_vars(d.pop("env_vars", UNSET))

        def _parse_allowed_tools(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                allowed_tools_type_0 = cast(list[str], data)

                return allowed_tools_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        allowed_tools = _parse_allowed_tools(d.pop("allowed_tools", UNSET))

        def _parse_additional_scopes(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                additional_scopes_type_0 = cast(list[str], data)

                return additional_scopes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        additional_scopes = _parse_additional_scopes(d.pop("additional_scopes", UNSET))

        def _parse_share_user_token_across_other_agents(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        share_user_token_across_other_agents = _parse_share_user_token_across_other_agents(
            d.pop("share_user_token_across_other_agents", UNSET)
        )

        def _parse_sso_token(data: object) -> MCPServerSSOTokenMode | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                sso_token_type_0 = MCPServerSSOTokenMode(data)

                return sso_token_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MCPServerSSOTokenMode | None | str | Unset, data)

        sso_token = _parse_sso_token(d.pop("sso_token", UNSET))

        def _parse_sso_audience(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sso_audience = _parse_sso_audience(d.pop("sso_audience", UNSET))

        mcp_server_record = cls(
            id=id,
            type_=type_,
            name=name,
            command=command,
            url=url,
            transport=transport,
            auth_type=auth_type,
            api_key=api_key,
            use_secrets_manager=use_secrets_manager,
            client_id=client_id,
            client_secret=client_secret,
            headers=headers,
            env_vars=env_vars,
            allowed_tools=allowed_tools,
            additional_scopes=additional_scopes,
            share_user_token_across_other_agents=share_user_token_across_other_agents,
            sso_token=sso_token,
            sso_audience=sso_audience,
        )

        mcp_server_record.additional_properties = d
        return mcp_server_record

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
