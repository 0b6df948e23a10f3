"""``from tensorflow.python.client import device_lib``: the devices graphflow runs on."""
from __future__ import annotations

from dataclasses import dataclass

from graphflow.platform.cuda import capability


@dataclass
class DeviceAttributes:
    name: str
    device_type: str
    memory_limit: int = 0


def list_local_devices(session_config: object = None) -> list[DeviceAttributes]:
    """The CPU (graphflow's CPU target) and, when the CUDA target can run, the GPU."""
    gpu = [DeviceAttributes("/device:GPU:0", "GPU")] if capability("kernels").ok else []
    return [DeviceAttributes("/device:CPU:0", "CPU")] + gpu
