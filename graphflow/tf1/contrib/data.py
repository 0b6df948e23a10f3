"""``tf.contrib.data`` (TF 1.15): the transformations it kept beside ``tf.data.experimental``
(``map_and_batch``, ``shuffle_and_repeat``, ``parallel_interleave``, ``unbatch``,
``ignore_errors``, ``CsvDataset``, ``make_csv_dataset``, ``get_single_element``). Its resamplers are
not here (issue 24)."""
from graphflow.tf1.data.experimental import (
    AUTOTUNE,
    CsvDataset,
    get_single_element,
    ignore_errors,
    make_csv_dataset,
    map_and_batch,
    parallel_interleave,
    shuffle_and_repeat,
    unbatch,
)

__all__ = ["AUTOTUNE", "CsvDataset", "get_single_element", "ignore_errors", "make_csv_dataset", "map_and_batch",
           "parallel_interleave", "shuffle_and_repeat", "unbatch"]
