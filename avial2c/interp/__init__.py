"""Reference interpreter: the sequential semantics of every op."""
