"""The events roots (`Configuration.events_root_url`) against the official `get_events_root`, for the base URLs
of the reference table (xpander-lifecycle.md §5.1), run by `make compat` after the calls.

The official SDK is asked in its own interpreter; the two faults this SDK fixes are the listed differences: a
base URL with a trailing slash (the official root ends in `//org-1`) and no organization id (`/None`; here the
task's own organization id, `Configuration.events_root_url_for`, and refused when there is none)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from xpander_sdk import Configuration, InvalidArgumentError

ORG = "org-1"
BASES = (
    "https://inbound.xpander.ai",
    "https://inbound.stg.xpander.ai",
    "https://INBOUND.XPANDER.AI",
    "https://api.example.com",
    "https://api.example.com/xp",
    "http://127.0.0.1:18471/",
    "api.example.com",
    "https://agent-controller.xpander.ai",
    "http://127.0.0.1:9016",
    "http://127.0.0.1:18471/agent-controller",
    "https://agent-controller-acme.example.com",
    "http://127.0.0.1:8085",
    "http://localhost:8085",
)
ROWS: tuple[tuple[str, str | None], ...] = (*((base, ORG) for base in BASES), ("https://api.example.com", None))
LISTED = {
    ("http://127.0.0.1:18471/", ORG): "a trailing slash: the official root has `//org-1`",
    ("https://api.example.com", None): (
        "no organization id: the official root has `/None`; here the task's own id is used, or the call refused"
    ),
}
_OFFICIAL = """
import json, sys
from xpander_sdk.models.configuration import Configuration
from xpander_sdk.modules.events.utils.generic import get_events_root
rows = json.loads(sys.argv[1])
print(json.dumps([get_events_root(Configuration(api_key="k", base_url=b, organization_id=o)) for b, o in rows]))
"""


def ours(base_url: str, organization_id: str | None) -> str:
    try:
        return Configuration(api_key="k", base_url=base_url, organization_id=organization_id).events_root_url
    except InvalidArgumentError as error:
        return f"refused: {error.parameter}"


def compare(official_python: str | Path) -> tuple[str, bool]:
    """Print each row and return the summary line and whether every difference is a listed one."""
    done = subprocess.run(  # noqa: S603 - the official SDK's own interpreter, with a fixed script
        [str(official_python), "-c", _OFFICIAL, json.dumps(ROWS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    theirs = json.loads(done.stdout)
    same = unexpected = 0
    for (base, organization_id), official_root in zip(ROWS, theirs, strict=True):
        mine = ours(base, organization_id)
        if mine == official_root:
            same += 1
            continue
        reason = LISTED.get((base, organization_id))
        unexpected += reason is None
        print(f"  events root of {base!r} (organization {organization_id!r}): official {official_root!r}, ours {mine!r}"
              f"{'' if reason is None else f' (listed: {reason})'}")  # fmt: skip
    listed_seen = len(ROWS) - same - unexpected
    missing = len(LISTED) - listed_seen
    line = f"events roots: {same}/{len(ROWS)} identical, {listed_seen} listed differences"
    return line, unexpected == 0 and missing == 0
