# unicore: `make demo` builds and boots the bundled example; `make test` runs every test.
# Both install whatever is missing first (scripts/install-deps).
VENV ?= .venv
PY := $(VENV)/bin/python
UNICORE := $(VENV)/bin/unicore
DEMO_OUT ?= build/demo

.PHONY: deps demo test test-fast bench gen clean

deps:
	./scripts/install-deps

# The SQLite shell, built from Debian's source package, as a unikernel; its database is kept
# on the host in $(DEMO_OUT)/data (a 9p volume), so a second `make demo` finds the rows again.
demo: deps
	$(UNICORE) build examples/hello -o $(DEMO_OUT)/hello.img
	$(UNICORE) run $(DEMO_OUT)/hello.img -- world
	$(UNICORE) build examples/sqlite -o $(DEMO_OUT)/sqlite.img --explain
	mkdir -p $(DEMO_OUT)/data
	$(UNICORE) run $(DEMO_OUT)/sqlite.img -e HOME=/ -v $(DEMO_OUT)/data:/data -- /data/demo.sqlite < examples/sqlite/demo.sql

test: deps
	$(VENV)/bin/pytest -q --durations=15

test-fast: deps
	$(VENV)/bin/pytest -q -m "not slow"

bench: deps
	$(PY) benchmarks/run_all.py

gen:
	$(PY) -m unicore.syscalls.gen

clean:
	rm -rf build .pytest_cache
