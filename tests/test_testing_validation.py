"""The fake backend reads request bodies as the real server does: FastAPI on pydantic v2 models, default settings.

The oracle is pydantic itself, here in the test only (the kit has no pydantic): `pydantic_model` builds a model
of a component schema of `_schemas.json` with `pydantic.create_model` (a field is required iff `required` lists
it, nullable is `X | None`, an enum a `str` Enum, an object with properties a nested model with the default
`extra="ignore"`, one without a `dict`, `minLength`/`pattern` string constraints). FastAPI validates the body as
`TypeAdapter(model).validate_python(json.loads(body), from_attributes=True)` and answers
`errors(include_url=False)` (fastapi/_compat/v2.py `ModelField.validate`), not `model_validate_json`: that is
why `True` is an int and a list where a model goes is `model_attributes_type`, not `model_type`. The body
itself is read as fastapi/routing.py reads it (`json_invalid`, the 400 for what `json.loads` cannot decode, a
missing body).

- `validate_request` agrees with pydantic on generated bodies and their mutations: accepted or not, the coerced
  value (`model_dump(mode="json", exclude_unset=True)`), and every error (type, loc, msg, input, ctx); through
  the fake's HTTP route too, down to the task it stores.
- The problems a user reported, each pinned: unknown keys refused (now ignored, not stored); a body without
  `input`, not JSON, or of the wrong type crashing the fake (now FastAPI's 400/422); 422s that did not name
  FastAPI's location or pydantic's type, and values the server coerces refused (now stored coerced).
- No body crashes it: random bytes, random JSON and mutated bodies at every route, in process and over
  `serve()`, are answered 2xx or 4xx in FastAPI's shape.

Where the fake and the server differ on purpose (both are in the README text): a body nested deeper than
`MAX_DEPTH` is a 400 (the server parses near 1,000 levels); NaN, infinity and lone surrogates the server cannot
write back (it answers 500) are written as null and escaped.
"""

from __future__ import annotations

import copy
import enum
import functools
import json
from collections.abc import Iterator
from typing import Annotated, Any, Union

import httpx
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ConfigDict, StringConstraints, TypeAdapter

from tests import strategies
from xpander_sdk import Tasks, User
from xpander_sdk.testing import FakeBackend
from xpander_sdk.testing._schemas import schemas
from xpander_sdk.testing._validation import MAX_DEPTH, SERVER_REQUIRED, json_mode, validate_request

AGENT = "agent-1"
REQUEST_SCHEMAS = ("CreateTaskRequest", "UpdateTaskRequest", "Task")
"""The bodies the server validates: a create, an `aupdate`, and the whole task `asave` sends."""
JSON = "application/json"
QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def examples(count: int) -> settings:
    """Hypothesis settings: `count` examples, no deadline (a shared machine), no health check on data size."""
    return settings(max_examples=count, deadline=None, suppress_health_check=QUIET)


# -- the oracle: pydantic models of the spec's schemas ------------------------------------------------------------
_KEYWORDS = frozenset(
    {"type", "enum", "anyOf", "$ref", "properties", "required", "additionalProperties", "items", "minLength"}
    | {"pattern", "format", "default", "description", "example", "examples", "x-enum-varnames", SERVER_REQUIRED}
)


@functools.cache
def pydantic_model(name: str) -> Any:
    """The pydantic class of the component schema `name`: a model, or a `str` Enum for an enum schema."""
    schema = schemas()[name]
    if "enum" in schema:
        return enum.Enum(name, {value: value for value in schema["enum"]}, type=str)
    required = {*schema.get("required", ()), *schema.get(SERVER_REQUIRED, ())}
    fields: dict[str, Any] = {
        key: (_annotation(node), ... if key in required else node.get("default"))
        for key, node in schema["properties"].items()
    }
    return pydantic.create_model(name, __config__=ConfigDict(extra="ignore"), **fields)


def _annotation(node: dict[str, Any]) -> Any:
    unknown = set(node) - _KEYWORDS
    if unknown:
        raise NotImplementedError(f"the oracle does not model {sorted(unknown)} yet")
    if "$ref" in node:
        return pydantic_model(node["$ref"].rsplit("/", 1)[-1])
    members = node.get("anyOf") or [{**node, "type": kind} for kind in _types(node)]
    others = [_single(member) for member in members if member.get("type") != "null"]
    annotation = others[0] if len(others) == 1 else Union[tuple(others)]  # noqa: UP007 - built at run time
    return annotation | None if len(others) < len(members) else annotation


def _types(node: dict[str, Any]) -> list[str | None]:
    kind = node.get("type")
    return kind if isinstance(kind, list) else [kind]


def _single(node: dict[str, Any]) -> Any:
    if "$ref" in node or "anyOf" in node:
        return _annotation(node)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        values = node.get("additionalProperties", True)
        return dict[str, _annotation(values) if isinstance(values, dict) else Any]  # type: ignore[misc]
    if kind == "array":
        return list[_annotation(node.get("items", {}))]  # type: ignore[misc]
    if kind == "string" and ("minLength" in node or "pattern" in node):
        return Annotated[str, StringConstraints(min_length=node.get("minLength"), pattern=node.get("pattern"))]
    return {"string": str, "integer": int, "boolean": bool, "number": float, None: Any}[kind]


def pydantic_verdict(name: str, value: Any) -> tuple[Any, list[dict[str, Any]]]:
    """What FastAPI does with the JSON `value` for a body of schema `name`: the model dumped as the fake stores
    it, or pydantic's errors as FastAPI writes them (inputs in JSON form)."""
    try:
        model = TypeAdapter(pydantic_model(name)).validate_python(value, from_attributes=True)
    except pydantic.ValidationError as error:
        found = error.errors(include_url=False)
        return None, [{**item, "loc": list(item["loc"]), "input": json_mode(item["input"])} for item in found]
    # pydantic keeps NaN and infinity of a float field in a JSON-mode dump (its JSON text has null); the server
    # cannot write them back (a 500), and the fake stores null: compared as null.
    return json_mode(model.model_dump(mode="json", exclude_unset=True)), []


def fastapi_verdict(name: str, value: Any) -> tuple[Any, list[dict[str, Any]]]:
    """`pydantic_verdict` behind FastAPI: a null body is `missing` before the model sees it, and each `loc`
    starts with "body"."""
    if value is None:
        return None, [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]
    dumped, errors = pydantic_verdict(name, value)
    return dumped, [{**error, "loc": ["body", *error["loc"]]} for error in errors]


def test_the_oracle_models_nested_objects_and_unions() -> None:
    """The oracle is the server's shape: a nested User is a model, an unknown key is ignored, a union is tagged."""
    assert pydantic_verdict("CreateTaskRequest", {"input": {"text": "x", "zz": 1}, "zz": 2}) == (
        {"input": {"text": "x"}},
        [],
    )
    _, errors = pydantic_verdict("CreateTaskRequest", {"input": {"user": {}}, "permission_mode": 5})
    assert [(error["loc"], error["type"]) for error in errors] == [
        (["input", "user", "email"], "missing"),
        (["permission_mode", "str-enum[PermissionMode]"], "enum"),
        (["permission_mode", "constrained-str"], "string_type"),
    ]


# -- generated bodies ---------------------------------------------------------------------------------------------
_TRICKY: list[Any] = [
    *[None, True, False, 0, 1, 2, -1, 3.0, 3.5, -0.0, 1e20, 2**64, [], {}, [1], ["a"], {"zz": 1}],
    *["", "3", " 3 ", "+3", "-03", "3.0", "3.", "3.5", "1_000", "0x10", "1e3", "inf", "nan", " 2.5 "],
    *["true", "True", "yes", "off", "T", "n", "2", "a b", "a:b", "x", "harder", "full", "local", "pending"],
    *[{"email": "a@b.c"}, {"kind": "user", "id": "u"}, {"url": "http://x"}, {"text": "hi"}],
]
tricky_values: st.SearchStrategy[Any] = (
    st.sampled_from(_TRICKY).map(copy.deepcopy)  # a copy: a later change must not change the list
    | st.from_regex(r"\s?[+-]?0*[0-9_]{0,4}(\.0*)?\s?", fullmatch=True)
    | st.integers()
    | st.floats()
    | strategies.json_values
)
_KINDS = ("replace", "delete", "unknown")


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from _paths(item, (*path, key))


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[Any]) -> Any:
    """A value of `base`, then up to three changes anywhere in it: a tricky value put in place of one, a key
    deleted, or an unknown key added."""
    document = {"root": copy.deepcopy(draw(base))}
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        path = ("root", *draw(st.sampled_from(list(_paths(document["root"])))))
        *parents, last = path
        node: Any = document
        for part in parents:
            node = node[part]
        kind = draw(st.sampled_from(_KINDS))
        if kind == "delete" and isinstance(node[last], dict) and node[last]:
            del node[last][draw(st.sampled_from(sorted(node[last])))]
        elif kind == "unknown" and isinstance(node[last], dict):
            node[last][draw(st.sampled_from(["zz", "new_field", "emails"]))] = copy.deepcopy(draw(tricky_values))
        else:
            node[last] = copy.deepcopy(draw(tricky_values))
    return document["root"]


@functools.cache
def valid_bodies(name: str) -> st.SearchStrategy[Any]:
    """Valid values of a request schema (every key, as the SDK sends them), or a Task (unknown keys added)."""
    mode: strategies.Mode = "response" if name == "Task" else "request"
    strategy: st.SearchStrategy[Any] = strategies.SchemaStrategies(mode).named(name)
    return strategy


# -- 1. validate_request agrees with pydantic ----------------------------------------------------------------------
@pytest.mark.parametrize("name", REQUEST_SCHEMAS)
@examples(150)
@given(data=st.data())
def test_validate_request_agrees_with_pydantic(name: str, data: st.DataObject) -> None:
    value = data.draw(mutated(valid_bodies(name)), label="body")
    value = json.loads(json.dumps(value))  # what json.loads makes of the body (tuples are lists...)
    assert validate_request(name, value) == pydantic_verdict(name, value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" 00012 ", 12), ("-007", -7), ("1_0.0", 10), ("0" * 5000, 0), ("3\u00a0", 3), (True, 1), (1e18, 10**18),
        ("1" * 4301, "int_parsing_size"), (1e20, "int_parsing_size"), ("+-1", "int_parsing"), ("3.", "int_parsing"),
        ("1__0", "int_parsing"), ("\x1c3", "int_parsing"), ("\u0663", "int_parsing"), (float("nan"), "finite_number"),
    ],
)  # fmt: skip
def test_int_strings_are_parsed_as_pydantic_parses_them(value: Any, expected: Any) -> None:
    """pydantic-core's own rules for an int (JSON integers, then spaces, `+`, leading zeros, `.0`, `_`)."""
    coerced, errors = validate_request("UpdateTaskRequest", {"tool_call_payload_extension": {}, "zz": value})
    assert errors == []
    coerced, errors = validate_request("Task", {**_task(), "execution_attempts": value})
    found = coerced["execution_attempts"] if coerced else errors[0]["type"]
    assert found == expected
    assert (coerced, errors) == pydantic_verdict("Task", {**_task(), "execution_attempts": value})


@pytest.mark.parametrize(
    "value",
    [1, 0, 2, 1.0, 0.5, 2.0, 2**70, "tRuE", "on", "Off", " true", "", "\u212a", [], float("nan")],
)
def test_bool_values_are_read_as_pydantic_reads_them(value: Any) -> None:
    assert validate_request("Task", {**_task(), "is_app": value}) == pydantic_verdict(
        "Task", {**_task(), "is_app": value}
    )


@pytest.mark.parametrize("value", ["Infinity", "-nan", ".5", "5.", "1_0.5", " 1_0 ", "1e", "+.5e-3", 10**400, True])
def test_numbers_are_read_as_pydantic_reads_them(value: Any) -> None:
    assert validate_request("Task", {**_task(), "duration": value}) == pydantic_verdict(
        "Task", {**_task(), "duration": value}
    )


@pytest.mark.parametrize("value", ["", "a b", "a:b", "ab\n", "a\x1cb", "a\u00a0b", "a\u0085b", "a\ud800", "ok"])
def test_constrained_strings_are_checked_as_pydantic_checks_them(value: str) -> None:
    """Rust's regex: `\\s` is Unicode White_Space (not \\x1c), `$` is the very end; a lone surrogate is not a
    string a constraint can read."""
    body = {"input": {"principal": {"kind": "user", "id": value}}}
    assert validate_request("CreateTaskRequest", body) == pydantic_verdict("CreateTaskRequest", body)


def _task() -> dict[str, Any]:
    return {"id": "t", "agent_id": "a", "organization_id": "o", "input": {}, "created_at": "2026-01-01T00:00:00Z"}


# -- 2. over HTTP: what the fake answers and stores ---------------------------------------------------------------
def raw(backend: FakeBackend) -> httpx.Client:
    """A client on the backend's transport with its key (left open: closing it would close the backend)."""
    return httpx.Client(transport=backend.transport, base_url=backend.base_url, headers={"x-api-key": backend.api_key})


def stored(backend: FakeBackend, task_id: str) -> dict[str, Any]:
    """The task as the fake answers it (raw JSON: unknown keys would show)."""
    answer: dict[str, Any] = raw(backend).get(f"/agent-execution/{task_id}/status").json()
    return answer


def post(backend: FakeBackend, content: bytes, content_type: str | None = JSON) -> httpx.Response:
    headers = {} if content_type is None else {"content-type": content_type}
    return raw(backend).post(f"/agent-execution/{AGENT}", content=content, headers=headers)


def _keys(value: Any) -> set[str]:
    """Every key of every object in `value`."""
    if isinstance(value, dict):
        return set(value).union(*(_keys(item) for item in value.values()))
    return set().union(*(_keys(item) for item in value)) if isinstance(value, list) else set()


@examples(60)
@given(body=mutated(valid_bodies("CreateTaskRequest").map(lambda body: {**body, "id": None})))
def test_a_create_answers_and_stores_what_pydantic_makes_of_the_body(body: Any) -> None:
    dumped, errors = fastapi_verdict("CreateTaskRequest", json.loads(json.dumps(body)))
    with FakeBackend() as backend:
        response = post(backend, json.dumps(body).encode())
    if errors:
        assert (response.status_code, response.json()) == (422, {"detail": errors})
    elif dumped.get("id") is not None:
        assert response.status_code == 404  # continuing a task the fake does not have
    else:
        assert response.status_code == 200, response.text
        _assert_stored_as(response.json(), dumped)


def _assert_stored_as(task: dict[str, Any], dumped: dict[str, Any]) -> None:
    assert task["input"] == {key: value for key, value in dumped["input"].items() if value is not None}
    assert task["events_streaming"] is bool(dumped.get("events_streaming"))
    task_keys = schemas()["Task"]["properties"]
    for key, value in dumped.items():
        if key in task_keys and key not in ("id", "input", "events_streaming") and value is not None:
            assert task[key] == value, key  # `input` and `mcp_servers` equal pydantic's: no unknown key kept
    assert set(task) <= set(task_keys)


# -- 3. the problems reported ---------------------------------------------------------------------------------------
def test_an_unknown_key_is_ignored_and_not_stored(backend: FakeBackend, tasks: Tasks) -> None:
    task = tasks.create(AGENT, prompt="hi", extra_body={"new_field": 1})
    assert "new_field" not in stored(backend, task.id)
    assert backend.requests[0].json["new_field"] == 1  # what was sent is still recorded


def test_unknown_keys_of_nested_objects_are_ignored_and_not_stored(backend: FakeBackend, tasks: Tasks) -> None:
    user = {"email": "ada@example.com", "zz": 1}
    principal = {"kind": "user", "id": "u1", "zz": 1}
    task_input = {"text": "hi", "zz": 1, "user": user, "principal": principal, "attachments": [{"url": "u", "zz": 1}]}
    mcp = [{"name": "m", "zz": 1}]
    task = tasks.create(AGENT, prompt="hi", extra_body={"input": task_input, "mcp_servers": mcp})
    answer = stored(backend, task.id)
    assert "zz" not in _keys(answer)
    assert answer["input"]["user"] == {"email": "ada@example.com"}
    assert answer["mcp_servers"] == [{"name": "m"}]


@pytest.mark.anyio
async def test_an_update_or_a_save_with_an_unknown_key_is_accepted(backend: FakeBackend, tasks: Tasks) -> None:
    task = tasks.create(AGENT, prompt="hi")
    tasks.update(task.id, source="sdk", extra_body={"colour": "red"})
    await tasks.aupdate(task.id, result="r", extra_body={"colour": "red"})
    task = tasks.get(task.id)
    task.title = "saved"
    task.save(extra_body={"colour": "blue"})
    answer = stored(backend, task.id)
    assert (answer["source"], answer["result"], answer["title"]) == ("sdk", "r", "saved")
    assert "colour" not in answer


MISSING_URL = [
    {"type": "missing", "loc": ["body", "input", "attachments", 0, "url"], "msg": "Field required", "input": {}}
]
NOT_AN_OBJECT = "Input should be a valid dictionary or object to extract fields from"


@pytest.mark.parametrize(
    ("content", "content_type", "status", "detail"),
    [
        (b'{"input": {"attachments": [{}]}}', JSON, 422, MISSING_URL),
        (b"", JSON, 422, [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]),
        (b"null", JSON, 422, [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]),
        (b"[1]", JSON, 422, [{"type": "model_attributes_type", "loc": ["body"], "msg": NOT_AN_OBJECT, "input": [1]}]),
        (b'"x"', JSON, 422, [{"type": "model_attributes_type", "loc": ["body"], "msg": NOT_AN_OBJECT, "input": "x"}]),
        (b'{"input": 3}', "application/vnd.x+json; charset=utf-8", 422, [
            {"type": "model_attributes_type", "loc": ["body", "input"], "msg": NOT_AN_OBJECT, "input": 3}
        ]),
        (b'{"input": {', JSON, 422, [{
            "type": "json_invalid", "loc": ["body", 11], "msg": "JSON decode error", "input": {},
            "ctx": {"error": "Expecting property name enclosed in double quotes"},
        }]),
        (b"\xff\xfe{", JSON, 400, "There was an error parsing the body"),
        (b"[" * 5000, JSON, 400, "There was an error parsing the body"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), JSON, 400, "There was an error parsing the body"),
        (b'{"input": {}}', "text/plain", 422, [
            {"type": "model_attributes_type", "loc": ["body"], "msg": NOT_AN_OBJECT, "input": '{"input": {}}'}
        ]),
        (b'{"input": {}}', None, 422, [
            {"type": "model_attributes_type", "loc": ["body"], "msg": NOT_AN_OBJECT, "input": '{"input": {}}'}
        ]),
    ],
)  # fmt: skip
def test_a_body_the_server_cannot_use_gets_fastapis_answer(
    backend: FakeBackend, content: bytes, content_type: str | None, status: int, detail: Any
) -> None:
    """fastapi/routing.py: not JSON is `json_invalid` at its position, what json.loads cannot decode a 400, a
    missing or null body `missing`; a body not sent as JSON (another or no Content-Type: FastAPI's
    `strict_content_type`, the default since 0.132) is not read as JSON."""
    response = post(backend, content, content_type)
    assert (response.status_code, response.json()) == (status, {"detail": detail})
    assert backend.tasks == {}


MISSING_INPUT = [{"type": "missing", "loc": ["body", "input"], "msg": "Field required", "input": {"title": "t"}}]


def test_a_create_without_input_gets_fastapis_422(backend: FakeBackend) -> None:
    """`_create_task` read `body["input"]` (a KeyError out of the transport). The server requires `input` (the
    spec's `x-server-required`): a 422 `missing` at ["body", "input"], and no task."""
    response = post(backend, b'{"title": "t"}')
    assert (response.status_code, response.json()) == (422, {"detail": MISSING_INPUT})
    assert backend.tasks == {}


def test_a_create_without_input_is_answered_over_serve() -> None:
    """Over the loopback server the same create crashed its handler: the connection closed with no answer."""
    with FakeBackend() as backend, backend.serve() as url:
        headers = {"x-api-key": backend.api_key}
        response = httpx.post(f"{url}/agent-execution/{AGENT}", json={"title": "t"}, headers=headers)
        refused = httpx.post(f"{url}/agent-execution/{AGENT}", json={"input": {"attachments": [{}]}}, headers=headers)
    assert (response.status_code, response.json()) == (422, {"detail": MISSING_INPUT})
    assert (refused.status_code, refused.json()) == (422, {"detail": MISSING_URL})


CASES: list[tuple[dict[str, Any], list[tuple[list[Any], str]]]] = [
    ({"input": {"text": "hi", "user": {"id": "u"}}}, [(["input", "user", "email"], "missing")]),
    ({"tool_call_limit": "three"}, [(["tool_call_limit"], "int_parsing")]),
    ({"tool_call_limit": 3.5}, [(["tool_call_limit"], "int_from_float")]),
    ({"run_locally": "maybe"}, [(["run_locally"], "bool_parsing")]),
    ({"run_locally": []}, [(["run_locally"], "bool_type")]),
    ({"title": 5}, [(["title"], "string_type")]),
    ({"think_mode": "hardest"}, [(["think_mode"], "enum")]),
    ({"input": "hi"}, [(["input"], "model_attributes_type")]),
    ({"mcp_servers": {}}, [(["mcp_servers"], "list_type")]),
    ({"mcp_servers": [{"name": 5}]}, [(["mcp_servers", 0, "name"], "string_type")]),
    ({"payload_extension": []}, [(["payload_extension"], "dict_type")]),
    ({"user_tokens": {"a:b": 1}}, [(["user_tokens", "a:b"], "string_type")]),
    ({"input": {"principal": {"kind": "user", "id": ""}}}, [(["input", "principal", "id"], "string_too_short")]),
    ({"input": {"principal": {"kind": "x", "id": "a b"}}}, [
        (["input", "principal", "kind"], "enum"), (["input", "principal", "id"], "string_pattern_mismatch"),
    ]),
    ({"permission_mode": ""}, [
        (["permission_mode", "str-enum[PermissionMode]"], "enum"),
        (["permission_mode", "constrained-str"], "string_too_short"),
    ]),
]  # fmt: skip


@pytest.mark.parametrize(("extra_body", "expected"), CASES)
def test_a_422_names_fastapis_location_and_pydantics_error(
    backend: FakeBackend, extra_body: dict[str, Any], expected: list[tuple[list[Any], str]]
) -> None:
    """Each item as FastAPI writes it: pydantic's type, message, input and ctx, the location after "body"."""
    body = {"input": {"text": "hi"}, **extra_body}
    response = post(backend, json.dumps(body).encode())
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [(item["loc"], item["type"]) for item in detail] == [(["body", *loc], kind) for loc, kind in expected]
    assert detail == fastapi_verdict("CreateTaskRequest", body)[1]


def test_values_the_server_coerces_are_stored_coerced(backend: FakeBackend, tasks: Tasks) -> None:
    extra = {"events_streaming": "true", "tool_call_limit": "3", "run_locally": "yes", "return_metrics": 1}
    task = tasks.create(AGENT, prompt="hi", extra_body=extra)
    answer = stored(backend, task.id)
    assert (answer["events_streaming"], answer["tool_call_limit"]) == (True, 3)
    assert [event["type"] for event in backend.events(task.id)] == ["connected", "task_created"]
    assert (
        stored(backend, tasks.create(AGENT, prompt="hi", extra_body={"tool_call_limit": 3.0}).id)["tool_call_limit"]
        == 3
    )


def test_a_user_from_the_sdk_is_accepted_as_before(backend: FakeBackend, tasks: Tasks) -> None:
    user = User(id="u1", first_name="Ada", last_name="Lovelace", email="ada@example.com")
    task = tasks.create(AGENT, prompt="hi", user_details=user, events_streaming=True)
    assert stored(backend, task.id)["input"]["user"]["email"] == "ada@example.com"


# -- 4. no body crashes it --------------------------------------------------------------------------------------------
def _json_bodies(name: str) -> st.SearchStrategy[bytes]:
    return mutated(valid_bodies(name)).map(lambda value: json.dumps(value).encode())


bodies: st.SearchStrategy[bytes] = st.one_of(
    st.binary(max_size=40),
    strategies.json_values.map(lambda value: json.dumps(value).encode()),
    st.recursive(st.floats() | st.none(), lambda inner: st.lists(inner, max_size=2), max_leaves=4).map(
        lambda value: json.dumps({"input": {"text": "x"}, "payload_extension": {"v": value}, "title": value}).encode()
    ),
    *(_json_bodies(name) for name in REQUEST_SCHEMAS),
)
content_types = st.sampled_from([JSON, JSON, JSON, None, "text/plain", "application/merge-patch+json"])


def routes(backend: FakeBackend, task_id: str) -> list[tuple[str, str]]:
    return [
        ("POST", f"/agent-execution/{AGENT}"),
        ("GET", f"/agent-execution/{task_id}/status"),
        ("GET", f"/agent-execution/executions/history/{AGENT}"),
        ("GET", "/agent-execution/executions/history/user/u1"),
        ("PATCH", f"/agent-execution/{task_id}/update"),
        ("DELETE", f"/agent-execution/{task_id}"),
        ("GET", f"/{backend.organization_id}/agent-execution/{task_id}/events"),
    ]


def finished_task(backend: FakeBackend, client: httpx.Client) -> str:
    """A task with events, finished (its stream ends), for the routes that take a task id."""
    body = {"input": {"text": "hi", "user": {"id": "u1", "email": "a@b.c"}}, "events_streaming": True}
    task_id: str = client.post(f"/agent-execution/{AGENT}", json=body).json()["id"]
    backend.complete(task_id, "done")
    return task_id


def assert_fastapi_answer(response: httpx.Response) -> None:
    """2xx, or 4xx with FastAPI's body: `{"detail": text}` or `{"detail": [pydantic's errors]}`."""
    assert 200 <= response.status_code < 300 or 400 <= response.status_code < 500, response.text
    if response.status_code < 300:
        return
    detail = response.json()["detail"]
    if isinstance(detail, str):
        return
    for item in detail:
        assert {"type", "loc", "msg", "input"} <= set(item) <= {"type", "loc", "msg", "input", "ctx"}, item
        assert item["loc"][0] == "body" and isinstance(item["type"], str) and isinstance(item["msg"], str)


def send(client: httpx.Client, route: tuple[str, str], body: bytes, content_type: str | None) -> httpx.Response:
    headers = {} if content_type is None else {"content-type": content_type}
    return client.request(*route, content=body, headers=headers)


@examples(80)
@given(route_index=st.integers(min_value=0, max_value=6), body=bodies, content_type=content_types)
def test_no_body_crashes_any_route(route_index: int, body: bytes, content_type: str | None) -> None:
    with FakeBackend() as backend:
        client = raw(backend)
        task_id = finished_task(backend, client)
        response = send(client, routes(backend, task_id)[route_index], body, content_type)
        assert_fastapi_answer(response)


def test_no_body_drops_the_connection_over_serve() -> None:
    """The same bodies through the loopback server, fewer: every one is answered on its connection."""
    with FakeBackend() as backend, backend.serve() as url, httpx.Client(base_url=url) as client:
        client.headers["x-api-key"] = backend.api_key
        task_id = finished_task(backend, client)

        @examples(20)
        @given(route_index=st.integers(min_value=0, max_value=6), body=bodies, content_type=content_types)
        def check(route_index: int, body: bytes, content_type: str | None) -> None:
            assert_fastapi_answer(send(client, routes(backend, task_id)[route_index], body, content_type))

        check()
