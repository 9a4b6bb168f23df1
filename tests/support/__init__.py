"""Helpers shared by the test suites: spec validation against the vendor definitions."""
