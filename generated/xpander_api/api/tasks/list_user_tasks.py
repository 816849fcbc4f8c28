from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.agent_execution_status import AgentExecutionStatus
from ...models.error_response import ErrorResponse
from ...models.tasks_list_item import TasksListItem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    user_id_path: str,
    *,
    user_id_query: str | Unset = UNSET,
    parent_task_id: str | Unset = UNSET,
    triggering_agent_id: str | Unset = UNSET,
    status: AgentExecutionStatus | str | Unset = UNSET,
    internal_status: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["user_id"] = user_id_query

    params["parent_task_id"] = parent_task_id

    params["triggering_agent_id"] = triggering_agent_id

    json_status: str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, AgentExecutionStatus):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    params["internal_status"] = internal_status

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/agent-execution/executions/history/user/{user_id_path}".format(
            user_id_path=quote(str(user_id_path), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | list[TasksListItem] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = TasksListItem.from_dict(response_200_item_data)

            response_200.append(response_200_item)

        return response_200

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorResponse.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorResponse.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = ErrorResponse.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorResponse.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorResponse.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | list[TasksListItem]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    user_id_path: str,
    *,
    client: AuthenticatedClient | Client,
    user_id_query: str | Unset = UNSET,
    parent_task_id: str | Unset = UNSET,
    triggering_agent_id: str | Unset = UNSET,
    status: AgentExecutionStatus | str | Unset = UNSET,
    internal_status: str | Unset = UNSET,
) -> Response[ErrorResponse | list[TasksListItem]]:
    """List a user's tasks

     Returns the tasks run for an end user, across agents, as short list items (load one with `get_task`
    for everything). The same filters as `list_agent_tasks`.

    Args:
        user_id_path (str):
        user_id_query (str | Unset):
        parent_task_id (str | Unset):
        triggering_agent_id (str | Unset):
        status (AgentExecutionStatus | str | Unset):
        internal_status (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | list[TasksListItem]]
    """

    kwargs = _get_kwargs(
        user_id_path=user_id_path,
        user_id_query=user_id_query,
        parent_task_id=parent_task_id,
        triggering_agent_id=triggering_agent_id,
        status=status,
        internal_status=internal_status,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    user_id_path: str,
    *,
    client: AuthenticatedClient | Client,
    user_id_query: str | Unset = UNSET,
    parent_task_id: str | Unset = UNSET,
    triggering_agent_id: str | Unset = UNSET,
    status: AgentExecutionStatus | str | Unset = UNSET,
    internal_status: str | Unset = UNSET,
) -> ErrorResponse | list[TasksListItem] | None:
    """List a user's tasks

     Returns the tasks run for an end user, across agents, as short list items (load one with `get_task`
    for everything). The same filters as `list_agent_tasks`.

    Args:
        user_id_path (str):
        user_id_query (str | Unset):
        parent_task_id (str | Unset):
        triggering_agent_id (str | Unset):
        status (AgentExecutionStatus | str | Unset):
        internal_status (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | list[TasksListItem]
    """

    return sync_detailed(
        user_id_path=user_id_path,
        client=client,
        user_id_query=user_id_query,
        parent_task_id=parent_task_id,
        triggering_agent_id=triggering_agent_id,
        status=status,
        internal_status=internal_status,
    ).parsed


async def asyncio_detailed(
    user_id_path: str,
    *,
    client: AuthenticatedClient | Client,
    user_id_query: str | Unset = UNSET,
    parent_task_id: str | Unset = UNSET,
    triggering_agent_id: str | Unset = UNSET,
    status: AgentExecutionStatus | str | Unset = UNSET,
    internal_status: str | Unset = UNSET,
) -> Response[ErrorResponse | list[TasksListItem]]:
    """List a user's tasks

     Returns the tasks run for an end user, across agents, as short list items (load one with `get_task`
    for everything). The same filters as `list_agent_tasks`.

    Args:
        user_id_path (str):
        user_id_query (str | Unset):
        parent_task_id (str | Unset):
        triggering_agent_id (str | Unset):
        status (AgentExecutionStatus | str | Unset):
        internal_status (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | list[TasksListItem]]
    """

    kwargs = _get_kwargs(
        user_id_path=user_id_path,
        user_id_query=user_id_query,
        parent_task_id=parent_task_id,
        triggering_agent_id=triggering_agent_id,
        status=status,
        internal_status=internal_status,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    user_id_path: str,
    *,
    client: AuthenticatedClient | Client,
    user_id_query: str | Unset = UNSET,
    parent_task_id: str | Unset = UNSET,
    triggering_agent_id: str | Unset = UNSET,
    status: AgentExecutionStatus | str | Unset = UNSET,
    internal_status: str | Unset = UNSET,
) -> ErrorResponse | list[TasksListItem] | None:
    """List a user's tasks

     Returns the tasks run for an end user, across agents, as short list items (load one with `get_task`
    for everything). The same filters as `list_agent_tasks`.

    Args:
        user_id_path (str):
        user_id_query (str | Unset):
        parent_task_id (str | Unset):
        triggering_agent_id (str | Unset):
        status (AgentExecutionStatus | str | Unset):
        internal_status (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | list[TasksListItem]
    """

    return (
        await asyncio_detailed(
            user_id_path=user_id_path,
            client=client,
            user_id_query=user_id_query,
            parent_task_id=parent_task_id,
            triggering_agent_id=triggering_agent_id,
            status=status,
            internal_status=internal_status,
        )
    ).parsed
