"""smtpkit.record: the dataclass subset the core's value types use, with dataclasses' meaning."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from smtpkit.record import FrozenRecordError, asdict, field, fields, is_record, record, replace


@record(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)
    secret: bytes = field(default=b"", repr=False, compare=False)


@record(frozen=True)
class Key:
    x: int
    note: str = field(default="", compare=False)


@record()
class Box:
    name: str
    corner: Point | None = None
    items: dict[str, Point] = field(default_factory=dict)


@record(frozen=True)
class Upper:
    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", self.text.upper())


@record()
class Counted:
    a: int
    seen: list[int] = field(default_factory=list, init=False)


@dataclasses.dataclass(frozen=True)
class PointDC:
    x: int
    y: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)
    secret: bytes = dataclasses.field(default=b"", repr=False, compare=False)


def test_constructor_takes_positional_keyword_and_defaults_like_a_dataclass() -> None:
    assert Point(1, 2) == Point(x=1, y=2) == Point(1, y=2)
    p = Point(1)
    assert (p.x, p.y, p.tags, p.secret) == (1, 0, [], b"")
    assert Point(1).tags is not Point(1).tags  # a factory, called per instance
    assert repr(Point(1, 2, ["a"], b"k")) == repr(PointDC(1, 2, ["a"], b"k")).replace("PointDC", "Point")
    assert "secret" not in repr(Point(1, secret=b"pw"))


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "missing required argument(s): 'x'"),
        ((1, 2, [], b"", 5), {}, "takes 4 positional arguments but 5 were given"),
        ((1,), {"x": 2}, "multiple values for argument 'x'"),
        ((1,), {"z": 2}, "unexpected keyword argument 'z'"),
    ],
)
def test_a_wrong_call_is_a_type_error_naming_the_argument(args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Point(*args, **kwargs)


def test_frozen_records_refuse_assignment_and_hash_by_their_compared_fields() -> None:
    p = Point(1, 2, secret=b"a")
    with pytest.raises(FrozenRecordError):
        p.x = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.y  # type: ignore[misc]
    assert Point(1, 2, secret=b"a") == Point(1, 2, secret=b"b")  # compare=False leaves it out
    assert Point(1, 2) != Point(2, 1)
    assert hash(Key(1, "a")) == hash(Key(1, "b")) != hash(Key(2, "a"))
    assert len({Upper("a"), Upper("A")}) == 1
    assert Point(1) != PointDC(1)  # another class is never equal, as dataclasses


def test_mutable_records_are_not_hashable_and_can_change() -> None:
    b = Box("a")
    b.name = "b"
    assert b == Box("b")
    with pytest.raises(TypeError):
        hash(b)


def test_post_init_runs_on_construction_and_on_replace() -> None:
    assert Upper("mail").text == "MAIL"
    assert replace(Upper("a"), text="b").text == "B"


def test_init_false_fields_take_their_default_and_cannot_be_replaced() -> None:
    c = Counted(1)
    assert c.seen == [] and [f.name for f in fields(c)] == ["a", "seen"]
    with pytest.raises(TypeError):
        Counted(1, [2])  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="seen"):
        replace(c, seen=[1])
    assert replace(c, a=2).a == 2


def test_replace_copies_and_validates_like_the_constructor() -> None:
    p = Point(1, 2, ["t"])
    q = replace(p, y=5)
    assert q == Point(1, 5, ["t"]) and p.y == 2
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        replace(p, nope=1)


def test_asdict_converts_nested_records_lists_and_dicts_like_dataclasses() -> None:
    box = Box("b", Point(1, 2, ["t"]), {"k": Point(3)})
    assert asdict(box) == {
        "name": "b",
        "corner": {"x": 1, "y": 2, "tags": ["t"], "secret": b""},
        "items": {"k": {"x": 3, "y": 0, "tags": [], "secret": b""}},
    }
    assert asdict(Point(1, 2, ["t"])) == dataclasses.asdict(PointDC(1, 2, ["t"]))
    with pytest.raises(TypeError):
        asdict(Point)
    with pytest.raises(TypeError):
        fields(object())
    assert is_record(Point) and is_record(Point(1)) and not is_record(PointDC(1))


def test_a_mutable_default_or_a_required_field_after_a_default_is_refused_at_class_creation() -> None:
    with pytest.raises(ValueError, match="default_factory"):

        @record()
        class Shared:
            items: list[int] = []  # noqa: RUF012

    with pytest.raises(TypeError, match="'b' without a default"):

        @record()
        class Order:
            a: int = 0
            b: int  # type: ignore[misc]


def test_records_pickle_and_copy_with_their_values() -> None:
    for value in (Point(1, 2, ["t"], b"s"), Box("b", Point(1)), Upper("x")):
        assert pickle.loads(pickle.dumps(value)) == value
        assert copy.deepcopy(value) == value and copy.copy(value) == value


def test_a_record_subclass_extends_the_fields_of_its_base() -> None:
    @record(frozen=True)
    class Point3(Point):
        z: int = 0

    p = Point3(1, 2, [], b"", 3)
    assert [f.name for f in fields(p)] == ["x", "y", "tags", "secret", "z"]
    assert p.z == 3 and p != Point(1, 2)
