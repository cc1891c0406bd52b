"""Fetching pages: the HTTP client that records every hop as the wire carried it."""
