"""What the model classes share, and the methods of plans and zones.

The classes themselves (``_models.py``: their fields, types and documentation) are generated from
the core's declarations. Each method here hands the model's JSON form to the core, which reads it
back into its own types and runs its own method: the decisions are the core's.
"""

from __future__ import annotations

from . import _enduco

# `datetime` loads with the first model, not with `import enduco` (import time, issue 15).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    from typing import Any, Callable

    from ._models import IntensityZones, ResolvedTarget, SportZones, StepTarget, TimelineSegment


def _date(text: str) -> datetime.date:
    import datetime

    return datetime.date.fromisoformat(text)


def _instant(text: str) -> datetime.datetime:
    # The core writes an instant in UTC, `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (Python 3.9 reads
    # neither the `Z` nor nanoseconds); microseconds are kept, as datetime has no finer unit.
    import datetime

    seconds, _, fraction = text.rstrip("Z").partition(".")
    micros = int(fraction[:6].ljust(6, "0")) if fraction else 0
    utc = datetime.timezone.utc
    return datetime.datetime.fromisoformat(seconds).replace(microsecond=micros, tzinfo=utc)


def _iso(value: datetime.date) -> str:
    return value.isoformat()


def _maybe(convert: Callable[[Any], Any], value: Any) -> Any:
    return None if value is None else convert(value)


def _model(name: str, text: str) -> Any:
    """Instances of the model class ``name`` from the core's JSON form (for the extension): one
    for an object, a list of them for an array."""
    import json

    from . import _models

    data, cls = json.loads(text), getattr(_models, name)
    return [cls._from_json(d) for d in data] if isinstance(data, list) else cls._from_json(data)


class Model:
    """Read-only attributes, ``repr()`` and ``==`` over the fields (``__slots__``)."""

    __slots__: tuple[str, ...] = ()
    # Equal by value, with lists inside: not hashable, like the lists.
    __hash__ = None  # type: ignore[assignment]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__}.{name} is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__}.{name} is read-only")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def _json(self) -> dict[str, Any]:
        raise NotImplementedError  # written for each class in _models.py

    def _text(self) -> str:
        import json

        return json.dumps(self._json())


def _text(model: Model | None) -> str | None:
    return None if model is None else model._text()


class PlannedWorkoutMethods(Model):
    """The core's methods of a planned workout."""

    __slots__ = ()

    @property
    def is_rest_day(self) -> bool:
        """True for a rest day (no steps, duration, distance or load)."""
        return _enduco.plan_is_rest_day(self._text())

    def local_start(self) -> datetime.datetime | None:
        """The start time in the plan's own time zone, or ``None``."""
        return _enduco.plan_local_start(self._text())

    def timeline(self, zones: IntensityZones | None = None) -> list[TimelineSegment]:
        """The steps flattened into segments (repeats unrolled), with targets resolved against
        ``zones`` when given. Bounded work (segments emitted and steps visited); a plan past the
        bounds comes back truncated — ``timeline_checked`` says so. The GIL is released while it
        runs."""
        return _enduco.plan_timeline(self._text(), _text(zones))[0]

    def timeline_checked(
        self, zones: IntensityZones | None = None
    ) -> tuple[list[TimelineSegment], bool]:
        """``(timeline, truncated)``: the same segments, and whether the plan was too large
        (hostile or broken) to unroll completely."""
        return _enduco.plan_timeline(self._text(), _text(zones))

    def to_fit_workout(self, zones: IntensityZones | None = None) -> bytes:
        """The workout as a FIT workout file (file type 5) for Garmin, Wahoo and Hammerhead
        devices; ``zones`` resolve zone targets to bounds (else FIT zone numbers). A step FIT
        cannot hold raises ``InvalidInputError`` naming the step."""
        return _enduco.plan_export(self._text(), _text(zones), "fit")

    def to_zwo(self, zones: IntensityZones | None = None) -> str:
        """The workout as ZWO (Zwift workout XML); power as a fraction of the FTP in ``zones``."""
        return _enduco.plan_export(self._text(), _text(zones), "zwo").decode()

    def to_erg(self, zones: IntensityZones | None = None) -> str:
        """The workout as an ERG file (minutes, watts)."""
        return _enduco.plan_export(self._text(), _text(zones), "erg").decode()

    def to_mrc(self, zones: IntensityZones | None = None) -> str:
        """The workout as an MRC file (minutes, percent of the FTP in ``zones``)."""
        return _enduco.plan_export(self._text(), _text(zones), "mrc").decode()


class IntensityZonesMethods(Model):
    """The core's methods of the user's intensity zones."""

    __slots__ = ()

    def for_sport(self, sport: str, metric: str) -> SportZones | None:
        """The table for ``sport`` and ``metric`` (e.g. ``"cycling"``, ``"power"``), or ``None``."""
        return _enduco.zones_for_sport(self._text(), sport, metric)

    def resolve(self, sport: str, target: StepTarget) -> ResolvedTarget | None:
        """A step target in absolute numbers for ``sport``, or ``None`` when it cannot be
        resolved."""
        return _enduco.zones_resolve(self._text(), sport, target._text())
