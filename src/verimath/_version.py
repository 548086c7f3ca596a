"""verimath's version, in a module of its own so that any package can read it without importing upward."""

from __future__ import annotations

__version__ = "0.1.0"
