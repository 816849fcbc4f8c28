"""The pipeline itself: the generated package imports, both packages ship py.typed, and `make check-generated`
fails, naming the files, when openapi.yaml changes without `make generate` (generated/, and the fake backend's
copy of the schemas)."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from pathlib import Path

import xpander_api
import xpander_sdk

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "overlay" / "xpander_sdk" / "testing" / "_schemas.json"


def test_generated_package_imports_and_is_typed() -> None:
    from xpander_api.api.tasks import create_task
    from xpander_api.models import CreateTaskRequest, Task

    assert callable(create_task.asyncio_detailed)
    assert (
        Task.from_dict(
            {"id": "t", "agent_id": "a", "organization_id": "o", "input": {}, "created_at": "2025-01-01T00:00:00Z"}
        ).id
        == "t"
    )
    assert CreateTaskRequest().to_dict()["run_locally"] is False  # the spec's defaults reach the model
    for package in (xpander_api, xpander_sdk):
        assert (Path(str(package.__file__)).parent / "py.typed").exists(), package.__name__


def test_import_of_the_sdk_does_not_load_the_generated_models() -> None:
    """`import xpander_sdk` stays cheap: the generated models load on the first create."""
    code = "import sys, xpander_sdk; print('xpander_api.models' in sys.modules)"
    result = subprocess.run([str(ROOT / ".venv/bin/python"), "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    assert importlib.import_module("xpander_api.models.task")


def _copy_project(target: Path) -> None:
    for name in ("openapi.yaml", "generator-config.yaml", "Makefile", "pyproject.toml"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "generated", target / "generated", copy_function=shutil.copy2)
    shutil.copytree(ROOT / "requirements", target / "requirements", copy_function=shutil.copy2)
    shutil.copytree(ROOT / "devtools", target / "devtools", copy_function=shutil.copy2)
    schemas = target / SCHEMAS.relative_to(ROOT)
    schemas.parent.mkdir(parents=True)
    shutil.copy2(SCHEMAS, schemas)
    (target / ".venv").symlink_to(ROOT / ".venv")
    # Older than the venv's install stamp, so that make does not reinstall into the shared venv.
    for name in ("pyproject.toml", "requirements/dev.txt"):
        os.utime(target / name, (0, 0))


def test_check_generated_fails_when_the_spec_changed(tmp_path: Path) -> None:
    _copy_project(tmp_path)
    run = ["make", "-s", "--no-print-directory", "check-generated"]
    env = {**os.environ, "MAKEFLAGS": ""}
    clean = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, env=env, check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    spec = tmp_path / "openapi.yaml"
    spec.write_text(spec.read_text().replace("The agent that runs the task.", "The agent running the task.", 1))
    drifted = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, env=env, check=False)
    assert drifted.returncode != 0
    assert "models/task.py" in drifted.stdout
    assert "make generate" in drifted.stdout


def test_check_generated_fails_when_the_fake_backends_schemas_were_edited(tmp_path: Path) -> None:
    _copy_project(tmp_path)
    schemas = tmp_path / SCHEMAS.relative_to(ROOT)
    schemas.write_text(schemas.read_text().replace('"minLength": 1', '"minLength": 2', 1))
    run = ["make", "-s", "--no-print-directory", "check-generated"]
    env = {**os.environ, "MAKEFLAGS": ""}
    drifted = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, env=env, check=False)
    assert drifted.returncode != 0
    assert "testing/_schemas.json is out of date with openapi.yaml" in drifted.stdout
    assert "make generate" in drifted.stdout
