"""Code that runs *inside* a sandbox cell: the zygote and the per-run hardening of its children.

This sub-package is put on ``sys.path`` of the cell's interpreter on its own (as ``_incell``), so it must
import nothing but the standard library (and, optionally, ``pyseccomp``) and use only relative imports
among its modules. It never imports ``verimath``.
"""
