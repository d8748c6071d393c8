"""The one error type for bad input, in DESIGN.md's form ``PATH:LINE: FIELD: PROBLEM``."""
from __future__ import annotations


class InputError(ValueError):
    """Bad input, located as precisely as the source allows.

    ``str(err)`` reads ``path:line: field: problem``; the parts that do not apply
    (no line for a whole GeoJSON document, no field for a truncated gzip file)
    are left out. The CLI prints it after ``airtrack: `` and exits with status 2.
    """

    def __init__(self, problem: str, *, path: str | None = None,
                 line: int | None = None, field: str | None = None):
        self.problem = problem
        self.path = path
        self.line = line
        self.field = field
        super().__init__(self._text())

    def _text(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path) if self.line is None else f"{self.path}:{self.line}"
        elif self.line is not None:
            where = f"line {self.line}"
        parts = [p for p in (where, self.field) if p]
        return ": ".join(parts + [self.problem])

    def located(self, *, path: str | None = None, line: int | None = None,
                field_prefix: str | None = None) -> "InputError":
        """The same error with a location filled in where it was missing."""
        field = self.field
        if field_prefix:
            field = field_prefix if not field else (
                f"{field_prefix}{field}" if field.startswith("[") else f"{field_prefix}.{field}")
        return InputError(self.problem, path=self.path if self.path is not None else path,
                          line=self.line if self.line is not None else line, field=field)
