# verimath — the two quick-start commands are `make run` and `make test`.
PYTHON ?= python3
PIP := $(PYTHON) -m pip

.PHONY: install system-deps browser-deps run test lint bench clean

# torch is pinned so pip takes the CPU wheel (the hf backend's tests need it, not a GPU build).
install:
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev,hf,serve,trainers,ray,precision]'

# System packages the sandbox uses (bubblewrap, libseccomp); installed only where missing and apt is available.
system-deps:
	@if ! command -v bwrap >/dev/null 2>&1 || ! ldconfig -p | grep -q libseccomp.so.2; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq bubblewrap libseccomp2 >/dev/null) \
	      || echo "warning: could not install bubblewrap/libseccomp2; the sandbox falls back to weaker isolation"; \
	  fi; \
	fi

# The main job on the embedded default: the built-in tiny model with (pal) and without (direct) tools on a fresh
# held-out set with longer numbers than in training; the HTML reports land in runs/tiny-demo/.
run: system-deps install
	$(PYTHON) -m verimath tiny-demo --out runs/tiny-demo

# Headless Chromium renders the HTML report in a test (which skips cleanly when it cannot be installed).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	    || echo "warning: could not install chromium; the HTML rendering test will be skipped"; \
	fi

test: system-deps browser-deps install
	$(PYTHON) -m ruff check src tests benchmarks
	$(PYTHON) -m pytest -q

lint:
	$(PYTHON) -m ruff check src tests benchmarks

bench: install
	$(PIP) install -q -e '.[bench]'
	for b in benchmarks/*.py; do $(PYTHON) $$b || exit 1; done

clean:
	rm -rf build dist .pytest_cache .ruff_cache
