"""Formats and casts: the registry's numbers are ml_dtypes', the torch path gives ml_dtypes' bits (overflow
included, where torch's own float8 conversion differs), saturation as documented."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precision_reference import exact_bits

from verimath.errors import InputError
from verimath.precision import FORMATS, cast, format_named

ml_dtypes = pytest.importorskip("ml_dtypes")
torch = pytest.importorskip("torch")


def _dtype(name: str) -> object:
    return getattr(np, name, None) or getattr(ml_dtypes, name)


@pytest.mark.parametrize("name", list(FORMATS))
def test_the_registry_matches_ml_dtypes(name: str) -> None:
    fmt = format_named(name)
    info = ml_dtypes.finfo(_dtype(fmt.dtype_name))
    assert (fmt.max, fmt.smallest_normal, fmt.smallest_subnormal) == (
        float(info.max), float(info.smallest_normal), float(info.smallest_subnormal))
    assert fmt.mantissa_bits == info.nmant and fmt.exponent_bits == info.nexp
    infinity = np.array([np.inf], dtype=np.float32).astype(_dtype(fmt.dtype_name)).astype(np.float32)[0]
    assert fmt.has_infinity == bool(np.isinf(infinity))


@pytest.mark.parametrize("name", [name for name in FORMATS if name != "fp32"])  # fp32 cannot overflow fp32
def test_the_overflow_threshold_is_where_ml_dtypes_overflows(name: str) -> None:
    fmt = format_named(name)
    at = np.float32(fmt.overflow_threshold)
    below, above = np.nextafter(at, np.float32(0)), np.nextafter(at, np.float32(np.inf))
    rounded = cast(np.array([below, at, above], dtype=np.float32), fmt)
    assert rounded[0] == fmt.max
    assert (not np.isfinite(rounded[1])) == fmt.tie_overflows
    assert not np.isfinite(rounded[2])


def test_overflow_and_saturation_follow_the_documented_rules() -> None:
    e4m3, e5m2 = format_named("e4m3"), format_named("e5m2")
    values = np.array([464, 465, 1e6, np.inf, -np.inf], dtype=np.float32)
    assert np.isnan(cast(values, e4m3)[1:]).all() and cast(values, e4m3)[0] == 448
    assert cast(values, e4m3, saturate=True)[:3].tolist() == [448, 448, 448]
    assert np.isnan(cast(values, e4m3, saturate=True)[3:]).all()
    assert cast(values, e5m2).tolist() == [448, 448, math.inf, math.inf, -math.inf]
    assert cast(values, e5m2, saturate=True).tolist() == [448, 448, 57344, math.inf, -math.inf]


def test_torch_own_e4m3_conversion_saturates_which_is_why_overflow_is_re_marked() -> None:
    raw = torch.tensor([500.0, math.inf]).to(torch.float8_e4m3fn).float()
    assert raw.tolist() == [448.0, 448.0]
    assert torch.isnan(cast(torch.tensor([500.0, math.inf]), format_named("e4m3"))).all()


def _ml_dtypes_cast(x: np.ndarray, name: str, saturate: bool) -> np.ndarray:
    fmt = format_named(name)
    if saturate:
        x = np.where(np.isinf(x), x, np.clip(x, -fmt.max, fmt.max)).astype(np.float32)
    out = x.astype(_dtype(fmt.dtype_name)).astype(np.float32)
    return np.where(np.isnan(out), np.float32(np.nan), out)


def _interesting(name: str) -> np.ndarray:
    """Values around every boundary of a format: its range ends, the overflow threshold, the subnormals."""
    fmt = format_named(name)
    with np.errstate(over="ignore"):  # fp32's threshold is past float32: inf, an anchor like any other
        anchors = np.array([fmt.max, fmt.overflow_threshold, fmt.smallest_normal, fmt.smallest_subnormal,
                            fmt.smallest_subnormal / 2, 1.0], dtype=np.float32)
    steps = np.arange(-300, 301, dtype=np.int64)
    near = (anchors.view(np.uint32).astype(np.int64)[:, None] + steps[None, :]).ravel()
    bits = np.concatenate([near, near | 0x80000000]).astype(np.uint32)
    return bits.view(np.float32)


@pytest.mark.parametrize("name", list(FORMATS))
@pytest.mark.parametrize("saturate", [False, True])
def test_torch_casts_give_ml_dtypes_bits(name: str, saturate: bool) -> None:
    rng = np.random.default_rng(7)
    random_bits = rng.integers(0, 2**32, size=200_000, dtype=np.uint64).astype(np.uint32)
    x = np.concatenate([random_bits.view(np.float32), _interesting(name),
                        rng.standard_normal(50_000).astype(np.float32)])
    with np.errstate(invalid="ignore", over="ignore"):
        expected = _ml_dtypes_cast(x, name, saturate)
    assert exact_bits(cast(x, format_named(name), saturate=saturate), expected)
    on_torch = cast(torch.from_numpy(x), format_named(name), saturate=saturate)
    assert on_torch.dtype == torch.float32
    assert exact_bits(on_torch.numpy(), expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(width=64, allow_nan=True), min_size=1, max_size=20), st.sampled_from(list(FORMATS)))
def test_float64_inputs_round_to_float32_first_on_both_paths(values: list[float], name: str) -> None:
    x = np.array(values, dtype=np.float64)
    with np.errstate(over="ignore"):
        expected = cast(x.astype(np.float32), format_named(name))
    assert exact_bits(cast(x, format_named(name)), expected)
    assert exact_bits(cast(torch.from_numpy(x), format_named(name)).numpy(), expected)


def test_an_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(InputError, match="unknown number format 'fp8'; known: fp32, bf16"):
        format_named("fp8")
