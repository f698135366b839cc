"""Construct ids from the lower_snake / kebab names used in the manifest, the policy and flow files."""

from __future__ import annotations

import re


def pascal(name: str) -> str:
    """"profiles" -> "Profiles", "after_hours" -> "AfterHours", "post-call" -> "PostCall"."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_-]", name) if part)
