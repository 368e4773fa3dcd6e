"""Reading a YAML file so that every problem can be reported with its line.

The platform's files (catalogues, leniency lists, city rules) are validated as a whole, each
problem naming the line it was found on. A file is therefore read twice from the same text: once
into plain data (dates left as text, so that a bad date is reported rather than refused by the
parser) and once composed into nodes, whose marks give the lines.
"""
from __future__ import annotations

import dataclasses
import hashlib

import yaml


class YamlFileError(ValueError):
    """A file that cannot be read as UTF-8 YAML; ``line`` is where the parser stopped, if known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message, self.line = message, line


class _Loader(yaml.SafeLoader):
    """Safe loading that leaves dates as text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


@dataclasses.dataclass(frozen=True)
class YamlDocument:
    data: object
    root: yaml.Node | None
    sha256: str


def read_yaml(raw: bytes) -> YamlDocument:
    """Decode and parse ``raw``; raise :class:`YamlFileError` (in Chinese) when it cannot be read."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError("文件不是 UTF-8 编码") from exc
    try:
        root = yaml.compose(text)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlFileError(f"YAML 语法错误：{getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None) from exc
    return YamlDocument(data, root, hashlib.sha256(raw).hexdigest())


def line(node) -> int | None:
    """The 1-based line a node starts on, or None for no node."""
    return node.start_mark.line + 1 if node is not None else None


def child(node, key):
    """The node under ``key`` of a mapping node, or at index ``key`` of a sequence node, or None."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None
