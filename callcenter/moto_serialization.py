"""moto's JSON response serializer, with DynamoDB attribute values written directly (moto 5.2.5).

moto 5.2.5 serializes every response through the botocore output shape (`moto.core.serialize`): for each
member of each structure it asks an attribute picker for up to a dozen candidate keys (aliases, the
snake_case form, the shape's name...). A DynamoDB item is a map of `AttributeValue` structures with ten
members (S, N, B, SS, NS, BS, M, L, NULL, BOOL), so each attribute of each item returned costs some fifty
lookups, and a simulated day spends about a fifth of its time there (GetItem, Query, Scan, stream
records).

`serialize_attribute_value` writes an `AttributeValue` that moto's DynamoDB hands over as a plain dict
already in DynamoDB's JSON form ({"S": "..."}, {"M": {...}}) to exactly what moto's generic walk writes:

- members in the shape's order, a member whose value is None left out;
- S and N as `str(value)` (the generic string rule), B as base64 of the value, SS/NS/BS item by item with
  the same rules, NULL and BOOL as they are;
- M: each entry an AttributeValue (an entry whose value is None left out, as the generic map does);
  L: each element an AttributeValue (a None element kept as None, as the generic list does).

Anything else (a key that is not one of the ten members, a value that is not a dict, a response
transformer on the serializer, another shape) goes through moto's own walk, so the answer is the same
bytes. `install()` checks, on the loaded botocore models of dynamodb and dynamodbstreams, that
`AttributeValue` has exactly these members with these types; otherwise it leaves moto as it is.

Only for moto 5.2.5 (the shared guard in `callcenter.moto_patches`).
"""

from __future__ import annotations

from typing import Any

from callcenter.moto_patches import patched_moto_installed

#: AttributeValue's members as the DynamoDB and DynamoDB Streams models declare them: name -> shape type.
MEMBER_TYPES = {"S": "string", "N": "string", "B": "blob", "SS": "list", "NS": "list", "BS": "list",
                "M": "map", "L": "list", "NULL": "boolean", "BOOL": "boolean"}
_MEMBERS = frozenset(MEMBER_TYPES)
_SERVICES = ("dynamodb", "dynamodbstreams")
_original: Any = None


def _string(value: Any) -> Any:
    """moto's `_serialize_type_string` for a JSON protocol, less its Enum case (not in DynamoDB's dicts)."""
    return str(value) if value not in [None, {}, []] else value


class _NotPlain(Exception):
    """The value is not a plain AttributeValue dict: let moto's generic walk serialize it."""


def serialize_attribute_value(serializer: Any, value: Any) -> dict[str, Any]:
    """The JSON form of one AttributeValue, as moto's generic walk writes it; _NotPlain when unsure."""
    if type(value) is not dict or not value.keys() <= _MEMBERS:
        raise _NotPlain
    out: dict[str, Any] = {}
    for member in MEMBER_TYPES:  # the shape's member order, which the generic walk follows
        item = value.get(member)
        if item is None:
            continue
        if member in ("S", "N"):
            out[member] = _string(item)
        elif member == "B":
            out[member] = serializer._base64(item)
        elif member in ("SS", "NS"):
            out[member] = [_string(element) for element in item]
        elif member == "BS":
            out[member] = [serializer._base64(element) for element in item]
        elif member == "M":
            out[member] = {key: serialize_attribute_value(serializer, element) for key, element in item.items()
                           if element is not None}
        elif member == "L":
            out[member] = [None if element is None else serialize_attribute_value(serializer, element)
                           for element in item]
        else:  # NULL, BOOL
            out[member] = item
    return out


def _serialize_type_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
    if (value is not None and key and shape.name == "AttributeValue"
            and self.service_model.service_name in _SERVICES
            and not getattr(self._value_picker, "response_transformers", None)):
        try:
            plain = serialize_attribute_value(self, value)
        except _NotPlain:
            pass
        else:
            self._default_serialize(serialized, plain, shape, key)
            return
    _original(self, serialized, value, shape, key)


def _models_match() -> bool:
    from moto.core.utils import get_service_model

    for service in _SERVICES:
        shape = get_service_model(service).shape_for("AttributeValue")
        members = {name: member.type_name for name, member in shape.members.items()}
        if members != MEMBER_TYPES or shape.members["M"].value.name != "AttributeValue" or \
                shape.members["L"].member.name != "AttributeValue" or shape.serialization:
            return False
        if any(member.serialization for member in shape.members.values()):
            return False
    return True


def install() -> bool:
    """Serialize DynamoDB attribute values directly; True if installed (moto 5.2.5, matching models only)."""
    global _original
    from moto.core.serialize import BaseJSONSerializer

    if _original is not None:
        return True
    if not patched_moto_installed("moto_serialization", "moto serializes DynamoDB items through its generic "
                                                        "walk (slower, same answer)"):
        return False
    if not _models_match():
        return False
    _original = BaseJSONSerializer._serialize_type_structure
    BaseJSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]
    return True


def installed() -> bool:
    from moto.core.serialize import BaseJSONSerializer

    return BaseJSONSerializer._serialize_type_structure is _serialize_type_structure
