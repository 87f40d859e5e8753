import io
import textwrap

import pandas as pd
import pytest
from click.testing import CliRunner

from retain.cli import cli


def frame(text: str) -> pd.DataFrame:
    """A transactions frame from an indented CSV literal (all columns as text)."""
    return pd.read_csv(io.StringIO(textwrap.dedent(text).strip()), dtype=str, keep_default_na=False)


@pytest.fixture
def run():
    """Invoke the CLI; returns the click Result (stdout, stderr and exit_code apart)."""

    def invoke(*args, input=None):
        return CliRunner().invoke(cli, [str(a) for a in args], input=input)

    return invoke


@pytest.fixture
def write(tmp_path):
    """Write a file under tmp_path (text dedented, or bytes as they are); returns its path."""

    def make(name: str, content) -> str:
        path = tmp_path / name
        if isinstance(content, str):
            content = textwrap.dedent(content).lstrip().encode()
        path.write_bytes(content)
        return str(path)

    return make
