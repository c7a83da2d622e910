# The two commands of the README: `make demo` serves the portal with demo data, `make test` runs every test.
.PHONY: demo test lint setup

demo:
	@bash scripts/demo.sh

test:
	@bash scripts/test.sh

lint: setup
	.venv/bin/ruff check .

setup:
	@bash scripts/setup.sh
