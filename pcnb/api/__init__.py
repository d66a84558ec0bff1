"""The only HTTP layer: credentials and OAuth, the shared rate budget, the wire
codec, the swappable transport and the client.

The wire contract's constants live in ``pcnb.contract`` (a leaf the sandbox and config import too).
This package imports nothing at import time.
"""
