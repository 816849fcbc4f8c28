"""The activity log (`xpander_sdk.models.activity`): the classes the official SDK's pydantic union picks, read
leniently, held to the official package itself.

The differential tests hold this SDK to the official `xpander-sdk`'s reading (recorded with the official package,
re-checked live by `make compat`; see tests/activity_samples.py) of the threads of tests/fixtures/activity and of
generated entries: wherever the official reads a thread, this SDK picks the same class for every entry, with the
same field values; wherever it refuses one (and its `aget_activity_log` returns the response's text), this SDK
still reads the thread, and the entries the official could not read are OtherEntries holding their JSON.
"""

from __future__ import annotations

import copy
import datetime
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from tests.activity_samples import LAX_VALUES, generated_entries, payload_digest
from xpander_sdk.models import User, _lax
from xpander_sdk.models import activity as activity_module
from xpander_sdk.models.activity import (
    AgentActivityThread,
    AgentActivityThreadAuth,
    AgentActivityThreadGatewayGetExecutionsResult,
    AgentActivityThreadListItem,
    AgentActivityThreadMessage,
    AgentActivityThreadMessageType,
    AgentActivityThreadOtherEntry,
    AgentActivityThreadReasoning,
    AgentActivityThreadReasoningType,
    AgentActivityThreadToolCall,
    MCPOAuthGetTokenTokenReadyResponse,
    MCPOAuthResponseType,
)

THREADS = Path(__file__).parent / "fixtures" / "activity"
FIXTURE_NAMES = sorted(path.stem for path in THREADS.glob("*.json"))
REFUSED_BY_THE_OFFICIAL = {"broken-entries"}
"""Fixtures the official SDK cannot read at all (one entry it cannot read fails its whole thread)."""
GENERATED = generated_entries(seed=22, count=600)
AT = "2025-01-01T00:00:00Z"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((THREADS / f"{name}.json").read_text())
    return data


def readable_part(data: dict[str, Any]) -> dict[str, Any]:
    """The thread without the entries this SDK reads as OtherEntries: what the official SDK can read of it."""
    thread = AgentActivityThread.from_dict(data)
    kept = [entry for entry, read in zip(data["messages"], thread.messages, strict=True) if typed(read)]
    return {**data, "messages": kept}


def typed(entry: AgentActivityThreadMessageType) -> bool:
    return not isinstance(entry, AgentActivityThreadOtherEntry)


def as_official_dumps(entry: AgentActivityThreadMessageType) -> list[Any]:
    """[class name, fields] as the official model's JSON dump has them: a typed entry's `extra` keys left out
    (the official typed models drop them); an OtherEntry's kept (the official one keeps them)."""
    data = entry.to_dict()
    if typed(entry):
        data = {key: value for key, value in data.items() if key not in entry.extra}
    return [type(entry).__name__, data]


def one_entry(entry: Any) -> dict[str, Any]:
    return {"id": "t", "created_at": AT, "messages": [entry]}


RECORDING = THREADS.parent / "activity-official-readings.json"
"""The official SDK's reading of `official_payload()`, recorded with the official package (so `make test` needs no
second venv); `make compat` re-reads it live (`python -m tests.activity_samples --check`)."""


def official_payload() -> dict[str, Any]:
    """The fixtures (as they are, then their readable part), the generated entries (one thread each) and the lax
    values: what the official SDK is asked to read."""
    threads = [fixture(name) for name in FIXTURE_NAMES]
    threads += [readable_part(fixture(name)) for name in sorted(REFUSED_BY_THE_OFFICIAL)]
    threads += [one_entry(entry) for entry in GENERATED]
    return {"threads": threads, "values": LAX_VALUES}


@pytest.fixture(scope="module")
def official() -> dict[str, Any]:
    """The recorded reading, checked to be a reading of today's payload (re-record it with
    `python -m tests.activity_samples --record` when the samples change)."""
    recording: dict[str, Any] = json.loads(RECORDING.read_text())
    assert recording["payload_digest"] == payload_digest(official_payload()), (
        "the samples changed since the official reading was recorded: run `python -m tests.activity_samples --record`"
    )
    reading: dict[str, Any] = recording["reading"]
    return reading


# -- the official SDK's choices ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_each_fixture_reads_as_the_official_reads_it(official: dict[str, Any], name: str) -> None:
    expected = official["threads"][FIXTURE_NAMES.index(name)]
    thread = AgentActivityThread.from_dict(fixture(name))
    if name in REFUSED_BY_THE_OFFICIAL:
        assert expected is None  # the official fails the whole thread
        return
    assert expected is not None
    assert [as_official_dumps(entry) for entry in thread.messages] == expected["messages"]
    ours = {key: value for key, value in thread.to_dict().items() if key != "messages" and key not in thread.extra}
    assert ours == expected["thread"]


@pytest.mark.parametrize("name", sorted(REFUSED_BY_THE_OFFICIAL))
def test_a_thread_the_official_refuses_is_read_with_its_unreadable_entries_kept(
    official: dict[str, Any], name: str
) -> None:
    """The entries the official could read (once the others are gone) read the same here; the others are
    OtherEntries holding their JSON as it came, in their place."""
    data = fixture(name)
    readable = official["threads"][len(FIXTURE_NAMES) + sorted(REFUSED_BY_THE_OFFICIAL).index(name)]
    assert readable is not None
    thread = AgentActivityThread.from_dict(data)
    assert [as_official_dumps(entry) for entry in thread.messages if typed(entry)] == readable["messages"]
    pairs = zip(data["messages"], thread.messages, strict=True)
    others = [(entry, read) for entry, read in pairs if isinstance(read, AgentActivityThreadOtherEntry)]
    assert others and all(read.raw is entry for entry, read in others)


def test_generated_entries_get_the_class_and_the_values_the_official_gives(official: dict[str, Any]) -> None:
    readings = official["threads"][len(FIXTURE_NAMES) + len(REFUSED_BY_THE_OFFICIAL) :]
    kinds: set[str] = set()
    mismatches: list[tuple[Any, ...]] = []
    for entry, expected in zip(GENERATED, readings, strict=True):
        (read,) = AgentActivityThread.from_dict(one_entry(entry)).messages
        if expected is None:  # the official refuses the entry (and so its thread): here it is kept whole
            if not isinstance(read, AgentActivityThreadOtherEntry) or read.raw is not entry:
                mismatches.append((entry, None, type(read).__name__))
            continue
        kinds.add(expected["messages"][0][0])
        if as_official_dumps(read) != expected["messages"][0]:
            mismatches.append((entry, expected["messages"][0], as_official_dumps(read)))
    assert mismatches == []
    assert len(kinds) == 11  # every class of the union was picked by some entry


def test_the_lax_checks_accept_what_pydantic_accepts(official: dict[str, Any]) -> None:
    checks = {
        "bool": _lax.boolean,
        "float": _lax.number,
        "str": _lax.text,
        "datetime": _lax.moment,
        "list[str]": _lax.array(_lax.text),
    }
    for name, samples in LAX_VALUES.items():
        for sample, (accepted, value) in zip(samples, official["values"][name], strict=True):
            try:
                ours = checks[name](sample)[0]
            except _lax.Invalid:
                assert not accepted, (name, sample)
                continue
            assert accepted, (name, sample)
            assert (ours.isoformat() if isinstance(ours, datetime.datetime) else ours) == value, (name, sample)


def test_the_classes_and_their_fields_are_the_official_ones(official: dict[str, Any]) -> None:
    for name, official_fields in official["classes"].items():
        cls = getattr(activity_module, name)
        ours = [a.name for a in cls.__attrs_attrs__ if a.name not in {"extra", "raw"}]
        assert ours == official_fields, name


# -- reading leniently -------------------------------------------------------------------------------------------------
def test_a_conversation_reads_as_typed_entries() -> None:
    thread = AgentActivityThread.from_dict(fixture("conversation"))
    first, thought, call = thread.messages[:3]
    assert isinstance(first, AgentActivityThreadMessage) and first.role == "user"
    assert first.content.files == ["https://files.example.com/q1.pdf"]
    assert first.user == User(id="user-1", email="dana@example.com")
    assert isinstance(thought, AgentActivityThreadReasoning) and thought.type is AgentActivityThreadReasoningType.Think
    assert isinstance(call, AgentActivityThreadToolCall) and call.reasoning is not None
    assert call.reasoning.title == "Read the report"
    assert thread.created_at == datetime.datetime(2025, 3, 4, 9, 15, 0, 120000, tzinfo=datetime.UTC)
    assert thread.user is not None and thread.user.timezone == "Asia/Jerusalem"


def test_lax_values_read_as_the_official_reads_them() -> None:
    thread = AgentActivityThread.from_dict(fixture("lax-values"))
    message, reasoning = thread.messages[0], thread.messages[5]
    assert isinstance(message, AgentActivityThreadMessage) and message.sub_execution_result is True
    assert message.created_at == datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert isinstance(reasoning, AgentActivityThreadReasoning) and reasoning.confidence == 0.25
    last = thread.messages[-1]
    assert isinstance(last, AgentActivityThreadGatewayGetExecutionsResult) and last.executions == []


def test_unknown_kinds_and_keys_are_kept() -> None:
    thread = AgentActivityThread.from_dict(fixture("unknown-kinds"))
    question = thread.messages[0]
    assert isinstance(question, AgentActivityThreadOtherEntry)
    assert question.kind == "ask_user_questions" and question.questions[0]["text"] == "Which format?"
    assert question.extra == {"kind": "ask_user_questions", "questions": [{"id": "q", "text": "Which format?"}]}
    message = thread.messages[5]
    assert isinstance(message, AgentActivityThreadMessage)
    assert message.extra == {"surface_id": "s-1", "attachments": [{"url": "u"}]}
    assert thread.extra == {"title": "A thread key this SDK does not know"}
    with pytest.raises(AttributeError):
        _ = question.not_there


def test_an_entry_naming_an_action_this_version_does_not_model_is_an_other_entry() -> None:
    entry = {"id": "g", "created_at": AT, "reasoning": "r", "created_execution_id": "e", "action": "pause_execution"}
    (read,) = AgentActivityThread.from_dict(one_entry(entry)).messages
    assert isinstance(read, AgentActivityThreadOtherEntry) and read.action == "pause_execution"
    assert read.id == "g" and read.created_at == datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


@pytest.mark.parametrize("entry", ["text", 3, None, [1], {"id": 5, "created_at": AT}, {"id": "x", "created_at": "no"}])
def test_an_entry_no_class_can_read_is_kept_whole(entry: Any) -> None:
    (read,) = AgentActivityThread.from_dict(one_entry(entry)).messages
    assert isinstance(read, AgentActivityThreadOtherEntry) and read.raw is entry
    if isinstance(entry, dict):
        assert read.id is (entry["id"] if isinstance(entry["id"], str) else None)
        assert read.to_dict() == {"id": entry["id"], "created_at": None, "agent_id": None, **entry}


def test_thread_fields_that_cannot_be_read_are_kept_in_extra() -> None:
    data = {"id": "t", "created_at": "sometime", "messages": {"not": "a list"}, "user": {"id": "no-email"}}
    thread = AgentActivityThread.from_dict(data)
    assert (thread.created_at, thread.messages, thread.user) == (None, [], None)
    assert thread.extra == {"created_at": "sometime", "messages": {"not": "a list"}, "user": {"id": "no-email"}}
    bare = AgentActivityThread.from_dict({"id": "t"})
    assert (bare.created_at, bare.messages, bare.user, bare.extra) == (None, [], None, {})


@pytest.mark.parametrize(
    ("data", "error"),
    [([], TypeError), ("thread", TypeError), (None, TypeError), ({"messages": []}, KeyError), ({"id": 3}, TypeError)],
)
def test_only_json_that_is_no_thread_is_refused(data: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        AgentActivityThread.from_dict(data)


def test_a_list_item_reads_leniently() -> None:
    item = AgentActivityThreadListItem.from_dict({"id": "t", "created_at": AT, "title": "x"})
    assert item.created_at == datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC) and item.extra == {"title": "x"}
    assert item.to_dict() == {"id": "t", "created_at": AT, "title": "x"}


# -- as data -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_a_thread_dict_is_json_and_reads_back(name: str) -> None:
    thread = AgentActivityThread.from_dict(fixture(name))
    data = thread.to_dict()
    assert json.loads(json.dumps(data)) == data
    again = AgentActivityThread.from_dict(data)
    assert [type(entry) for entry in again.messages] == [type(entry) for entry in thread.messages]
    assert again.to_dict() == data


def test_secrets_stay_out_of_reprs() -> None:
    thread = AgentActivityThread.from_dict(fixture("conversation"))
    auth = thread.messages[7]
    assert isinstance(auth, AgentActivityThreadAuth) and auth.type is MCPOAuthResponseType.TOKEN_READY
    assert isinstance(auth.data, MCPOAuthGetTokenTokenReadyResponse) and auth.data.access_token == "secret-token-123"
    secret = AgentActivityThread.from_dict(one_entry({"id": "s", "created_at": AT, "kind": "x", "value": "hunter2"}))
    for shown in (repr(thread), repr(auth), repr(thread.messages), repr(secret.messages)):
        assert "secret-token-123" not in shown and "hunter2" not in shown
    assert "messages=<10 entries>" in repr(thread)


def test_entries_copy_and_pickle() -> None:
    thread = AgentActivityThread.from_dict(fixture("unknown-kinds"))
    assert pickle.loads(pickle.dumps(thread)) == thread
    assert copy.deepcopy(thread) == thread
    other = thread.messages[0]
    assert copy.copy(other) == other and pickle.loads(pickle.dumps(other)).kind == "ask_user_questions"
