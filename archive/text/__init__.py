"""Pure functions over an article's text: decoding, extraction, quotes, figures, passages,
selectors and diffs. No I/O and no knowledge of WARC files or the index.
"""
