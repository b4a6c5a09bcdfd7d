"""Mapping Convex documents onto the planned schema, and the mapping file."""

import json
import struct
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from pgcore.convex_ids import DocumentId
from pgcore.convex_mapping import Converter, Mapping, MappingError, Rejected, row_id, row_id_bytes
from pgcore.convex_values import Encoding

NUMBERS = {"users": 10001, "chat_sessions": 10002, "messages": 10003}


def cid(table: str, n: int = 0) -> str:
    return DocumentId(NUMBERS[table], bytes([n]) * 16).encode()


def converter(target: str, mapping: Mapping | None = None) -> Converter:
    return Converter(mapping or Mapping.default(), target, Encoding.UNIFORM, NUMBERS)


def user(**fields) -> dict:
    return {"_id": cid("users"), "_creationTime": 1718031234567.891, "clerkId": "user_1", "email": "a@x.test",
            **fields}


def message(**fields) -> dict:
    return {"_id": cid("messages"), "_creationTime": 1718031234567.891, "sessionId": cid("chat_sessions"),
            "sender": "user", "content": "hi", **fields}


def test_row_ids_are_uuid5_in_a_namespace_that_never_changes():
    # Pinned: a new namespace would give every row a new id and break re-imports.
    assert row_id("z43zp6c3e75gkmz1kfwj6mbbx5sw281h") == uuid.UUID("227656a5-31a2-5273-96df-bcdd71de2df9")
    assert row_id("z43zp6c3e75gkmz1kfwj6mbbx5sw281h").version == 5


def test_default_mapping_is_the_migration_plans():
    tables = Mapping.default().tables
    assert {t: (m.source, m.fields) for t, m in tables.items()} == {
        "users": ("users", {"external_id": "clerkId", "email": "email", "full_name": "name", "image_url": "imageUrl"}),
        "chat_sessions": ("chat_sessions", {"user_id": "userId", "title": "title"}),
        "messages": ("messages", {"session_id": "sessionId", "sender": "sender", "content": "content",
                                  "embedding": "embedding"}),
    }


def test_a_user_converts_with_its_optional_fields_absent():
    row = converter("users").convert(user())
    assert row[:2] == [row_id(cid("users")), cid("users")]
    assert row[2].isoformat() == "2024-06-10T14:53:54.567891+00:00"
    assert row[4:] == ["user_1", "a@x.test", None, None]


def test_a_reference_gives_the_parents_uuid_and_its_convex_id():
    row = converter("chat_sessions").convert(
        {"_id": cid("chat_sessions"), "_creationTime": 1.5, "userId": cid("users", 7), "title": "t"})
    assert row[4:] == [row_id(cid("users", 7)), cid("users", 7), "t"]


@pytest.mark.parametrize("doc, reason", [
    (user(email=None), "missing_field"),
    ({k: v for k, v in user().items() if k != "_creationTime"}, "missing_field"),
    (user(_id=cid("messages")), "bad_id"),  # an id of another table
    (user(_id=cid("users")[:-1] + ("1" if cid("users")[-1] == "0" else "0")), "bad_id"),  # checksum
    (user(email=5), "bad_type"),
    (user(name="é" * 256), "too_long"),
    (user(name="a\x00b"), "bad_string"),
    (user(_creationTime="yesterday"), "bad_creation_time"),
    (message(sender="system"), "bad_sender"),
    (message(sessionId=cid("users")), "wrong_table_reference"),
    (message(sessionId="nope"), "bad_id"),
    (message(embedding=[0.5] * 3), "bad_embedding"),
    (["not", "an", "object"], "bad_json"),
])
def test_documents_that_cannot_land_say_why(doc, reason):
    target = "messages" if "sessionId" in (doc if isinstance(doc, dict) else {}) else "users"
    with pytest.raises(Rejected) as raised:
        converter(target).convert(doc)
    assert raised.value.reason == reason


def test_length_limits_count_characters_not_bytes():
    assert converter("users").convert(user(name="🚀" * 255))[6] == "🚀" * 255


def test_unknown_fields_are_named():
    assert converter("messages").unknown_fields(message(tokenCount=3, extra=None)) == {"tokenCount", "extra"}


def test_a_mapping_renames_tables_and_fields():
    mapping = Mapping.from_data({"users": {"table": "people", "fields": {"external_id": "authId"}}})
    assert mapping.tables["users"].source == "people"
    assert mapping.tables["users"].fields["external_id"] == "authId"
    assert mapping.tables["users"].fields["email"] == "email"
    numbers = {"people": 10001, "chat_sessions": 10002}
    row = Converter(mapping, "users", Encoding.UNIFORM, numbers).convert(
        {"_id": cid("users"), "_creationTime": 1.0, "authId": "u", "email": "e"})
    assert row[4:6] == ["u", "e"]
    with pytest.raises(Rejected, match=r"not people \(10001\)"):  # the parent is found by its new name
        Converter(mapping, "chat_sessions", Encoding.UNIFORM, numbers).convert(
            {"_id": cid("chat_sessions"), "_creationTime": 1.0, "userId": cid("messages"), "title": "t"})


@pytest.mark.parametrize("data, problem", [
    ([], "must be a JSON object"),
    ({"user": {}}, "unknown table 'user' (did you mean 'users'?)"),
    ({"users": {"fields": {"emial": "mail"}}}, "unknown column of users 'emial' (did you mean 'email'?)"),
    ({"users": {"table": ""}}, "users.table must be a non-empty string"),
    ({"users": {"tables": "x"}}, "unknown key in users 'tables' (did you mean 'table'?)"),
    ({"users": {"fields": {"email": "clerkId"}}}, "field 'clerkId' is mapped to two columns"),
    ({"users": {"fields": {"email": "_id"}}}, "must be a Convex field name"),
    ({"users": {"fields": []}}, "users.fields must be an object"),
    ({"users": []}, "users must be an object"),
])
def test_bad_mappings_say_what_is_wrong(data, problem):
    with pytest.raises(MappingError) as raised:
        Mapping.from_data(data)
    assert problem in str(raised.value)
    assert "\n" not in str(raised.value)


def test_every_problem_of_a_mapping_is_reported_on_one_line():
    with pytest.raises(MappingError) as raised:
        Mapping.from_data({"user": {}, "messages": {"fields": {"txt": "x"}}})
    assert str(raised.value).count("unknown") == 2


def test_mapping_files_that_cannot_be_read(tmp_path):
    with pytest.raises(MappingError, match="No such file"):
        Mapping.load(str(tmp_path / "absent.json"))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(MappingError, match="is not JSON"):
        Mapping.load(str(tmp_path / "bad.json"))
    (tmp_path / "ok.json").write_text(json.dumps({"messages": {"fields": {"content": "text"}}}))
    assert Mapping.load(str(tmp_path / "ok.json")).tables["messages"].fields["content"] == "text"


def test_row_id_bytes_are_the_uuid5_bytes():
    ids = ["z43zp6c3e75gkmz1kfwj6mbbx5sw281h", *(cid(t, n) for t in NUMBERS for n in range(20)), "é🚀"]
    for convex_id in ids:
        assert row_id_bytes(convex_id) == row_id(convex_id).bytes


@pytest.mark.parametrize("target, doc", [
    ("users", user(name="Zoë 🚀")),
    ("users", user()),  # optional fields absent: NULL
    ("chat_sessions", {"_id": cid("chat_sessions"), "_creationTime": 1.5, "userId": cid("users", 7), "title": "t"}),
    ("messages", message(embedding=[0.25, 3, -1e-38] + [0.5] * 1533)),
    ("messages", message()),
])
def test_wire_is_the_binary_copy_form_of_convert(target, doc):
    values, fields = converter(target).convert(doc), converter(target).wire(doc)
    assert len(values) == len(fields)
    for value, field in zip(values, fields):
        if value is None:
            assert field is None
        elif isinstance(value, uuid.UUID):
            assert field == value.bytes
        elif isinstance(value, str):
            assert field == value.encode()
        elif isinstance(value, datetime):
            assert field == struct.pack(">q", (value - datetime(2000, 1, 1, tzinfo=timezone.utc))
                                        // timedelta(microseconds=1))
        elif isinstance(value, float):
            assert field == struct.pack(">d", value)
        else:
            assert field == struct.pack(">HH", len(value), 0) + value.astype(">f4").tobytes()


def test_wire_rejects_as_convert_does():
    conv = converter("messages")
    for doc in (message(sender="system"), message(sessionId=cid("users")), message(embedding=[0.5] * 3),
                message(sessionId="nope")):
        reasons = []
        for method in (conv.convert, conv.wire, conv.wire):  # twice: a remembered reference changes nothing
            with pytest.raises(Rejected) as raised:
                method(doc)
            reasons.append((raised.value.reason, raised.value.detail))
        assert reasons[0] == reasons[1] == reasons[2]


def test_remembered_references_stay_bounded(monkeypatch):
    monkeypatch.setattr(Converter, "REFERENCE_CACHE", 4)
    conv = converter("messages")
    for n in range(10):
        assert conv.wire(message(sessionId=cid("chat_sessions", n)))[4] == row_id(cid("chat_sessions", n)).bytes
    assert len(conv._references) <= 4


def legacy(target: str, overrides: dict) -> Converter:
    return Converter(Mapping.default(), target, Encoding.LEGACY, NUMBERS, overrides)


def test_an_override_decodes_a_legacy_field_before_its_checks():
    doc = user(name="12345", imageUrl="aGk=")
    assert legacy("users", {}).convert(doc)[6:] == ["12345", "aGk="]  # no override: strings
    for context, why in [({"name": "int64"}, "name is int, not a string"),
                         ({"imageUrl": "bytes"}, "imageUrl is bytes, not a string")]:
        with pytest.raises(Rejected) as raised:
            legacy("users", {doc["_id"]: context}).convert(doc)
        assert (raised.value.reason, raised.value.detail) == ("bad_type", why)
    assert doc["name"] == "12345"  # the document itself is left as it was, for the rejects file


def test_an_override_that_does_not_fit_rejects_the_document():
    doc = message(sender="user")
    for context in ({"sender": "int64"}, "int64", ["infer"]):
        with pytest.raises(Rejected) as raised:
            legacy("messages", {doc["_id"]: context}).wire(doc)
        assert raised.value.reason == "bad_value"


def test_embedding_overrides_reach_each_element():
    doc = message(embedding=["3"] + [0.5] * 1535)
    hinted = legacy("messages", {doc["_id"]: {"embedding": ["int64"] + ["infer"] * 1535}})
    assert hinted.convert(doc)[-1][0] == 3.0
    doc = message(embedding=["Infinity"] + [0.5] * 1535)
    with pytest.raises(Rejected, match="is not finite"):
        legacy("messages", {doc["_id"]: {"embedding": ["float64inf"] + ["infer"] * 1535}}).wire(doc)
