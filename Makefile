# unicore: `make demo` builds and boots the bundled example; `make test` runs every test.
# Both install whatever is missing first (scripts/install-deps).
VENV ?= .venv
PY := $(VENV)/bin/python
UNICORE := $(VENV)/bin/unicore
DEMO_OUT ?= build/demo

.PHONY: deps demo test test-fast bench gen clean

deps:
	./scripts/install-deps

demo: deps
	$(UNICORE) build examples/hello -o $(DEMO_OUT)/hello.img
	$(UNICORE) run $(DEMO_OUT)/hello.img -- world

test: deps
	$(VENV)/bin/pytest -q -x --durations=15

test-fast: deps
	$(VENV)/bin/pytest -q -m "not slow"

bench: deps
	$(PY) benchmarks/run_all.py

gen:
	$(PY) -m unicore.syscalls.gen

clean:
	rm -rf build .pytest_cache
