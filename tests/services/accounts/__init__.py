"""Tests of services/accounts/: linking personal accounts and the overview."""
