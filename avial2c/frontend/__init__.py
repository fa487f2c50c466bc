"""Front end: MLIR text in three spellings → raw IR (grammar, reader, op readers, IR builder)."""
