"""Checking a period's entries: names, identity, overlaps, rules, capacity, the review."""
