from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.mcp_server_auth_type import MCPServerAuthType
from ..models.mcp_server_sso_token_mode import MCPServerSSOTokenMode
from ..models.mcp_server_transport import MCPServerTransport
from ..models.mcp_server_type import MCPServerType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.mcp_env_vars import MCPEnvVars
    from ..models.mcp_headers import MCPHeaders


T = TypeVar("T", bound="MCPServerDetails")


@_attrs_define
class MCPServerDetails:
    """An MCP server the agent may use. The official SDK sends all 18 keys. `api_key`, `client_secret` and `headers` can
    hold secrets.

        Attributes:
            id (None | str | Unset): The server's id, when it is registered in xpander.ai.
            type_ (MCPServerType | Unset): Whether the MCP server runs as a local process or is reached over the network.
            name (None | str | Unset): The server's name (the key of `user_tokens`).
            command (None | str | Unset): The command that starts a local server.
            url (None | str | Unset): The URL of a remote server.
            transport (MCPServerTransport | Unset): How the agent talks to the MCP server.
            auth_type (MCPServerAuthType | Unset): How the agent authenticates to the MCP server.
            api_key (None | str | Unset): The API key for the server (`auth_type` `api_key`). A secret.
            use_secrets_manager (bool | Unset): Read the server's credentials from xpander.ai's secrets manager. Default:
                False.
            client_id (None | str | Unset): The OAuth2 client id.
            client_secret (None | str | Unset): The OAuth2 client secret. A secret.
            headers (MCPHeaders | Unset): Extra HTTP headers sent to the server (may hold secrets).
            env_vars (MCPEnvVars | Unset): Environment variables for a local server.
            allowed_tools (list[str] | Unset): Only these tools of the server may be used (all when empty).
            additional_scopes (list[str] | Unset): Extra OAuth2 scopes to ask for.
            share_user_token_across_other_agents (bool | Unset): Let other agents of the organization reuse the user's token
                for this server. Default: True.
            sso_token (MCPServerSSOTokenMode | Unset): Which of the user's SSO tokens is passed to the MCP server.
            sso_audience (None | str | Unset): The audience to ask for when exchanging the SSO token.
    """

    id: None | str | Unset = UNSET
    type_: MCPServerType | Unset = UNSET
    name: None | str | Unset = UNSET
    command: None | str | Unset = UNSET
    url: None | str | Unset = UNSET
    transport: MCPServerTransport | Unset = UNSET
    auth_type: MCPServerAuthType | Unset = UNSET
    api_key: None | str | Unset = UNSET
    use_secrets_manager: bool | Unset = False
    client_id: None | str | Unset = UNSET
    client_secret: None | str | Unset = UNSET
    headers: MCPHeaders | Unset = UNSET
    env_vars: MCPEnvVars | Unset = UNSET
    allowed_tools: list[str] | Unset = UNSET
    additional_scopes: list[str] | Unset = UNSET
    share_user_token_across_other_agents: bool | Unset = True
    sso_token: MCPServerSSOTokenMode | Unset = UNSET
    sso_audience: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        id: None | str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        type_: str | Unset = UNSET
        if not isinstance(self.type_, Unset):
            type_ = self.type_.value

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

        transport: str | Unset = UNSET
        if not isinstance(self.transport, Unset):
            transport = self.transport.value

        auth_type: str | Unset = UNSET
        if not isinstance(self.auth_type, Unset):
            auth_type = self.auth_type.value

        api_key: None | str | Unset
        if isinstance(self.api_key, Unset):
            api_key = UNSET
        else:
            api_key = self.api_key

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

        headers: dict[str, Any] | Unset = UNSET
        if not isinstance(self.headers, Unset):
            headers = self.headers.to_dict()

        env_vars: dict[str, Any] | Unset = UNSET
        if not isinstance(self.env_vars, Unset):
            env_vars = self.env_vars.to_dict()

        allowed_tools: list[str] | Unset = UNSET
        if not isinstance(self.allowed_tools, Unset):
            allowed_tools = self.allowed_tools

        additional_scopes: list[str] | Unset = UNSET
        if not isinstance(self.additional_scopes, Unset):
            additional_scopes = self.additional_scopes

        share_user_token_across_other_agents = self.share_user_token_across_other_agents

        sso_token: str | Unset = UNSET
        if not isinstance(self.sso_token, Unset):
            sso_token = self.sso_token.value

        sso_audience: None | str | Unset
        if isinstance(self.sso_audience, Unset):
            sso_audience = UNSET
        else:
            sso_audience = self.sso_audience

        field_dict: dict[str, Any] = {}

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
        from ..models.mcp_env_vars import MCPEnvVars  # noqa: PLC0415
        from ..models.mcp_headers import MCPHeaders  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

        _type_ = d.pop("type", UNSET)
        type_: MCPServerType | Unset
        if isinstance(_type_, Unset):
            type_ = UNSET
        else:
            type_ = MCPServerType(_type_)

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

        _transport = d.pop("transport", UNSET)
        transport: MCPServerTransport | Unset
        if isinstance(_transport, Unset):
            transport = UNSET
        else:
            transport = MCPServerTransport(_transport)

        _auth_type = d.pop("auth_type", UNSET)
        auth_type: MCPServerAuthType | Unset
        if isinstance(_auth_type, Unset):
            auth_type = UNSET
        else:
            auth_type = MCPServerAuthType(_auth_type)

        def _parse_api_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        api_key = _parse_api_key(d.pop("api_key", UNSET))

        use_secrets_manager = d.pop("use_secrets_manager", UNSET)

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

        _headers = d.pop("headers", UNSET)
        headers: MCPHeaders | Unset
        if isinstance(_headers, Unset):
            headers = UNSET
        else:
            headers = MCPHeaders.from_dict(_headers)

        _env_vars = d.pop("env_vars", UNSET)
        env_vars: MCPEnvVars | Unset
        if isinstance(_env_vars, Unset):
            env_vars = UNSET
        else:
            env_vars = MCPEnvVars.from_dict(_env_vars)

        allowed_tools = cast(list[str], d.pop("allowed_tools", UNSET))

        additional_scopes = cast(list[str], d.pop("additional_scopes", UNSET))

        share_user_token_across_other_agents = d.pop("share_user_token_across_other_agents", UNSET)

        _sso_token = d.pop("sso_token", UNSET)
        sso_token: MCPServerSSOTokenMode | Unset
        if isinstance(_sso_token, Unset):
            sso_token = UNSET
        else:
            sso_token = MCPServerSSOTokenMode(_sso_token)

        def _parse_sso_audience(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sso_audience = _parse_sso_audience(d.pop("sso_audience", UNSET))

        mcp_server_details = cls(
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

        return mcp_server_details
