"""A FAKE of the Hailo Dataflow Compiler's Python API (`hailo_sdk_client`), for tests only.

The real DFC is a licensed wheel that cannot be installed here. This fake follows the API the
project uses, as documented in shared/reference/hailo.md section 2 and the Hailo Model Zoo:
`ClientRunner(hw_arch=...)`, `translate_onnx_model(...)`, `load_model_script(...)`,
`optimize(...)`, `compile()`, `infer_context(InferenceContext.*)`, `infer(...)`, `save_har(...)`.
It enforces the call order, argument names, node names, input shapes and NHWC layouts, and
emulates quantization (see _net.py) so parity figures are realistic but not Hailo's own.
Everything produced with it is verified against a fake, not on hardware; its version string
ends in "+fake" and its HEF bytes start with b"FAKEHEF" (see fake_hef.py).
"""

from ._runner import VERSION as __version__
from ._runner import ClientRunner
from .exposed_definitions import InferenceContext, States

FAKE = True

__all__ = ["FAKE", "ClientRunner", "InferenceContext", "States", "__version__"]
