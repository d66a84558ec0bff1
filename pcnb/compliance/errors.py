"""The error a rule file raises, shared by the rule set (rules.py) and the shapes it may be based on
(shapes.py), which each read files."""

from __future__ import annotations

from pcnb.errors import ConfigError


class RulesError(ConfigError):
    """A rule file that cannot be used: every problem, each with its key and fix."""
