"""Type stubs of the native module (python/src/lib.rs). Use the wrappers in ntk_lab."""

from os import PathLike
from typing import Callable, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

class InputError(ValueError):
    """Bad input; `field` names the field (e.g. "network.w_std")."""

    field: str

_F64 = npt.NDArray[np.float64]
_Progress = Optional[Callable[[int, int, str], Optional[bool]]]

def kernel(
    network: str,
    x1: _F64,
    x2: Optional[_F64] = None,
    get: Optional[str] = None,
    rows: Optional[Tuple[int, int]] = None,
    cols: Optional[Tuple[int, int]] = None,
) -> dict[str, _F64]: ...
def kernel_to_npy(
    network: str,
    x1: _F64,
    path: Union[str, PathLike[str]],
    x2: Optional[_F64] = None,
    get: Optional[str] = None,
    tile_size: Optional[int] = None,
    memory: Optional[int] = None,
    rows: Optional[Tuple[int, int]] = None,
    cols: Optional[Tuple[int, int]] = None,
    progress: _Progress = None,
) -> str: ...
def run(verb: str, input: str) -> str: ...
def experiment(name: str, input: str, progress: _Progress = None) -> str: ...
def experiment_list() -> str: ...
