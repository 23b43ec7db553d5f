"""Records: the core's value classes, declared like dataclasses but built without `dataclasses`.

Why not `dataclasses`: `import dataclasses` loads `inspect` (and with it `ast`, `dis`
and `tokenize`), about 8 ms, and every `@dataclass` compiles its methods with `exec`,
about 0.7 ms a class. The 23 value classes that `smtpkit check` loads cost about 25 ms
that way, a quarter of the whole command, which must run within 1.5 times a plain
`smtplib` script doing the same STARTTLS and AUTH (issue 8 §5,
`benchmarks/cli_startup.py`). A record generates no code: its class carries a table
of its fields, and one shared `__init__`, `__repr__`, `__eq__` and `__hash__` read it.

Type checkers read `@record(...)` as `@dataclass(...)` (PEP 681 `dataclass_transform`),
so field types, defaults, `frozen=True` and the constructor's signature are checked
exactly as before.

What a record does is what the core's classes used of `dataclasses`, with the same
meaning: fields from the class's own annotations (after those of a record base class),
defaults, `field(default=, default_factory=, init=, repr=, compare=)`, `__post_init__`,
`frozen=True` (assignment raises `FrozenRecordError`; `object.__setattr__` in
`__post_init__` still works), `init=False` (the class writes its own `__init__`), and
`__eq__`/`__hash__` over the compared fields (frozen records are hashable, mutable
ones are not). `replace`, `asdict`, `fields` and `is_record` mirror their `dataclasses`
namesakes. Records pickle and copy like any object with a `__dict__`.

Which classes are records: the value types of the modules every command loads (model,
settings, progress, net, knowledge, checks). Modules that load only when their feature
is used (lab, reports, audit, ui, evidence) keep `dataclasses`: their start-up cost is
paid only by the people using them.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, dataclass_transform

    _T = TypeVar("_T")
else:

    def dataclass_transform(**_kwargs: object) -> object:
        """At run time PEP 681's marker is only read by type checkers: nothing to do."""
        return lambda function: function


__all__ = ["MISSING", "Field", "FrozenRecordError", "asdict", "field", "fields", "is_record", "record", "replace"]


class _Missing:
    """The sentinel for 'no default' (None is a legitimate default)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenRecordError(AttributeError):
    """Assignment to a field of a frozen record (the counterpart of `dataclasses.FrozenInstanceError`)."""


class Field:
    """One field of a record: its name, default or default factory, and whether it is in __init__, repr and ==."""

    __slots__ = ("compare", "default", "default_factory", "init", "name", "repr")

    def __init__(
        self,
        default: Any = MISSING,
        default_factory: Any = MISSING,
        init: bool = True,
        repr: bool = True,  # noqa: A002 - the dataclasses spelling, which type checkers know
        compare: bool = True,
    ) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("a field cannot have both a default and a default_factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r}, default_factory={self.default_factory!r})"


def field(
    *,
    default: Any = MISSING,
    default_factory: Callable[[], Any] | Any = MISSING,
    init: bool = True,
    repr: bool = True,  # noqa: A002
    compare: bool = True,
) -> Any:
    """Describe a field with more than a plain default, as `dataclasses.field` does."""
    return Field(default, default_factory, init, repr, compare)


def _is_class_var(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__qualname__", "")
    return isinstance(text, str) and (text.startswith(("ClassVar", "typing.ClassVar")))


def _has_default(f: Field) -> bool:
    return f.default is not MISSING or f.default_factory is not MISSING


def _collect(cls: type) -> tuple[Field, ...]:
    """The fields of `cls`: a record base class's first, then the annotations of `cls` itself, in order."""
    table: dict[str, Field] = {f.name: f for f in getattr(cls, "__record_fields__", ())}
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if _is_class_var(annotation):
            continue
        value = cls.__dict__.get(name, MISSING)
        declared = value if isinstance(value, Field) else Field(default=value)
        declared.name = name
        if isinstance(declared.default, (list, dict, set)):
            raise ValueError(f"{cls.__qualname__}.{name}: a mutable default is shared by every instance; "
                             "use field(default_factory=...)")  # fmt: skip
        if isinstance(value, Field):  # the class attribute becomes the plain default, as with dataclasses
            if declared.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, declared.default)
        table[name] = declared
    seen_default = False
    for f in table.values():
        if not f.init:
            continue
        has_default = _has_default(f)
        if seen_default and not has_default:
            raise TypeError(f"{cls.__qualname__}: field {f.name!r} without a default follows one with a default")
        seen_default |= has_default
    return tuple(table.values())


class _InitPlan:
    """What the shared `__init__` needs of a record class, worked out once when the class is made.

    Why: every DNS answer and finding is a record, and an audit makes some fifty a domain; walking the fields
    one by one cost 5.5 us a record, a twentieth of the audit's CPU. With the plan, the defaults are one dict
    update and the arguments another, and only default factories and required fields are looked at.
    """

    __slots__ = ("accepted", "defaults", "factories", "names", "required")

    def __init__(self, table: tuple[Field, ...]) -> None:
        taken = [f for f in table if f.init]
        self.names = tuple(f.name for f in taken)  # in order, for positional arguments
        self.accepted = frozenset(self.names)
        self.required = tuple(f.name for f in taken if not _has_default(f))
        # plain defaults (of init=False fields too), set first and then overwritten by the arguments given
        self.defaults = {f.name: f.default for f in table if f.default is not MISSING}
        # (name, factory, taken from the arguments when given): an init=False field's factory always runs
        self.factories = tuple((f.name, f.default_factory, f.init) for f in table if f.default_factory is not MISSING)


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    """The one constructor of every record: positional then keyword arguments, then defaults."""
    cls = type(self)
    plan: _InitPlan = cls.__record_plan__
    if args:
        if len(args) > len(plan.names):
            raise TypeError(
                f"{cls.__qualname__}() takes {len(plan.names)} positional arguments but {len(args)} were given"
            )
        for name, value in zip(plan.names, args):
            if name in kwargs:
                raise TypeError(f"{cls.__qualname__}() got multiple values for argument {name!r}")
            kwargs[name] = value
    missing = [name for name in plan.required if name not in kwargs]
    if missing:
        raise TypeError(f"{cls.__qualname__}() missing required argument(s): {', '.join(map(repr, missing))}")
    if not plan.accepted.issuperset(kwargs):
        unexpected = next(name for name in kwargs if name not in plan.accepted)
        raise TypeError(f"{cls.__qualname__}() got an unexpected keyword argument {unexpected!r}")
    state = self.__dict__
    state.update(plan.defaults)
    state.update(kwargs)
    for name, factory, init in plan.factories:
        if not init or name not in kwargs:
            state[name] = factory()
    post_init = cls.__record_post_init__
    if post_init is not None:
        post_init(self)


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in type(self).__record_fields__ if f.repr)
    return f"{type(self).__qualname__}({shown})"


def _key(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in type(self).__record_compare__)


def _eq(self: Any, other: object) -> object:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _key(self) == _key(other)


def _hash(self: Any) -> int:
    return hash(_key(self))


def _frozen_setattr(self: Any, name: str, value: object) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r} of a frozen {type(self).__qualname__}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r} of a frozen {type(self).__qualname__}")


@dataclass_transform(field_specifiers=(field, Field))
def record(*, frozen: bool = False, init: bool = True, eq: bool = True) -> Callable[[type[_T]], type[_T]]:
    """Make a class a record (see the module's docstring): ``@record(frozen=True)`` where ``@dataclass(...)`` was."""

    def build(cls: type[_T]) -> type[_T]:
        table = _collect(cls)
        own = dict(cls.__dict__)
        attributes: dict[str, object] = {
            "__record_fields__": table,
            "__record_plan__": _InitPlan(table),
            "__record_compare__": tuple(f.name for f in table if f.compare),
            "__record_post_init__": getattr(cls, "__post_init__", None),
        }
        if init and "__init__" not in own:
            attributes["__init__"] = _init
        if "__repr__" not in own:
            attributes["__repr__"] = _repr
        if eq and "__eq__" not in own:
            attributes["__eq__"] = _eq
            if own.get("__hash__") is None:  # a class body defining __eq__ gets __hash__ = None, as here
                attributes["__hash__"] = _hash if frozen else None
        if frozen:
            attributes["__setattr__"] = _frozen_setattr
            attributes["__delattr__"] = _frozen_delattr
        for name, value in attributes.items():
            setattr(cls, name, value)
        return cls

    return build


def is_record(obj: object) -> bool:
    """True for a record instance or class (as `dataclasses.is_dataclass`)."""
    return hasattr(obj, "__record_fields__")


def fields(obj: object) -> tuple[Field, ...]:
    """The fields of a record instance or class, in declaration order."""
    try:
        return obj.__record_fields__  # type: ignore[attr-defined,no-any-return]
    except AttributeError:
        raise TypeError(f"{obj!r} is not a record") from None


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy of record `obj` with `changes`, built by its constructor (so `__post_init__` validates it again)."""
    for f in fields(obj):
        if not f.init:
            if f.name in changes:
                raise ValueError(f"field {f.name!r} is not set by the constructor and cannot be replaced")
            continue
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return type(obj)(**changes)


def asdict(obj: object) -> dict[str, Any]:
    """Record `obj` as a dict, records, lists, tuples and dicts inside it converted too."""
    if not is_record(obj) or isinstance(obj, type):
        raise TypeError(f"asdict() needs a record instance, not {obj!r}")
    return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}


def _plain(value: Any) -> Any:
    if is_record(value) and not isinstance(value, type):
        return asdict(value)
    if type(value) in (list, tuple):  # exactly these: a named tuple's constructor takes no iterable
        return type(value)(_plain(v) for v in value)
    if type(value) is dict:
        return {_plain(k): _plain(v) for k, v in value.items()}
    return value
