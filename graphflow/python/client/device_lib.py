"""``from tensorflow.python.client import device_lib``: the devices graphflow runs on."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DeviceAttributes:
    name: str
    device_type: str
    memory_limit: int = 0


def list_local_devices(session_config: object = None) -> list[DeviceAttributes]:
    """The CPU (graphflow's CPU target) and, when the CUDA target can run, the GPU."""
    from graphflow.platform.cuda import cuda_available
    gpu = [DeviceAttributes("/device:GPU:0", "GPU")] if cuda_available()[0] else []
    return [DeviceAttributes("/device:CPU:0", "CPU")] + gpu
