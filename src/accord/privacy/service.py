"""The privacy desk: a data subject's removal request, from proof to the deletion notices it sends. This module
is the package's door."""

from __future__ import annotations
