"""Ship a trained generator: an ONNX file, or a model folder in the hub convention (config.json + model.safetensors)."""
