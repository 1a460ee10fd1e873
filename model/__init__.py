"""vidx.model: import, convert, quantize and run S3D MIL-NCE. Heavy imports happen inside functions."""
