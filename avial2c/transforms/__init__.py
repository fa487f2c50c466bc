"""Transforms of checked IR: passes that rewrite a program into a simpler one."""
