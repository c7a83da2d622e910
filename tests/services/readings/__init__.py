"""Tests of services/readings/: the window, the meters a cabinet sees, submission and history."""
