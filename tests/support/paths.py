"""Where the project is, for tests that run `python main.py` or read the repository's own files."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
