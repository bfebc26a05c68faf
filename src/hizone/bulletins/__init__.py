"""Facts from the Torch Center's bulletins (火炬动态): extraction with character offsets, units normalised.

Pure engines: no web or database imports. Storage, review and the comparison with reported statistics
live in `hizone.store.bulletins` and the analytics/web layers.
"""
