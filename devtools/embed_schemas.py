"""Write (or check) `overlay/xpander_sdk/testing/_schemas.json`: the component schemas of openapi.yaml, which the
fake backend of `xpander_sdk.testing` validates requests and responses against at run time without a YAML or
JSON Schema library. Descriptions and examples are left out; everything that validates is kept.

    python -m devtools.embed_schemas           # write it (`make generate` does)
    python -m devtools.embed_schemas --check   # exit 1 when it is not what openapi.yaml gives (`make check-generated`)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]  # no stubs in the pinned tool chain

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
TARGET = ROOT / "overlay" / "xpander_sdk" / "testing" / "_schemas.json"
_DROPPED = frozenset({"description", "example", "examples", "x-enum-varnames", "x-sse-data"})


def _stripped(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _stripped(item) for key, item in value.items() if key not in _DROPPED}
    if isinstance(value, list):
        return [_stripped(item) for item in value]
    return value


def render() -> str:
    spec = yaml.safe_load(SPEC.read_text())
    schemas = {name: _stripped(schema) for name, schema in spec["components"]["schemas"].items()}
    return json.dumps({"source": "openapi.yaml (components/schemas)", "schemas": schemas}, indent=1) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date with openapi.yaml: run 'make generate' and commit it.")
            return 1
        print(f"check-generated: {TARGET.relative_to(ROOT)} is current.")
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
