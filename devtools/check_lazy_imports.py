"""Keep the package's deferred imports deliberate and its modules and functions small (`make lint` runs it).

Fails (exit 1, one `path:line: ...` line per offence) when, anywhere under overlay/xpander_sdk:

- a function or method imports an `xpander_sdk` or `xpander_api` module (`from . import x`, `from .x import y`,
  `from ..x import y`, `import xpander_sdk...`, `from xpander_api... import ...`) without `lazy:` in a comment on
  the import's line, saying what the deferral saves, e.g.
  `from . import _aiohttp  # noqa: PLC0415 - lazy: imports aiohttp (tens of ms), paid when the first client is made`.
  Imports under `if TYPE_CHECKING:` never run and are exempt; so are standard-library and third-party imports;
- a module is over 500 lines;
- a function's body, from its first statement after the docstring to its end, is over 45 lines, unless its
  `def` line says why in a `long:` comment (one flat keyword call, e.g. the task reader: a dict would cost more
  on every call).

The import floors themselves (which module may import which, imports inside functions included) are the
`[tool.importlinter]` contract in pyproject.toml, checked by `lint-imports`.

    python -m devtools.check_lazy_imports
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "overlay" / "xpander_sdk"
MARKER = "lazy:"
LONG_MARKER = "long:"
OWN_PACKAGES = ("xpander_sdk", "xpander_api")
MAX_MODULE_LINES = 500
MAX_BODY_LINES = 45

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def _is_own(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in OWN_PACKAGES)


def _imports_own(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or _is_own(node.module or "")
    return any(_is_own(alias.name) for alias in node.names)


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _comments_by_line(source: str) -> dict[int, str]:
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string
    return comments


def _body_lines(node: FunctionNode) -> int:
    body = node.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        if len(body) == 1:
            return 0
        first = body[1]
    start = first.lineno
    if isinstance(first, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and first.decorator_list:
        start = min(start, *(decorator.lineno for decorator in first.decorator_list))
    end = node.end_lineno if node.end_lineno is not None else start
    return end - start + 1


class _Checker(ast.NodeVisitor):
    def __init__(self, path: str, comments: dict[int, str]) -> None:
        self.path = path
        self.comments = comments
        self.scope: list[str] = []
        self.function_depth = 0
        self.offences: list[str] = []
        self.lazy = 0

    def _function(self, node: FunctionNode) -> None:
        name = ".".join([*self.scope, node.name])
        lines = _body_lines(node)
        if lines > MAX_BODY_LINES and LONG_MARKER not in self.comments.get(node.lineno, ""):
            limit = f"limit {MAX_BODY_LINES}, or a `# {LONG_MARKER} <why>` comment on the def line"
            self.offences.append(f"{self.path}:{node.lineno}: {name}() has a {lines}-line body ({limit})")
        self.scope.append(node.name)
        self.function_depth += 1
        self.generic_visit(node)
        self.function_depth -= 1
        self.scope.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            # The `if TYPE_CHECKING:` block never runs; its `else:` does.
            for statement in node.orelse:
                self.visit(statement)
            return
        self.generic_visit(node)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if self.function_depth == 0 or not _imports_own(node):
            return
        end = node.end_lineno if node.end_lineno is not None else node.lineno
        if any(MARKER in self.comments.get(line, "") for line in range(node.lineno, end + 1)):
            self.lazy += 1
            return
        where = ".".join(self.scope)
        self.offences.append(
            f"{self.path}:{node.lineno}: `{ast.unparse(node)}` inside {where}() has no `# ... {MARKER} <why>` comment"
            " (move it to the top of the module, or say what deferring it saves)"
        )

    visit_Import = _import
    visit_ImportFrom = _import


def check_file(path: Path) -> tuple[list[str], int]:
    """The offences in one module, and how many marked lazy imports of the package it has."""
    shown = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    source = path.read_text(encoding="utf-8")
    offences: list[str] = []
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        offences.append(f"{shown}:1: module has {lines} lines (limit {MAX_MODULE_LINES})")
    checker = _Checker(shown, _comments_by_line(source))
    checker.visit(ast.parse(source, filename=str(path)))
    return offences + checker.offences, checker.lazy


def main() -> int:
    files = sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)
    offences: list[str] = []
    lazy = 0
    for path in files:
        found, marked = check_file(path)
        offences.extend(found)
        lazy += marked
    for offence in offences:
        print(offence)
    if offences:
        print(f"check_lazy_imports: {len(offences)} offence(s) in {len(files)} modules.", file=sys.stderr)
        return 1
    print(
        f"check_lazy_imports: OK - {len(files)} modules, {lazy} marked lazy imports, no module over"
        f" {MAX_MODULE_LINES} lines, no function body over {MAX_BODY_LINES} lines."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
