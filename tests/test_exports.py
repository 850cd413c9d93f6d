import inspect

import switchboard
from switchboard import errors


def _isort_key(name: str) -> tuple[int, str]:
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def test_all_is_sorted() -> None:
    """__all__ is sorted isort-style (constants, classes, functions), easy to review."""
    assert switchboard.__all__ == sorted(switchboard.__all__, key=_isort_key)


def test_all_names_exist_and_are_complete() -> None:
    """Every name in __all__ exists, and every public attribute is in __all__."""
    public = {name for name in dir(switchboard) if not name.startswith("_")}
    modules = {name for name in public if inspect.ismodule(getattr(switchboard, name))}
    assert set(switchboard.__all__) == public - modules


def test_every_exception_is_exported() -> None:
    """Every exception class defined in errors.py is importable from the package root."""
    defined = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value)
        and issubclass(value, Exception)
        and value.__module__ == errors.__name__
    }
    assert defined <= set(switchboard.__all__)


def test_every_exception_is_a_switchboard_error() -> None:
    """One hierarchy: every exception is catchable as SwitchboardError."""
    for name in switchboard.__all__:
        value = getattr(switchboard, name)
        if inspect.isclass(value) and issubclass(value, Exception):
            assert issubclass(value, switchboard.SwitchboardError), name


def test_every_warning_is_exported_and_a_switchboard_warning() -> None:
    """Warnings defined in errors.py are importable from the root and share one base class."""
    defined = {
        name: value
        for name, value in vars(errors).items()
        if inspect.isclass(value)
        and issubclass(value, Warning)
        and value.__module__ == errors.__name__
    }
    assert {"SwitchboardWarning", "UntypedParameterWarning"} <= set(defined)
    assert set(defined) <= set(switchboard.__all__)
    assert all(issubclass(value, switchboard.SwitchboardWarning) for value in defined.values())
