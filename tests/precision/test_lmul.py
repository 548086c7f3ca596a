"""L-Mul: the issue's conformance vectors, every e4m3 × e4m3 pair against a float64 reference of the
definition, random bit patterns (specials included) on numpy and torch with identical bits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precision_reference import exact_bits, same_bits
from precision_reference import lmul as reference_lmul

from verimath.errors import InputError
from verimath.precision import lmul, offset_exponent

ml_dtypes = pytest.importorskip("ml_dtypes")
torch = pytest.importorskip("torch")

VECTORS = [
    (3, 1.0, 1.0, 1.125),
    (3, 1.25, 1.375, 1.75),
    (3, 1.5, 1.5, 2.25),
    (3, 1.875, 1.875, 3.75),
    (3, -2.5, 3.0, -7.5),
    (4, 1.0625, 1.9375, 2.25),
    (4, 1.9375, 1.9375, 4.0),
]


@pytest.mark.parametrize(("m", "x", "y", "expected"), VECTORS)
def test_the_conformance_vectors_hold_on_numpy_and_torch(m: int, x: float, y: float, expected: float) -> None:
    assert lmul(np.float32(x), np.float32(y), mantissa_bits=m) == expected
    assert lmul(torch.tensor(x), torch.tensor(y), mantissa_bits=m).item() == expected


def test_the_formula_reading_does_not_carry_into_the_exponent() -> None:
    # 1.5 × 1.5 (m = 3): 1 + 0.5 + 0.5 + 1/8 = 2.125 literally; the integer addition carries and gives 2.25.
    assert lmul(np.float32(1.5), np.float32(1.5), mantissa_bits=3, semantics="formula") == 2.125
    assert lmul(np.float32(1.9375), np.float32(1.9375), mantissa_bits=4, semantics="formula") == 3.0


@pytest.mark.parametrize("m", range(1, 23))
def test_mantissas_near_all_ones_carry_up_to_twice_as_the_reference_says(m: int) -> None:
    top = 2 - 2.0**-m
    x = np.array([top, top - 2.0**-m, 1 + 2.0**-m, 1.0, top], dtype=np.float32)[:, None] * np.float32(2.0)
    y = np.array([top, top, top - 2.0**(1 - m), 1.0, 1.0], dtype=np.float32)[None, :]
    for semantics in ("integer-add", "formula"):
        expected = reference_lmul(x.astype(np.float64), y.astype(np.float64), m, semantics).astype(np.float32)
        assert exact_bits(lmul(x, y, mantissa_bits=m, semantics=semantics), expected)
        assert exact_bits(lmul(torch.from_numpy(x), torch.from_numpy(y), mantissa_bits=m,
                               semantics=semantics).numpy(), expected)


def test_the_offset_follows_the_paper() -> None:
    assert [offset_exponent(m) for m in range(1, 9)] == [1, 2, 3, 3, 4, 4, 4, 4]


def _all_values(dtype: object) -> np.ndarray:
    return np.arange(256, dtype=np.uint8).view(dtype).astype(np.float32)


@pytest.mark.parametrize(("dtype", "m"), [("float8_e4m3fn", 3), ("float8_e4m3fn", 4), ("float8_e3m4", 4)])
@pytest.mark.parametrize("semantics", ["integer-add", "formula"])
def test_every_pair_of_an_8_bit_format_matches_the_float64_reference(dtype: str, m: int,
                                                                    semantics: str) -> None:
    values = _all_values(getattr(ml_dtypes, dtype))
    x, y = values[:, None], values[None, :]
    expected = reference_lmul(x.astype(np.float64), y.astype(np.float64), m, semantics).astype(np.float32)
    got = lmul(x, y, mantissa_bits=m, semantics=semantics)
    assert got.shape == (256, 256)
    assert exact_bits(got, expected)
    on_torch = lmul(torch.from_numpy(x), torch.from_numpy(y), mantissa_bits=m, semantics=semantics)
    assert exact_bits(on_torch.numpy(), expected)


def test_the_e4m3_pairs_include_every_edge_case() -> None:
    values = _all_values(ml_dtypes.float8_e4m3fn)
    got = lmul(values[:, None], values[None, :], mantissa_bits=3)
    assert np.isnan(got).sum() == 2 * 256 * 2 - 4          # NaN rows and columns (0x7F, 0xFF)
    assert np.signbit(got[0x80, 0x01]) and got[0x80, 0x01] == 0  # -0 × tiny = -0
    assert got[0x01, 0x01] == 2.0**-18 * 1.125               # subnormal e4m3 operands are normal in float32


SPECIALS = [0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000,
            0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F800001, 0x3F800000, 0xBFC00000, 0x1F800000, 0x5F800000]
patterns = st.one_of(st.sampled_from(SPECIALS), st.integers(0, 2**32 - 1))


def _floats(bits: list[int]) -> np.ndarray:
    return np.array(bits, dtype=np.uint32).view(np.float32)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(patterns, patterns), min_size=1, max_size=64), st.integers(1, 22),
       st.sampled_from(["integer-add", "formula"]), st.sampled_from(["nearest", "truncate"]))
def test_numpy_torch_and_the_reference_agree_bit_for_bit(pairs: list[tuple[int, int]], m: int,
                                                         semantics: str, operands: str) -> None:
    x, y = _floats([p[0] for p in pairs]), _floats([p[1] for p in pairs])
    options = {"mantissa_bits": m, "semantics": semantics, "operands": operands}
    on_numpy = lmul(x, y, **options)  # type: ignore[arg-type]
    on_torch = lmul(torch.from_numpy(x), torch.from_numpy(y), **options)  # type: ignore[arg-type]
    assert exact_bits(on_numpy, on_torch.numpy())
    with np.errstate(invalid="ignore"):  # signalling NaNs widened to float64
        wide_x, wide_y = x.astype(np.float64), y.astype(np.float64)
    expected = reference_lmul(wide_x, wide_y, m, semantics, operands).astype(np.float32)
    assert exact_bits(on_numpy, expected)


@settings(max_examples=100, deadline=None)
@given(st.floats(width=32, allow_nan=False), st.floats(width=32, allow_nan=False), st.integers(1, 22))
def test_lmul_commutes_and_its_sign_is_the_xor(x: float, y: float, m: int) -> None:
    forward = lmul(np.float32(x), np.float32(y), mantissa_bits=m)
    assert exact_bits(forward, lmul(np.float32(y), np.float32(x), mantissa_bits=m))
    assert same_bits(-forward, lmul(np.float32(-x), np.float32(y), mantissa_bits=m))  # -NaN is NaN


@pytest.mark.parametrize("m", [0, 23, 3.0, True])
def test_bad_mantissa_bits_are_an_input_error(m: object) -> None:
    with pytest.raises(InputError, match="mantissa bits"):
        lmul(np.float32(1), np.float32(1), mantissa_bits=m)  # type: ignore[arg-type]


def test_truncated_operands_drop_bits_where_rounded_ones_carry() -> None:
    x, one = np.float32(1.99), np.float32(1.0)  # 1.111111…b: truncated 1.875 (m = 3), rounded 2
    assert lmul(x, one, mantissa_bits=3, operands="truncate") == 2.0   # 0.875 + 0 + 1/8 carries: 1·2^1
    assert lmul(x, one, mantissa_bits=3) == 2.25                       # (1 + 0 + 0 + 1/8)·2^1


def test_bad_semantics_operands_and_mixed_kinds_are_input_errors() -> None:
    with pytest.raises(InputError, match="semantics"):
        lmul(np.float32(1), np.float32(1), mantissa_bits=3, semantics="exact")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="operands must be one of nearest, truncate"):
        lmul(np.float32(1), np.float32(1), mantissa_bits=3, operands="up")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="mixes torch tensors and numpy arrays"):
        lmul(np.float32(1), torch.tensor(1.0), mantissa_bits=3)
