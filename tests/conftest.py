"""Shared test setup: matplotlib draws off screen."""

import matplotlib

matplotlib.use("Agg")
