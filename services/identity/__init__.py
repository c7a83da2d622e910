"""Cabinets and who may act as them: registration, login, recovery, profile changes (one module each), codes, tokens,
limits, audit."""
