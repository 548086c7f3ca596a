"""A missing optional extra is one line naming the extra to install, exit 2, for every command and backend.

The extras are installed here, so each case makes its modules unimportable in a ``python -m verimath``
subprocess: a ``sitecustomize`` on ``PYTHONPATH`` puts a finder first on ``sys.meta_path`` that refuses them,
exactly as Python does for a package that is not installed (``ModuleNotFoundError`` with its ``name``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BLOCKER = '''
import os
import sys


class _NotInstalled:
    """Refuses the top-level packages named in VERIMATH_TEST_UNINSTALLED, as if they were not installed."""

    def __init__(self, names):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name.partition(".")[0])
        return None


sys.meta_path.insert(0, _NotInstalled(set(os.environ["VERIMATH_TEST_UNINSTALLED"].split(","))))
'''


@pytest.fixture(scope="module")
def blocker_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("blocker")
    (folder / "sitecustomize.py").write_text(BLOCKER)
    return folder


def run_without(blocker_dir: Path, missing: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VERIMATH_TEST_UNINSTALLED": missing,
           "PYTHONPATH": os.pathsep.join([str(blocker_dir), os.environ["PYTHONPATH"]])}
    return subprocess.run([sys.executable, "-m", "verimath", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


CASES = [
    ("safetensors", "tiny", ["tiny-demo", "--out", "demo", "-n", "3"]),
    ("torch", "tiny", ["tiny-demo", "--out", "demo", "-n", "3"]),
    ("torch", "tiny", ["train-tiny", "--out", "trained", "--steps", "1"]),
    ("safetensors", "tiny", ["train-tiny", "--out", "trained", "--steps", "1"]),
    ("safetensors", "tiny", ["solve", "1+1", "--model", "builtin:tiny", "--strategy", "pal"]),
    ("transformers", "hf", ["solve", "1+1", "--model", "hf:some/folder"]),
    ("torch", "hf", ["solve", "1+1", "--model", "hf:some/folder"]),
    ("vllm", "vllm", ["solve", "1+1", "--model", "vllm:some/folder"]),
    ("openai", "models", ["solve", "1+1", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1"]),
    ("pyarrow", "parquet", ["perturb", "rows.parquet", "-o", "out.jsonl"]),
    ("pyarrow", "parquet",
     ["eval", "--dataset", "rows.parquet", "--model", "builtin:tiny", "--run-dir", "r"]),
    ("datasets", "hf", ["perturb", "hf:openai/gsm8k", "-o", "out.jsonl"]),
    ("datasets", "hf", ["eval", "--dataset", "hf:openai/gsm8k", "--model", "builtin:tiny", "--run-dir", "r"]),
    ("fastapi", "serve", ["serve", "--port", "0"]),
    ("uvicorn", "serve", ["serve", "--port", "0"]),
    ("ray", "ray", ["eval", "--dataset", "rows.jsonl", "--model", "builtin:tiny", "--strategy", "direct",
                    "--run-dir", "r", "--executor", "ray"]),
    ("ray", "ray", ["grade", "rows.jsonl", "--executor", "ray"]),
    ("ml_dtypes", "precision", ["precision", "ops", "--pairs", "10", "--dot-length", "2"]),
    ("torch", "precision", ["precision", "eval", "--model", "builtin:tiny", "--problems", "3"]),
    ("ml_dtypes", "precision", ["precision", "eval", "--model", "builtin:tiny", "--problems", "3"]),
    ("torch", "precision", ["precision", "repro", "--model", "builtin:tiny", "--problems", "3"]),
]


@pytest.mark.parametrize(("missing", "extra", "args"), CASES, ids=lambda v: v if isinstance(v, str) else v[0])
def test_a_missing_extra_is_one_line_naming_it(blocker_dir: Path, tmp_path: Path, missing: str, extra: str,
                                               args: list[str]) -> None:
    (tmp_path / "rows.parquet").write_bytes(b"PAR1")
    (tmp_path / "rows.jsonl").write_text('{"id": "a", "question": "1+1", "answer": "2", "prediction": "2", '
                                         '"gold": "2"}\n')
    done = run_without(blocker_dir, missing, *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and f"needs {missing}, which is not installed" in last, done.stderr
    assert last.endswith(f"pip install 'verimath[{extra}]'"), last


@pytest.mark.parametrize("command", [["tiny-demo", "--out", "demo", "-n", "3"],
                                     ["train-tiny", "--out", "trained", "--steps", "1"]])
def test_the_tiny_commands_check_their_extra_before_writing_or_showing_progress(
        blocker_dir: Path, tmp_path: Path, command: list[str]) -> None:
    done = run_without(blocker_dir, "torch", *command, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert list(tmp_path.iterdir()) == []
