"""Tests of services/billing/: imports, bill PDFs, e-bills and the monthly dispatch, demo data."""
