"""Click commands, one module per command (or family); each only parses, calls, renders."""
