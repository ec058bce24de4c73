"""Classifiers: reference implementations (students write their own in the notebooks)."""
