"""PyTorch-style data loading: map-style ``Dataset`` (``__getitem__`` / ``__len__``),
``TensorDataset`` and ``DataLoader`` yielding numpy batches (tuples and dicts collated), with a
tqdm progress bar when asked and installed. The batches are fed to ``sess.run`` as they are."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from graphflow.platform import mpi

__all__ = ["DataLoader", "Dataset", "DistributedSampler", "TensorDataset", "default_collate"]


class Dataset:
    """Map-style: subclasses give ``__getitem__(i)`` and ``__len__()``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Item i is ``tuple(t[i] for t in tensors)``; every array has the same first dim."""

    def __init__(self, *tensors: npt.ArrayLike) -> None:
        arrays = [np.asarray(t.detach().cpu().numpy() if hasattr(t, "detach") else t) for t in tensors]
        if not arrays or len({len(a) for a in arrays}) != 1:
            raise ValueError("TensorDataset needs arrays with one first dim")
        self.tensors = tuple(arrays)

    def __getitem__(self, index: int) -> tuple:
        return tuple(a[index] for a in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


def default_collate(items: list[Any]) -> Any:
    """Stack a list of items: tuples, lists and dicts element by element, numbers into arrays."""
    first = items[0]
    if isinstance(first, dict):
        return {k: default_collate([it[k] for it in items]) for k in first}
    if isinstance(first, (tuple, list)):
        return type(first)(default_collate(list(col)) for col in zip(*items)) if isinstance(first, tuple) \
            else [default_collate(list(col)) for col in zip(*items)]
    return np.stack([np.asarray(it) for it in items])


class DistributedSampler:
    """PyTorch's: the indices of rank ``rank``'s part of ``dataset`` among ``num_replicas`` ranks,
    every rank the same count (the order padded by wrapping around, or cut with ``drop_last``),
    shuffled per epoch (``set_epoch``) with the same ``seed`` on every rank. The defaults come
    from ``graphflow.distributed`` (this process's rank and the job's size)."""

    def __init__(self, dataset: Dataset | Sequence[Any], num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            mpi.init()
            num_replicas = mpi.size() if num_replicas is None else num_replicas
            rank = mpi.rank() if rank is None else rank
        if not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler rank {rank} is not in [0, {num_replicas})")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, int(seed), drop_last, 0
        n = len(dataset)
        self.num_samples = n // self.num_replicas if drop_last else -(-n // self.num_replicas)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        order = np.random.RandomState(self.seed + self.epoch).permutation(n) if self.shuffle else np.arange(n)
        total = self.num_samples * self.num_replicas
        if total > n:
            order = np.concatenate([order, np.resize(order, total - n)])
        return iter(order[:total][self.rank::self.num_replicas].tolist())


class DataLoader:
    def __init__(self, dataset: Dataset | Sequence[Any], batch_size: int | None = 1, shuffle: bool = False,
                 drop_last: bool = False, collate_fn: Callable[[list[Any]], Any] | None = None,
                 generator: np.random.RandomState | None = None, seed: int | None = None,
                 progress: bool = False, num_workers: int = 0,
                 sampler: DistributedSampler | Sequence[int] | None = None, **kwargs: object) -> None:
        if sampler is not None and shuffle:
            raise ValueError("DataLoader takes sampler or shuffle, not both (expected shuffle=False with a sampler)")
        self.sampler = sampler
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn or default_collate
        self.rs = generator if isinstance(generator, np.random.RandomState) else np.random.RandomState(seed)
        self.progress = progress

    def __len__(self) -> int:
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _batches(self) -> Iterator[Any]:
        if self.sampler is not None:
            order = np.fromiter(iter(self.sampler), dtype=np.int64)
        else:
            order = self.rs.permutation(len(self.dataset)) if self.shuffle else np.arange(len(self.dataset))
        n = len(order)
        if self.batch_size is None:
            for i in order:
                yield self.dataset[int(i)]
            return
        tensors = getattr(self.dataset, "tensors", None)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            if len(idx) < self.batch_size and self.drop_last:
                return
            if tensors is not None and self.collate_fn is default_collate:
                yield tuple(a[idx] for a in tensors)  # one gather per array, no per-item Python
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in idx])

    def __iter__(self) -> Iterator[Any]:
        it = self._batches()
        if self.progress:
            try:
                from tqdm import tqdm
            except ImportError:
                return it
            return iter(tqdm(it, total=len(self)))
        return it
