"""The queue-based input pipeline's names at TF1's top level (tf.FIFOQueue, tf.TextLineReader,
tf.decode_csv...) and the ``tf.queue`` namespace."""
from __future__ import annotations

import sys
import types

from graphflow.ops.csv_ops import decode_csv
from graphflow.ops.queue_ops import FIFOQueue, PaddingFIFOQueue, PriorityQueue, QueueBase, RandomShuffleQueue
from graphflow.ops.reader_ops import (
    FixedLengthRecordReader,
    IdentityReader,
    ReaderBase,
    TextLineReader,
    TFRecordReader,
    WholeFileReader,
)

queue = types.ModuleType("graphflow.queue", "tf.queue: TF1's queues")
for _cls in (FIFOQueue, PaddingFIFOQueue, PriorityQueue, QueueBase, RandomShuffleQueue):
    setattr(queue, _cls.__name__, _cls)
sys.modules[queue.__name__] = queue

TOP_LEVEL: dict[str, object] = {
    "FIFOQueue": FIFOQueue, "RandomShuffleQueue": RandomShuffleQueue, "PaddingFIFOQueue": PaddingFIFOQueue,
    "PriorityQueue": PriorityQueue, "QueueBase": QueueBase, "TextLineReader": TextLineReader,
    "WholeFileReader": WholeFileReader, "FixedLengthRecordReader": FixedLengthRecordReader,
    "TFRecordReader": TFRecordReader, "IdentityReader": IdentityReader, "ReaderBase": ReaderBase,
    "decode_csv": decode_csv, "queue": queue,
}
