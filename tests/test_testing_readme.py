"""The README's "Testing your code" example, run as a user runs it: `myapp.py` and `test_myapp.py` written out
verbatim, and pytest run on them in a subprocess, where the `xpander_backend` fixture comes from the plugin's
`pytest11` entry point (nothing imports it)."""

from __future__ import annotations

import re

import pytest

from tests import spec_tools

pytest_plugins = ["pytester"]

_BLOCK = re.compile(r"^```python\n# (\w+\.py)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def readme_files() -> dict[str, str]:
    """The README's python blocks whose first line names a file (`# myapp.py: ...`), by that name."""
    text = (spec_tools.ROOT / "README.md").read_text()
    return dict(_BLOCK.findall(text))


def test_the_readme_testing_example_passes_under_pytest(pytester: pytest.Pytester) -> None:
    files = readme_files()
    assert set(files) >= {"myapp.py", "test_myapp.py"}, sorted(files)
    for name, body in files.items():
        pytester.path.joinpath(name).write_text(body)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "test_myapp.py", timeout=60)
    result.assert_outcomes(passed=3)


def test_the_example_fails_when_the_code_under_test_breaks(pytester: pytest.Pytester) -> None:
    """The example's assertions bite: the same tests against a summarize that sends another prompt fail."""
    files = readme_files()
    pytester.path.joinpath("myapp.py").write_text(files["myapp.py"].replace("Summarize the report", "Summarise"))
    pytester.path.joinpath("test_myapp.py").write_text(files["test_myapp.py"])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "test_myapp.py", timeout=60)
    result.assert_outcomes(passed=2, failed=1)


def test_the_readme_handler_example_passes_under_pytest(pytester: pytest.Pytester) -> None:
    """The worker-side example ("Testing agent code"): a handler's metrics report, read back from the fake."""
    files = readme_files()
    for name in ("handler.py", "test_handler.py"):
        pytester.path.joinpath(name).write_text(files[name])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "test_handler.py", timeout=60)
    result.assert_outcomes(passed=1)


def test_the_handler_example_fails_when_the_handler_reports_nothing(pytester: pytest.Pytester) -> None:
    files = readme_files()
    pytester.path.joinpath("handler.py").write_text(files["handler.py"].replace("    task.report_metrics()\n", ""))
    pytester.path.joinpath("test_handler.py").write_text(files["test_handler.py"])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "test_handler.py", timeout=60)
    result.assert_outcomes(failed=1)


def test_the_readme_worker_examples_pass_under_pytest(pytester: pytest.Pytester) -> None:
    """ "Running your agent as a worker": `agent.py` (imported: it starts no worker) run by the fake's controller."""
    files = readme_files()
    for name in ("agent.py", "test_agent.py", "test_agent_outage.py"):
        pytester.path.joinpath(name).write_text(files[name])
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-q", "test_agent.py", "test_agent_outage.py", timeout=120
    )
    result.assert_outcomes(passed=2)


def test_the_worker_example_fails_when_the_handler_answers_otherwise(pytester: pytest.Pytester) -> None:
    files = readme_files()
    pytester.path.joinpath("agent.py").write_text(files["agent.py"].replace("You asked: ", "You said: "))
    pytester.path.joinpath("test_agent.py").write_text(files["test_agent.py"])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "test_agent.py", timeout=120)
    result.assert_outcomes(failed=1)
