"""The utility's billing data: imports, bills and their PDF, e-bills and the monthly dispatch, demo data."""
