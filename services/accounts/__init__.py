"""Personal accounts as a cabinet sees them: linking with proof, the per-email quota, the overview."""
