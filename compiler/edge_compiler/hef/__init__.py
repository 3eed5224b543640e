"""The DFC step: an ONNX artifact folder -> + a parity-checked encoder.hef (edge_compiler.hef.dfc).

Everything here talks to (or prepares for) Hailo's Dataflow Compiler; the artifact versions of
`edge_compiler build` do not depend on this package, the HEF's own inputs key does
(`dfc.dfc_code_sha256`, over this package's source).
"""
