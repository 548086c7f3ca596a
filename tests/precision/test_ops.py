"""The op-level report: the issue's figures at 2M pairs, the paper's claims and their verdicts, the rows'
definitions checked against direct measurements, and the CLI (JSON, HTML, one-line errors)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from verimath.errors import InputError
from verimath.precision import DEFAULT_ARMS, lmul, measure_ops, parse_mode, render_ops_html

pytest.importorskip("ml_dtypes")


@pytest.mark.slow
def test_the_issue_figures_and_the_paper_claims_at_two_million_pairs() -> None:
    report = measure_ops(["lmul3", "lmul4", "lmul3t", "lmul4t", "e4m3", "e5m2", "exact:e4m3:fp32",
                          "exact:e5m2:fp32"], pairs=2_000_000)
    assert [f.reproduced for f in report.figures] == [True] * 4
    measured = {f.claim.split()[0]: round(100 * f.measured, 1) for f in report.figures}
    assert measured == {"lmul3": 5.7, "lmul4": 5.3, "e4m3": 4.5, "e5m2": 7.2}
    verdicts = {(c.detail.split()[0], c.detail.split()[3], c.distribution): c.reproduced
                for c in report.claims}
    assert len(verdicts) == len(report.claims) == 16
    assert verdicts[("lmul4", "e4m3", "normal")] is False
    assert verdicts[("lmul4", "exact:e4m3:fp32", "normal")] is False
    assert verdicts[("lmul3", "e5m2", "normal")] is True
    assert verdicts[("lmul3", "exact:e5m2:fp32", "normal")] is True
    assert verdicts[("lmul4t", "e4m3", "normal")] is True        # truncating the operands cancels the bias
    assert verdicts[("lmul4t", "exact:e4m3:fp32", "normal")] is True
    assert verdicts[("lmul3t", "e5m2", "normal")] is True


def test_a_row_is_what_its_definition_measures() -> None:
    report = measure_ops(["lmul3", "fp32"], pairs=4096, dot_length=512, seed=5)
    rng = np.random.default_rng([5, 0])
    x = rng.standard_normal(4096).astype(np.float32)
    y = rng.standard_normal(4096).astype(np.float32)
    exact = x.astype(np.float64) * y.astype(np.float64)
    for semantics in ("integer-add", "formula"):
        relative = (lmul(x, y, mantissa_bits=3, semantics=semantics).astype(np.float64) - exact) / exact
        row = report.row("lmul3", "normal", semantics)
        assert row is not None
        assert row.mean_relative_error == pytest.approx(np.abs(relative).mean(), rel=1e-12)
        assert row.bias == pytest.approx(relative.mean(), rel=1e-9)
        assert row.max_relative_error == pytest.approx(np.abs(relative).max(), rel=1e-12)
    integer_add = report.row("lmul3", "normal")
    fp32 = report.row("fp32", "normal")
    assert integer_add is not None and fp32 is not None
    assert fp32.mean_relative_error < 1e-7 and fp32.dot_normwise_error is not None
    assert 0 < fp32.dot_normwise_error < 1e-6
    assert integer_add.dot_normwise_error is not None and integer_add.dot_normwise_error > 1e-4
    assert report.row("lmul3", "normal", "formula").dot_normwise_error is None  # type: ignore[union-attr]
    assert len(report.rows) == 2 * 3  # two distributions × (lmul3, lmul3 formula, fp32)


def test_claims_need_their_arms_and_bad_sizes_are_input_errors() -> None:
    assert measure_ops(["fp32"], pairs=64, dot_length=8).claims == ()
    with pytest.raises(InputError, match="dot length"):
        measure_ops(["fp32"], pairs=10, dot_length=64)
    with pytest.raises(InputError, match="unknown arm"):
        measure_ops(["fp32", "fp64"], pairs=10, dot_length=2)


def test_the_page_draws_three_charts_per_distribution() -> None:
    page = render_ops_html(measure_ops(["e4m3", "lmul4"], pairs=2048, dot_length=256))
    assert page.count('<svg class="figure"') == 6
    assert "not reproduced" in page and "<table class='checks'>" in page
    assert parse_mode("e4m3").name in page


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verimath", "precision", "ops", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_the_cli_prints_json_and_writes_the_page(tmp_path: Path) -> None:
    done = run_cli("--pairs", "20000", "--dot-length", "256", "--json", "--out", "lab", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed == json.loads((tmp_path / "lab" / "ops.json").read_text())
    rows = {(r["arm"], r["semantics"], r["distribution"]): r for r in printed["rows"]}
    lmul_arms = [arm for arm in DEFAULT_ARMS if arm.startswith("lmul")]
    assert len(rows) == 2 * (len(DEFAULT_ARMS) + len(lmul_arms))  # L-Mul arms get a formula row too
    assert rows[("e4m3", "-", "normal")]["mean_relative_error"] == pytest.approx(0.045, abs=0.003)
    assert rows[("lmul3", "integer-add", "normal")]["mean_relative_error"] == pytest.approx(0.057, abs=0.003)
    assert {c["claim"] for c in printed["claims"]} == {"L-Mul m=4 is as precise as float8 e4m3",
                                                       "L-Mul m=3 is more precise than float8 e5m2"}
    page = (tmp_path / "lab" / "ops.html").read_text()
    assert page.count('<svg class="figure"') == 6


def test_the_cli_table_names_every_arm(tmp_path: Path) -> None:
    done = run_cli("--arms", "lmul3, e5m2", "--pairs", "4096", "--dot-length", "64", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.search(r"lmul3 .*%", done.stdout) and "e5m2" in done.stdout
    assert "L-Mul m=3 is more" in done.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--arms", "e4m3,fp8"], "field 'arms': unknown arm 'fp8'"),
    (["--arms", "lmul99"], "field 'arms': L-Mul mantissa bits must be an integer from 1 to 22, got 99"),
    (["--arms", " , "], "field 'arms': no arms given"),
    (["--pairs", "100", "--dot-length", "1000"], "need 1 <= dot length <= pairs"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().startswith(f"error: {message}"), done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "message"), [
    (["--arms", "fp32,lmul3,exact:fp32:fp32"], "field 'arms': 'exact:fp32:fp32' repeats 'fp32'"),
    (["--arms", "e4m3,e4m3"], "field 'arms': 'e4m3' repeats 'e4m3'"),
    (["--out", "taken.txt"], "field '--out': 'taken.txt' is a file, not a folder"),
    (["--out", "taken.txt/lab"], "field '--out': cannot make the folder 'taken.txt/lab': Not a directory"),
])
def test_repeated_arms_and_an_unusable_out_are_refused_before_measuring(
        tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "taken.txt").write_text("keep me")
    done = run_cli("--arms", "fp32", "--pairs", "2000000", *args, cwd=tmp_path)  # minutes if it measured
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().startswith(f"error: {message}"), done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["taken.txt"]
    assert (tmp_path / "taken.txt").read_text() == "keep me"


def test_a_negative_seed_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    done = run_cli("--seed", "-1", "--arms", "fp32", "--pairs", "100", "--dot-length", "8", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "--seed" in done.stderr


def test_more_pairs_than_memory_holds_is_one_line_naming_pairs(tmp_path: Path) -> None:
    too_many = 10**15  # 8 PB of float64: beyond any address space, so refused at once even with overcommit
    done = run_cli("--arms", "fp32", "--pairs", str(too_many), "--dot-length", "8", "--out", "lab",
                   cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    expected = f"error: field '--pairs': {too_many:,} pairs do not fit in memory"
    assert done.stderr.strip().startswith(expected), done.stderr
    assert list((tmp_path / "lab").iterdir()) == []
