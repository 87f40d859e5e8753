"""The recipes under examples/ work as written: the sample config, the cron script, the CI
workflow's check; and shell completion and --version, as the README documents them."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import retain
from retain.cli import cli

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize("command", ["cohort", "summary", "customers", "check", "inspect"])
def test_sample_config_is_valid_for_every_command(command):
    result = invoke(command, EXAMPLES / "orders.csv", "--config", EXAMPLES / "retain.toml")
    assert result.exit_code == 0, result.output
    if command == "summary":
        assert result.stdout.startswith("period,active,new,")  # [summary] format = "csv"
    if command == "check":  # [check]: 25% at offset 1 over the last 3 cohorts
        assert result.stdout.startswith("ok   retention at offset 1 (last 3 cohorts")
    if command == "cohort":  # [cohort] max-offset = 12
        assert result.stdout.splitlines()[0].split()[-1] == "12"


@pytest.fixture
def retain_command(tmp_path):
    """A `retain` on PATH that runs this checkout's code with this Python."""
    script = tmp_path / "bin" / "retain"
    script.parent.mkdir()
    script.write_text(f'#!/bin/sh\nexec {sys.executable} -m retain "$@"\n')
    script.chmod(0o755)
    return script


@pytest.mark.skipif(shutil.which("bash") is None or sys.platform != "linux", reason="GNU tools")
def test_cron_recipe_writes_dated_csvs_and_exits_by_the_check(retain_command, tmp_path):
    out = tmp_path / "reports"
    env = {**os.environ, "RETAIN": str(retain_command), "RETAIN_RUN_DATE": "2025-03-12",
           "PYTHONPATH": str(ROOT / "src")}  # fmt: skip
    run = subprocess.run([EXAMPLES / "cron" / "weekly-retention.sh", EXAMPLES / "orders.csv",
                          out], env=env, capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stderr
    written = out / "retention-weekly-2025-03-12.csv"
    assert sorted(p.name for p in out.iterdir()) == [
        "retention-weekly-2025-03-12.csv", "revenue-retention-weekly-2025-03-12.csv"]  # fmt: skip
    # up to Sunday 2025-03-09: the same CSV as the command itself gives
    direct = invoke("cohort", EXAMPLES / "orders.csv", "--period", "week", "--as-of",
                    "2025-03-09", "--format", "csv")  # fmt: skip
    assert written.read_text() == direct.stdout
    assert "ok   retention at offset 1" in run.stdout
    failing = subprocess.run([EXAMPLES / "cron" / "weekly-retention.sh",
                              EXAMPLES / "orders.csv", out],
                             env={**env, "MIN_RETENTION": "90%"}, capture_output=True,
                             text=True)  # fmt: skip
    assert failing.returncode == 3 and "FAIL retention at offset 1" in failing.stdout


def test_ci_workflow_check_passes_on_the_sample_data(monkeypatch):
    monkeypatch.chdir(ROOT)
    workflow = (EXAMPLES / "ci" / "retention-check.yml").read_text()
    (line,) = re.findall(r"run: (retain check .*)", workflow)
    result = invoke(*line.split()[1:])
    assert result.exit_code == 0, result.output
    assert [row.split()[0] for row in result.stdout.splitlines()] == ["ok", "ok", "ok"]


SCRIPT = Path(sys.executable).parent / "retain"  # the installed command


@pytest.mark.skipif(not SCRIPT.exists(), reason="retain is not installed beside this Python")
def test_shell_completion_and_version():
    env = {**os.environ, "COMP_WORDS": "retain co", "COMP_CWORD": "1",
           "_RETAIN_COMPLETE": "bash_complete"}  # fmt: skip
    run = subprocess.run([SCRIPT], env=env, capture_output=True, text=True)
    assert run.returncode == 0 and "plain,cohort" in run.stdout.splitlines()
    source = {**env, "_RETAIN_COMPLETE": "bash_source"}
    run = subprocess.run([SCRIPT], env=source, capture_output=True, text=True)
    assert "complete -o nosort -F _retain_completion retain" in run.stdout
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout == f"retain, version {retain.__version__}\n"
