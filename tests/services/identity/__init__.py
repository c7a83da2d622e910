"""Tests of services/identity/: registration, login, recovery, profile changes, the operator view of a cabinet."""
