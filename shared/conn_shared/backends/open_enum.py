"""Open enums: vendor strings whose documented values are known, but never a closed set.

A status, provider or option type that a newer API version adds must be kept
and reported, not turned into a parse failure. An `OpenEnum` subclass lists the
documented values as upper-case class constants (or sets `known` outright when
there are too many to name); any other string still parses, and `is_known`
tells the two apart.
"""

from typing import Any, ClassVar

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["OpenEnum"]


class OpenEnum(str):
    """A string that may hold any value; `known` holds the values the vendor documents.

    `SetupState("connected") == SetupState.CONNECTED`, and
    `SetupState("new_state").is_known` is False.
    """

    known: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "known" not in vars(cls):
            cls.known = frozenset(
                value
                for name, value in vars(cls).items()
                if name.isupper() and not name.startswith("_") and isinstance(value, str)
            )

    @property
    def is_known(self) -> bool:
        """Whether the vendor documents this value."""
        return str(self) in type(self).known

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls, core_schema.str_schema(), serialization=core_schema.to_string_ser_schema()
        )
