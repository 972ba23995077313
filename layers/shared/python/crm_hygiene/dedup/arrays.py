"""The numpy array types the matcher passes between its modules (one definition each)."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

Index: TypeAlias = npt.NDArray[np.int64]
"""Row positions (into a table, a block, a pair list)."""
Floats: TypeAlias = npt.NDArray[np.float64]
"""One float per row or per pair (weights, probabilities)."""
