"""``tf.train.Example`` and its family, with TF's field numbers (tensorflow/core/example/feature.proto
and example.proto), so their bytes are TF's for the same content.

>>> ex = Example(features=Features(feature={"x": Feature(int64_list=Int64List(value=[1, 2]))}))
>>> Example.FromString(ex.SerializeToString()).features.feature["x"].WhichOneof("kind")
'int64_list'
"""
from __future__ import annotations

from graphflow.formats.proto import messages

_SPEC = {
    "BytesList": [("value", 1, "bytes", "repeated")],
    "FloatList": [("value", 1, "float", "repeated")],
    "Int64List": [("value", 1, "int64", "repeated")],
    "Feature": [("bytes_list", 1, "BytesList", "oneof:kind"), ("float_list", 2, "FloatList", "oneof:kind"),
                ("int64_list", 3, "Int64List", "oneof:kind")],
    "Features": [("feature", 1, "map<string, Feature>")],
    "FeatureList": [("feature", 1, "Feature", "repeated")],
    "FeatureLists": [("feature_list", 1, "map<string, FeatureList>")],
    "Example": [("features", 1, "Features")],
    "SequenceExample": [("context", 1, "Features"), ("feature_lists", 2, "FeatureLists")],
}

_classes = messages("graphflow/example/example.proto", "tensorflow", _SPEC)
BytesList = _classes["BytesList"]
FloatList = _classes["FloatList"]
Int64List = _classes["Int64List"]
Feature = _classes["Feature"]
Features = _classes["Features"]
FeatureList = _classes["FeatureList"]
FeatureLists = _classes["FeatureLists"]
Example = _classes["Example"]
SequenceExample = _classes["SequenceExample"]

__all__ = list(_SPEC)
