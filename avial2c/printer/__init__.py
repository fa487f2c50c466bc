"""Printers: the custom (typed) and generic MLIR spellings, and a canonical form for comparing programs."""
