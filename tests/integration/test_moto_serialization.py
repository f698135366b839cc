"""DynamoDB attribute values serialized directly (callcenter.moto_serialization): the same JSON as moto's walk.

Each case serializes one response twice, through the patched serializer and through moto's own generic
walk, and compares the bytes; then a real round trip through botocore shows every DynamoDB type comes back.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from callcenter import moto_serialization

ITEMS = [
    {"pk": {"S": "C1"}, "n": {"N": "42"}, "empty": {"S": ""}},
    {"flag": {"BOOL": False}, "yes": {"BOOL": True}, "nothing": {"NULL": True}},
    {"b": {"B": "aGVsbG8="}, "bs": {"BS": ["aGk=", b"raw"]}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}},
    {"m": {"M": {"inner": {"S": "x"}, "deeper": {"M": {"l": {"L": [{"N": "1"}, {"S": "two"}, None]}}},
                 "gone": None}}},
    {"l": {"L": []}, "m": {"M": {}}},
]
NOT_PLAIN = [  # not plain AttributeValue dicts: left to moto's own walk
    {"odd": {"S": "x", "surprise": "y"}},
    {"odd": {"M": {"k": {"s": "lower-case key"}}}},
]


def _serializer(operation: str) -> Any:
    """The serializer moto builds for a DynamoDB response (moto.core.responses.ActionResult.execute_result)."""
    from moto.core.serialize import XFormedAttributePicker, get_serializer_class
    from moto.core.utils import get_service_model

    service = get_service_model("dynamodb")
    return get_serializer_class("dynamodb", "json")(
        operation_model=service.operation_model(operation), value_picker=XFormedAttributePicker())


def _serialize(operation: str, result: dict[str, Any], generic: bool) -> str:
    serializer = _serializer(operation)
    if generic:  # moto's own method, as if the patch were not installed
        serializer._serialize_type_structure = (  # type: ignore[method-assign]
            lambda *args: moto_serialization._original(serializer, *args))
    return str(serializer.serialize(result)["body"])


@pytest.mark.parametrize("item", ITEMS + NOT_PLAIN)
def test_an_item_serializes_to_the_same_json_as_motos_generic_walk(backend: Any, item: dict[str, Any]) -> None:
    assert moto_serialization.installed()
    # Given a plain item, the direct path writes it (else it declines and moto's walk does)
    for value in item.values():
        if item in ITEMS:
            assert moto_serialization.serialize_attribute_value(_serializer("GetItem"), value) is not None
        else:
            with pytest.raises(moto_serialization._NotPlain):
                moto_serialization.serialize_attribute_value(_serializer("GetItem"), value)
    # Then the response is the same JSON, byte for byte
    for operation, result in (("GetItem", {"Item": item}), ("Query", {"Items": [item, item], "Count": 2}),
                              ("UpdateItem", {"Attributes": item})):
        fast, generic = _serialize(operation, result, False), _serialize(operation, result, True)
        assert fast == generic
        assert json.loads(fast)  # and it is a real document


def test_every_dynamodb_type_round_trips_through_botocore(backend: Any) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(TableName="serialization-test", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    item = {"pk": {"S": "C1"}, "n": {"N": "2.5"}, "b": {"B": b"\x00bytes"}, "ss": {"SS": ["a", "b"]},
            "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"x", b"y"]}, "bool": {"BOOL": False}, "null": {"NULL": True},
            "m": {"M": {"l": {"L": [{"S": "one"}, {"N": "2"}, {"M": {}}]}}}, "empty": {"S": ""}}
    client.put_item(TableName="serialization-test", Item=item)
    got = client.get_item(TableName="serialization-test", Key={"pk": {"S": "C1"}})["Item"]
    assert {k: v for k, v in got.items() if k not in ("ss", "ns", "bs")} == \
        {k: v for k, v in item.items() if k not in ("ss", "ns", "bs")}
    assert (sorted(got["ss"]["SS"]), sorted(got["ns"]["NS"]), sorted(got["bs"]["BS"])) == \
        (["a", "b"], ["1", "2"], [b"x", b"y"])
    (scanned,) = client.scan(TableName="serialization-test")["Items"]
    assert scanned == got
