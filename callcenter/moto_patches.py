"""The one guard every moto patch of the local runtime shares (moto_transactions, moto_instances,
moto_serialization, moto_streams, moto_sqs, moto_items, moto_direct, moto_speedups' Table.all_items and random
strings): a patch is installed only on the moto version it was read from; on any other it warns and leaves moto
as it is."""

from __future__ import annotations

import warnings
from importlib.metadata import version

#: The moto version the local runtime's patches were read from (pinned in pyproject.toml).
PATCHED_MOTO = "5.2.5"


def patched_moto_installed(patch: str, otherwise: str) -> bool:
    """True when the installed moto is the one `patch` was written for; else warn, saying what moto does
    `otherwise` (without the patch), and return False."""
    found = version("moto")
    if found == PATCHED_MOTO:
        return True
    warnings.warn(f"callcenter.{patch} was written for moto {PATCHED_MOTO}, not moto {found}: {otherwise}",
                  stacklevel=3)
    return False
