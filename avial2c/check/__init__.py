"""Checker: types, shapes and declared accesses; returns the checked program."""
