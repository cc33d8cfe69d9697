"""git's storage, written in Python: a history's objects, one pack, packed refs, the index.

:class:`History` gathers commits (with their trees and blobs) and tags, hashing each
object as git does, and :meth:`History.write` lays the repository out on disk with a
branch checked out: the work tree, ``.git/index``, one pack of every object with its
pack index, ``packed-refs``, ``HEAD`` and ``config``. A handful of files where git's
own commands would write dozens, in a hundredth of the time; commit ids are those
``git fast-import`` gives for the same history (tests check it against git).
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from collections.abc import Mapping
from itertools import accumulate

__all__ = ["History", "init_repository", "stored"]

#: git's object type numbers in a pack.
_COMMIT, _TREE, _BLOB = 1, 2, 3
_MASK32 = 0xFFFFFFFF


def _object(kind: bytes, data: bytes) -> bytes:
    """The binary id of a git object (its SHA-1 over the header and the content)."""
    return hashlib.sha1(b"%s %d\0%s" % (kind, len(data), data)).digest()


class History:
    """A repository's history, written as git stores it: one pack, packed refs, an index.

    Objects are hashed in Python, byte for byte as ``git fast-import`` writes them (so
    commit ids are those git gives), and stored in one pack file with its index: two
    files where git itself would write dozens, as writing files is what building a
    repository costs. Branches and tags go to ``packed-refs``.
    """

    def __init__(self) -> None:
        self.objects: dict[bytes, tuple[int, bytes]] = {}  # id -> (type, content), in order
        self.commits: list[bytes] = []  # ids; a commit's "mark" is its position + 1
        self.trees: list[dict[str, bytes]] = []  # each commit's files: path -> blob id
        self.refs: dict[str, bytes] = {}  # full ref name -> commit id
        self.trees_made: dict[tuple[tuple[str, bytes], ...], bytes] = {}  # contents -> id
        #: what :meth:`write` made, as ``remove_tree`` takes it
        self.made: list[str] = []

    def _add(self, kind: int, name: bytes, data: bytes) -> bytes:
        key = _object(name, data)
        self.objects.setdefault(key, (kind, data))
        return key

    def _tree(self, files: Mapping[str, bytes]) -> bytes:
        """Store the tree of ``files`` (path -> blob id) and its subtrees; returns its id."""
        contents = tuple(sorted(files.items()))
        made = self.trees_made.get(contents)
        if made is None:
            made = self.trees_made[contents] = self._new_tree(files)
        return made

    def _new_tree(self, files: Mapping[str, bytes]) -> bytes:
        here: dict[str, bytes] = {}
        below: dict[str, dict[str, bytes]] = {}
        for path, blob in files.items():
            head, _, rest = path.partition("/")
            if rest:
                below.setdefault(head, {})[rest] = blob
            else:
                here[head] = blob
        entries = [(name.encode(), b"100644", blob) for name, blob in here.items()]
        entries += [
            (name.encode() + b"/", b"40000", self._tree(sub)) for name, sub in below.items()
        ]
        entries.sort()  # git orders a directory as its name followed by "/"
        data = b"".join(
            b"%s %s\0%s" % (mode, name.rstrip(b"/"), key) for name, mode, key in entries
        )
        return self._add(_TREE, b"tree", data)

    def commit(
        self,
        branch: str,
        files: dict[str, str],
        message: str,
        author: str,
        day: int,
        parent: int | None = None,
    ) -> int:
        """Add a commit on ``branch`` (after its tip, or after mark ``parent``); its mark."""
        ref = f"refs/heads/{branch}"
        if parent is not None:
            base: bytes | None = self.commits[parent - 1]
        else:
            base = self.refs.get(ref)
        tree = dict(self.trees[self.commits.index(base)]) if base is not None else {}
        for name, text in files.items():
            tree[name] = self._add(_BLOB, b"blob", text.encode("utf-8"))
        email = author.lower().replace(" ", ".") + "@example.com"
        stamp = f"{author} <{email}> {1709287200 + (day - 1) * 86400} +0000"  # 2024-03-01 10:00
        lines = [f"tree {self._tree(tree).hex()}"]
        if base is not None:
            lines.append(f"parent {base.hex()}")
        lines += [f"author {stamp}", f"committer {stamp}", "", message, ""]
        key = self._add(_COMMIT, b"commit", "\n".join(lines).encode("utf-8"))
        self.commits.append(key)
        self.trees.append(tree)
        self.refs[ref] = key
        return len(self.commits)

    def tag(self, name: str, mark: int) -> None:
        """A lightweight tag at mark ``mark``."""
        self.refs[f"refs/tags/{name}"] = self.commits[mark - 1]

    def write(self, path: str, branch: str, edits: Mapping[str, str]) -> dict[int, str]:
        """Write the repository at ``path`` with ``branch`` checked out and ``edits`` made.

        ``edits`` maps paths to the text the work tree holds instead of the checked-out
        one (uncommitted edits) or besides it (untracked files). Returns mark -> commit id.
        """
        tip = self.trees[self.commits.index(self.refs[f"refs/heads/{branch}"])]
        work = {file: self.objects[blob][1] for file, blob in tip.items()}
        work.update((file, text.encode("utf-8")) for file, text in edits.items())
        root = path + "/"
        os.mkdir(path)
        init_repository(path, branch)  # no refs/heads, refs/tags: refs go to packed-refs
        work_folders = sorted(  # every folder holding a file, and the folders above them
            {f[:i] for f in work for i, c in enumerate(f) if c == "/"}
        )
        for folder in work_folders:  # a folder comes after the folders above it
            os.mkdir(root + folder)
        work_folders.reverse()  # deepest first, to be removed
        pack, index, checksum = _pack(self.objects)
        pack_name = f".git/objects/pack/pack-{checksum.hex()}"
        refs = "".join(f"{key.hex()} {ref}\n" for ref, key in sorted(self.refs.items()))
        files = {
            f"{pack_name}.pack": pack,
            f"{pack_name}.idx": index,
            ".git/packed-refs": _PACKED_REFS + refs.encode(),
            **work,
        }
        # checked-out files' stat data goes to the index; an edited file's entry has none:
        # git then compares its content and sees the edit
        clean = tip.keys() - edits.keys()
        stats = {file: _write(root + file, data, file in clean) for file, data in files.items()}
        entries = [(file.encode("utf-8"), blob, stats[file]) for file, blob in sorted(tip.items())]
        _write(root + ".git/index", _index(entries))
        folders = [f"{folder}/" for folder in (*work_folders, *_GIT_FOLDERS[:0:-1])]
        self.made = [*_GIT_FILES, *files, ".git/index", *folders]
        return {mark: key.hex() for mark, key in enumerate(self.commits, 1)}


#: The repository's folders, made in this order: the work tree, then git's.
_GIT_FOLDERS = ("", ".git", ".git/objects", ".git/objects/pack", ".git/refs")
#: The files :func:`init_repository` writes.
_GIT_FILES = (".git/HEAD", ".git/config")


def init_repository(path: str, branch: str = "main") -> None:
    """Make the folder ``path`` (which exists) an empty repository on ``branch``.

    What git's commands need of what ``git init -b branch`` leaves: ``HEAD``,
    ``config`` and the object and ref folders. No ``git`` process: starting one slows the
    calls of the next milliseconds.
    """
    root = path + "/"
    for folder in _GIT_FOLDERS[1:]:
        os.mkdir(root + folder)
    head, config = _GIT_FILES
    _write(root + head, f"ref: refs/heads/{branch}\n".encode())
    _write(root + config, _GIT_CONFIG)


def _write(path: str, data: bytes, stat: bool = False) -> os.stat_result | None:
    """Create a file holding ``data``; its stat data if ``stat``.

    Plain ``os`` calls: the ``open`` stack costs more than the writing.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
        return os.fstat(fd) if stat else None
    finally:
        os.close(fd)


_PACKED_REFS = b"# pack-refs with: peeled fully-peeled sorted \n"
#: ``.git/config`` as ``git init`` writes it for a work tree.
_GIT_CONFIG = (
    b"[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
    b"\tlogallrefupdates = true\n"
)


def _pack(objects: Mapping[bytes, tuple[int, bytes]]) -> tuple[bytes, bytes, bytes]:
    """A version 2 pack of whole (undeltified) objects, its version 2 index, its checksum."""
    parts = [b"PACK" + struct.pack(">II", 2, len(objects))]
    offset, table = 12, []
    for key, (kind, data) in objects.items():
        size = len(data)
        if size < 0x800:  # most objects: a header of one or two bytes, one stored block
            header = (
                bytes((kind << 4 | size,))
                if size < 0x10
                else bytes((kind << 4 | size & 0x0F | 0x80, size >> 4))
            )
            body = b"%s%s%s%s" % (
                _ONE_BLOCK,
                _LENGTHS.pack(size, size ^ 0xFFFF),
                data,
                _ADLER.pack(zlib.adler32(data)),
            )
            entry = header + (body if size else stored(data))
        else:
            entry = _header(kind, size) + stored(data)
        table.append((key, zlib.crc32(entry), offset))
        parts.append(entry)
        offset += len(entry)
    pack = b"".join(parts)
    checksum = hashlib.sha1(pack).digest()
    table.sort()
    counts = [0] * 256
    for key, _, _ in table:
        counts[key[0]] += 1
    fanout = list(accumulate(counts))  # objects whose first byte is at most i
    n = len(table)
    index = b"".join(
        (
            b"\xfftOc" + struct.pack(">I", 2),
            struct.pack(">256I", *fanout),
            *(key for key, _, _ in table),
            struct.pack(f">{n}I", *(crc for _, crc, _ in table)),
            struct.pack(f">{n}I", *(at for _, _, at in table)),
            checksum,
        )
    )
    return pack + checksum, index + hashlib.sha1(index).digest(), checksum


def _header(kind: int, size: int) -> bytes:
    """A packed object's header: its type, then its size 4 bits and 7 at a time."""
    header, byte = bytearray(), kind << 4 | size & 0x0F
    size >>= 4
    while size:  # the high bit is set while more bytes follow
        header.append(byte | 0x80)
        byte, size = size & 0x7F, size >> 7
    header.append(byte)
    return bytes(header)


#: zlib's header (deflate, no preset dictionary) and a final stored block's first byte.
_ONE_BLOCK = b"\x78\x01\x01"
_LENGTHS = struct.Struct("<HH")
_ADLER = struct.Struct(">I")


def stored(data: bytes) -> bytes:
    """``data`` as a zlib stream of stored (uncompressed) blocks.

    Valid zlib that git inflates like any other, made without deflate, whose set-up
    alone costs more than a small object's whole write (the objects are small).
    """
    blocks = [b"\x78\x01"]  # deflate, no preset dictionary, header check
    for start in range(0, len(data), 0xFFFF):
        chunk = data[start : start + 0xFFFF]
        last = start + 0xFFFF >= len(data)
        blocks.append(struct.pack("<BHH", last, len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    if not data:
        blocks.append(b"\x01\x00\x00\xff\xff")  # one empty final block
    blocks.append(struct.pack(">I", zlib.adler32(data)))
    return b"".join(blocks)


def _index(entries: list[tuple[bytes, bytes, os.stat_result | None]]) -> bytes:
    """A version 2 index (``.git/index``) of files: (path, blob id, stat or None), by path."""
    parts = [b"DIRC" + struct.pack(">II", 2, len(entries))]
    for path, blob, st in entries:
        if st is None:  # unknown: zeros, which never match a file's stat
            fields = (0, 0, 0, 0, 0, 0, 0o100644, 0, 0, 0)
        else:
            fields = (
                st.st_ctime_ns // 10**9 & _MASK32,
                st.st_ctime_ns % 10**9,
                st.st_mtime_ns // 10**9 & _MASK32,
                st.st_mtime_ns % 10**9,
                st.st_dev & _MASK32,
                st.st_ino & _MASK32,
                0o100644,
                st.st_uid & _MASK32,
                st.st_gid & _MASK32,
                st.st_size & _MASK32,
            )
        entry = struct.pack(">10I", *fields) + blob + struct.pack(">H", min(len(path), 0xFFF))
        parts.append(entry + path + b"\0" * (8 - (len(entry) + len(path)) % 8))
    data = b"".join(parts)
    return data + hashlib.sha1(data).digest()
