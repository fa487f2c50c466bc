"""The Jinja2 environment of every template (C and CUDA) and its filters."""

from __future__ import annotations

import jinja2

from avial2c.resources import TEMPLATES


def environment() -> jinja2.Environment:
    """The Jinja2 environment of every template (C and CUDA)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.filters["c_string"] = c_string
    env.filters["c_comment"] = c_comment
    return env


def c_string(text: str) -> str:
    """TEXT for the inside of a C string literal (ASCII, no trigraphs)."""
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch in '\\"?':
            out.append("\\" + ch)
        elif 32 <= byte < 127:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)


def c_comment(text: str) -> str:
    """TEXT made safe inside a /* */ comment."""
    return text.replace("*/", "* /").replace("/*", "/ *").replace("??", "? ?").replace("\n", " ")
