"""Protobuf message classes built at import from a compact description, in a pool of their own.

TensorBoard's compat protos carry GraphDef, MetaGraphDef and the summaries; the few messages TF's
formats need beyond those (tf.train.Example, the tensor bundle's entries, SavedModel) are declared
here with TF's public field numbers and built with protobuf's descriptor API, so they are real
protobuf classes (``SerializeToString``, ``FromString``, ``MergeFrom``, text format) without
generated code. They live in a private descriptor pool: TensorFlow, imported in the same process,
registers messages of the same full names in the default pool, and the two must not collide.

A field is ``(name, number, type)`` or ``(name, number, type, "repeated")``; a type is a scalar
name (``"int64"``, ``"string"``, ``"bytes"``, ``"float"``...), a message of the same file, or
``"map<K,V>"``. A repeated scalar field is packed, as proto3 makes it. ``(name, number, type,
"oneof:kind")`` puts a field in the message's oneof ``kind`` (``WhichOneof("kind")``).

>>> msgs = messages("doc_example.proto", "doc", {"Pair": [("key", 1, "string"), ("n", 2, "int64")]})
>>> msgs["Pair"](key="a", n=3).SerializeToString()
b'\\n\\x01a\\x10\\x03'
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Field = tuple[Any, ...]

_SCALARS = {"double": 1, "float": 2, "int64": 3, "uint64": 4, "int32": 5, "fixed64": 6, "fixed32": 7,
            "bool": 8, "string": 9, "bytes": 12, "uint32": 13, "sfixed32": 15, "sfixed64": 16,
            "sint32": 17, "sint64": 18}
_MESSAGE, _ENUM = 11, 14
_pool: Any = None


def _descriptor_modules() -> tuple[Any, Any, Any]:
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError as e:  # pragma: no cover - the message is the point
        raise ImportError("TF's file formats are protobuf messages: pip install protobuf "
                          "(or graphflow's 'io' extra)") from e
    return descriptor_pb2, descriptor_pool, message_factory


def _add_field(msg: Any, package: str, field: Field, descriptor_pb2: Any, nested_owner: Any) -> None:
    name, number, kind = field[0], field[1], field[2]
    repeated = len(field) > 3 and field[3] == "repeated"
    f = msg.field.add(name=name, number=number, json_name=_camel(name))
    f.label = f.LABEL_REPEATED if repeated else f.LABEL_OPTIONAL
    if len(field) > 3 and field[3].startswith("oneof:"):
        names = [d.name for d in msg.oneof_decl]
        if field[3][6:] not in names:
            msg.oneof_decl.add(name=field[3][6:])
            names.append(field[3][6:])
        f.oneof_index = names.index(field[3][6:])
    if kind.startswith("map<"):
        key, val = (s.strip() for s in kind[4:-1].split(","))
        entry = nested_owner.nested_type.add(name=_camel(name, upper=True) + "Entry")
        entry.options.map_entry = True
        _add_field(entry, package, ("key", 1, key), descriptor_pb2, entry)
        _add_field(entry, package, ("value", 2, val), descriptor_pb2, entry)
        f.label = f.LABEL_REPEATED
        f.type = _MESSAGE
        f.type_name = f".{package}.{nested_owner.name}.{entry.name}"
    elif kind in _SCALARS:
        f.type = _SCALARS[kind]
        if repeated and kind not in ("string", "bytes"):
            f.options.packed = True
    elif kind.startswith("enum:"):
        f.type = _ENUM
        f.type_name = f".{package}.{kind[5:]}"
    else:
        f.type = _MESSAGE
        f.type_name = f".{package}.{kind}"


def _camel(name: str, upper: bool = False) -> str:
    parts = name.split("_")
    head = parts[0].capitalize() if upper else parts[0]
    return head + "".join(p.capitalize() for p in parts[1:])


def messages(file_name: str, package: str, spec: Mapping[str, Sequence[Field]],
             enums: Mapping[str, Sequence[tuple[str, int]]] | None = None) -> dict[str, Any]:
    """The message classes of ``spec`` (message name -> fields), declared in ``file_name`` under
    ``package`` in graphflow's own descriptor pool."""
    global _pool
    descriptor_pb2, descriptor_pool, message_factory = _descriptor_modules()
    if _pool is None:
        _pool = descriptor_pool.DescriptorPool()
    try:
        found = _pool.FindFileByName(file_name)
    except KeyError:
        fdp = descriptor_pb2.FileDescriptorProto(name=file_name, package=package, syntax="proto3")
        for ename, values in (enums or {}).items():
            e = fdp.enum_type.add(name=ename)
            for vname, vnum in values:
                e.value.add(name=vname, number=vnum)
        for mname, fields in spec.items():
            m = fdp.message_type.add(name=mname)
            for field in fields:
                _add_field(m, package, field, descriptor_pb2, m)
        found = _pool.Add(fdp) and _pool.FindFileByName(file_name)
    return {name: message_factory.GetMessageClass(found.message_types_by_name[name]) for name in spec}
