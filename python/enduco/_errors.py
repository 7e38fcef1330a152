"""The enduco exception hierarchy: one class per error code of the SDK (docs/errors.md).

Every exception the SDK raises for an enduco-level failure is an :class:`EnducoError` with a
stable :attr:`EnducoError.code`; catch a subclass to react to one case. The class of each code
is generated from the core's table of error cases (``_error_classes.py``); this module adds
the one the binding raises itself where it knows more, and is what the native module reads.
"""

from __future__ import annotations

import errno
import os

# CLASSES (code → class): what the native module builds errors from.
from ._error_classes import CLASSES as CLASSES
from ._error_classes import EnducoError as EnducoError
from ._error_classes import InvalidInputError


class WorkoutFileNotFoundError(InvalidInputError, FileNotFoundError):
    """The FIT file given by path to ``upload_workout`` does not exist. Both an
    :class:`InvalidInputError` (``code`` is ``"invalid_input"``) and Python's own
    :class:`FileNotFoundError` (``errno`` ``ENOENT``, ``filename``), so either ``except`` catches
    it. Nothing was sent."""

    def __init__(self, filename: str) -> None:
        FileNotFoundError.__init__(self, errno.ENOENT, os.strerror(errno.ENOENT), filename)


for _cls in [*CLASSES.values(), EnducoError, WorkoutFileNotFoundError]:
    _cls.__module__ = "enduco"
del _cls
