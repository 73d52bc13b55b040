"""Allocation at scale: the benchmark behind ``make bench`` (issue 6).

Run ``.venv/bin/python -m bench --help``; ``bench/__main__.py`` explains the items.
"""
