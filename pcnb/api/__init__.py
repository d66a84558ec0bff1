"""The only HTTP layer: contract constants, credentials and OAuth, the shared rate budget, the wire
codec, the swappable transport and the client.

This package imports nothing at import time, so ``pcnb.api.contract`` stays cheap for the sandbox.
"""
