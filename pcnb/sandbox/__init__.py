"""Embedded PowerClerk V2 sandbox: a real local HTTP server with a synthetic program.

It is a product feature (demo, binder, tests) rather than a test double, and it depends on nothing
in pcnb except the contract constants and the XML mapping.
"""

from pcnb.sandbox.runner import SandboxHandle, running

__all__ = ["SandboxHandle", "running"]
