"""Emulated matmul: every arm against a float64 reference of its definition, numpy and torch bit-identical,
the result independent of the chunk size, batching, specials, and the arm names."""

from __future__ import annotations

import numpy as np
import precision_reference as ref
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precision_reference import exact_bits

from verimath.errors import InputError
from verimath.precision import ARMS, MatmulMode, emulated_matmul, emulated_multiply, format_named, parse_mode

ml_dtypes = pytest.importorskip("ml_dtypes")
torch = pytest.importorskip("torch")

ARM_NAMES = [*ARMS, "lmul3", "lmul4", "lmul7", "lmul4t", "exact:fp32:bf16", "lmul3:bf16:fp16",
             "exact:e4m3:fp32", "e4m3:fp32:fp32", "exact:fp16:fp16"]


def _dtype(name: str) -> object:
    fmt = format_named(name)
    if name == "fp32":
        return None
    return getattr(np, fmt.dtype_name, None) or getattr(ml_dtypes, fmt.dtype_name)


def _reference(a: np.ndarray, b: np.ndarray, mode: MatmulMode) -> np.ndarray:
    product_format = mode.product_format
    return ref.matmul(a, b, product=mode.product if mode.lmul_bits else "exact",
                      input_dtype=_dtype(mode.input.name), input_max=mode.input.max,
                      product_dtype=_dtype(product_format.name) if product_format else None,
                      product_max=product_format.max if product_format else None,
                      accumulator_dtype=_dtype(mode.accumulator.name))


def _inputs(seed: int, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(a_shape) * 3).astype(np.float32)
    b = rng.standard_normal(b_shape).astype(np.float32)
    a.reshape(-1)[::7] = 0.0
    b.reshape(-1)[::11] = -0.0
    return a, b


@pytest.mark.parametrize("arm", ARM_NAMES)
def test_every_arm_matches_its_float64_reference_on_numpy_and_torch(arm: str) -> None:
    mode = parse_mode(arm)
    a, b = _inputs(1, (2, 5, 33), (33, 7))
    expected = _reference(a, b, mode)
    got = emulated_matmul(a, b, mode)
    assert got.shape == (2, 5, 7) and got.dtype == np.float32
    assert exact_bits(got, expected)
    assert exact_bits(emulated_matmul(torch.from_numpy(a), torch.from_numpy(b), mode).numpy(), expected)


@pytest.mark.parametrize("arm", ["fp32", "e4m3", "lmul3", "lmul3:bf16:fp16"])
@pytest.mark.parametrize("chunk", [1, 3, 7, 35, 1 << 22])
def test_the_chunk_size_does_not_change_a_bit(arm: str, chunk: int) -> None:
    mode = parse_mode(arm)
    a, b = _inputs(2, (3, 9, 40), (3, 40, 6))
    whole = emulated_matmul(a, b, mode)
    assert exact_bits(emulated_matmul(a, b, mode, chunk=chunk), whole)
    assert exact_bits(emulated_matmul(torch.from_numpy(a), torch.from_numpy(b), mode, chunk=chunk).numpy(),
                      whole)


SPECIAL_VALUES = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, 3e38, -3e38, 1e-30, 1.5, -2.0],
                          dtype=np.float32)


@pytest.mark.parametrize("arm", ["fp32", "bf16", "e4m3", "e5m2", "lmul3", "lmul4", "exact:fp32:fp16"])
def test_specials_and_extremes_follow_the_reference(arm: str) -> None:
    mode = parse_mode(arm)
    rng = np.random.default_rng(3)
    a = rng.choice(SPECIAL_VALUES, size=(6, 4)).astype(np.float32)
    b = rng.choice(SPECIAL_VALUES, size=(4, 5)).astype(np.float32)
    expected = _reference(a, b, mode)
    assert exact_bits(emulated_matmul(a, b, mode, chunk=4), expected)
    assert exact_bits(emulated_matmul(torch.from_numpy(a), torch.from_numpy(b), mode).numpy(), expected)


@pytest.mark.parametrize("scale", [1e-19, 1e-21, 1e19])
def test_lmul_products_that_underflow_or_overflow_follow_the_reference(scale: float) -> None:
    mode = parse_mode("lmul3")
    a, b = _inputs(4, (7, 12), (12, 5))
    a = (a * np.float32(scale)).astype(np.float32)
    b = (b * np.float32(scale)).astype(np.float32)
    expected = _reference(a, b, mode)
    assert exact_bits(emulated_matmul(a, b, mode), expected)
    assert exact_bits(emulated_matmul(torch.from_numpy(a), torch.from_numpy(b), mode).numpy(), expected)


def test_batch_dimensions_broadcast_like_matmul() -> None:
    mode = parse_mode("lmul4")
    a, b = _inputs(5, (2, 1, 4, 6), (3, 6, 5))
    got = emulated_matmul(a, b, mode, chunk=10)
    assert got.shape == (2, 3, 4, 5)
    for i in range(2):
        for j in range(3):
            assert exact_bits(got[i, j], emulated_matmul(a[i, 0], b[j], mode))


def test_the_fp32_arm_is_within_the_sequential_error_bound_of_the_exact_product() -> None:
    a, b = _inputs(6, (16, 300), (300, 8))
    exact = a.astype(np.float64) @ b.astype(np.float64)
    got = emulated_matmul(a, b, parse_mode("fp32")).astype(np.float64)
    bound = 300 * 2.0**-24 * (np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64))
    assert np.all(np.abs(got - exact) <= bound)


def test_an_empty_inner_dimension_gives_zeros() -> None:
    got = emulated_matmul(np.zeros((2, 0), np.float32), np.zeros((0, 3), np.float32), parse_mode("lmul3"))
    assert got.shape == (2, 3) and not got.any()


def test_arm_names_parse_to_their_documented_modes_and_back() -> None:
    assert parse_mode("e4m3").name == "e4m3:e4m3:fp32"
    assert parse_mode("bf16").name == "exact:bf16:fp32"
    assert parse_mode("lmul3") == MatmulMode("lmul3", format_named("fp32"), format_named("fp32"))
    assert parse_mode("lmul3").lmul_bits == 3 and parse_mode("e5m2").product_format == format_named("e5m2")
    for name in ARM_NAMES:
        assert parse_mode(parse_mode(name).name) == parse_mode(name)


@pytest.mark.parametrize(("name", "message"), [
    ("fp8", "unknown arm 'fp8'"),
    ("lmul0", "mantissa bits must be an integer from 1 to 22, got 0"),
    ("lmul3:fp32", "unknown arm 'lmul3:fp32'"),
    ("exact:fp32:fp64", "unknown number format 'fp64'"),
    ("square:fp32:fp32", "unknown product mode 'square'"),
])
def test_bad_arm_names_are_input_errors_naming_the_problem(name: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_mode(name)


def test_bad_shapes_and_chunks_are_input_errors() -> None:
    mode = parse_mode("fp32")
    with pytest.raises(InputError, match=r"cannot multiply shapes \(2, 3\) and \(4, 5\)"):
        emulated_matmul(np.ones((2, 3), np.float32), np.ones((4, 5), np.float32), mode)
    with pytest.raises(InputError, match="do not broadcast"):
        emulated_matmul(np.ones((2, 2, 3), np.float32), np.ones((3, 3, 5), np.float32), mode)
    with pytest.raises(InputError, match="chunk must be a positive integer"):
        emulated_matmul(np.ones((2, 3), np.float32), np.ones((3, 5), np.float32), mode, chunk=0)


@pytest.mark.parametrize("arm", ARM_NAMES)
def test_emulated_multiply_gives_the_products_a_one_step_matmul_sums(arm: str) -> None:
    mode = parse_mode(arm)
    a, b = _inputs(7, (40, 1), (1, 30))
    products = emulated_multiply(a, b, mode)
    if mode.accumulator.name == "fp32":  # a one-step sum is +0 + p: p itself but for the sign of a zero
        assert exact_bits(products + np.float32(0), emulated_matmul(a, b, mode))
    assert exact_bits(emulated_multiply(torch.from_numpy(a), torch.from_numpy(b), mode).numpy(), products)


def test_tensors_that_require_grad_and_other_dtypes_are_accepted() -> None:
    a = torch.randn(4, 6, dtype=torch.bfloat16, requires_grad=True)
    b = torch.randn(6, 3, dtype=torch.float64)
    for arm in ("lmul3", "e4m3", "e3m4", "fp32"):
        got = emulated_matmul(a, b, parse_mode(arm))
        assert got.dtype == torch.float32 and not got.requires_grad
        expected = emulated_matmul(a.detach().float().numpy(), b.float().numpy(), parse_mode(arm))
        assert exact_bits(got.numpy(), expected)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["fp32", "e5m2", "lmul3", "lmul3t", "lmul5:bf16:bf16"]), st.integers(1, 4),
       st.integers(1, 5), st.integers(0, 9), st.integers(1, 4), st.integers(1, 200),
       st.integers(0, 2**32 - 1))
def test_any_chunk_gives_the_bits_of_the_reference(arm: str, batch: int, n: int, k: int, p: int, chunk: int,
                                                   seed: int) -> None:
    mode = parse_mode(arm)
    a, b = _inputs(seed, (batch, n, k), (1, k, p))
    expected = _reference(a, b, mode)
    assert exact_bits(emulated_matmul(a, b, mode, chunk=chunk), expected)
    assert exact_bits(emulated_matmul(torch.from_numpy(a), torch.from_numpy(b), mode, chunk=chunk).numpy(),
                      expected)
