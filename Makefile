# The two commands of the README: `make demo` serves the portal with demo data, `make test` runs every test.
.PHONY: demo test lint setup lock

demo:
	@bash scripts/demo.sh

test:
	@bash scripts/test.sh

lint: setup
	.venv/bin/ruff check .

setup:
	@bash scripts/setup.sh

# for maintainers: requirements/*.txt anew from pyproject.toml (README, "Dependencies"); ARGS=--upgrade: newer releases
lock:
	@ARGS='$(ARGS)' bash scripts/lock.sh
