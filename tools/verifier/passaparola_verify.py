#!/usr/bin/env python3
"""An independent verifier for the public Merkle log of a Passaparola instance.

Written from docs/log-format.md and the public standards it cites (RFC 9162 Merkle
hashing and proofs, C2SP signed-note, tlog-checkpoint, tlog-tiles and tlog-proof,
RFC 8032 Ed25519). It shares no code with Passaparola and needs nothing but the
Python 3.11 standard library.

    passaparola_verify.py receipt FILE --key VKEY
    passaparola_verify.py log SOURCE --key VKEY [--old-checkpoint FILE] [--mirror DIR]
    passaparola_verify.py opening (--receipt FILE --key VKEY | --entry B64) --salt B64 --content TEXT
    passaparola_verify.py selftest DIR --key VKEY --old-checkpoint FILE --receipt FILE [--receipt FILE ...]

VKEY is the verifier key text (`<name>+<key id>+<base64>`) or a file holding it.
SOURCE is the log prefix URL (http(s)://host/log) or a local directory mirroring it.
Exit status: 0 when everything verifies, 1 when something does not (one line on
stderr says what), 2 for a usage error, 3 for an internal error.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime
import functools
import hashlib
import os
import re
import struct
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Callable, Iterable, NamedTuple, Optional


class VerifyError(Exception):
    """Something does not verify. The message is one readable line."""


def _fail(message: str) -> "VerifyError":
    return VerifyError(message.replace("\n", " "))


# ---------------------------------------------------------------------------------------------
# Strict base64
# ---------------------------------------------------------------------------------------------

_B64_RE = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def b64decode_strict(text: str, what: str = "base64") -> bytes:
    """Decode standard, padded base64, accepting only the one canonical encoding of the bytes.

    Anything else (other alphabets, missing or extra padding, white space, non-zero padding
    bits) is refused, so that no changed character can ever decode to the same bytes.
    """
    if not isinstance(text, str) or not _B64_RE.fullmatch(text):
        raise _fail(f"{what} is not canonical standard base64")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(f"{what} is not valid base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise _fail(f"{what} is not the canonical base64 encoding of its bytes")
    return data


# ---------------------------------------------------------------------------------------------
# Ed25519 verification (RFC 8032 §5.1)
#
# Hand-written on purpose: the Python standard library has no Ed25519 (hashlib has SHA-512 but
# no curve arithmetic), and this verifier must run on a machine with nothing but Python
# installed, so it cannot use `cryptography` or PyNaCl. It only VERIFIES public signatures over
# public data, so constant-time arithmetic is not needed. Checked against RFC 8032 §7.1 in
# test_passaparola_verify.py.
# ---------------------------------------------------------------------------------------------

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_D2 = (2 * _D) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)

# Points are in extended homogeneous coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, x*y = T/Z.
_IDENTITY = (0, 1, 1, 0)


def _pt_add(p, q):
    # RFC 8032 §5.1.4, complete addition for a = -1.
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % _P
    b = (y1 + x1) * (y2 + x2) % _P
    c = t1 * _D2 * t2 % _P
    d = z1 * 2 * z2 % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _pt_double(p):
    # RFC 8032 §5.1.4, doubling.
    x1, y1, z1, _ = p
    a = x1 * x1 % _P
    b = y1 * y1 % _P
    c = 2 * z1 * z1 % _P
    h = a + b
    e = h - (x1 + y1) * (x1 + y1)
    g = a - b
    f = c + g
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _pt_neg(p):
    x, y, z, t = p
    return ((-x) % _P, y, z, (-t) % _P)


def _pt_equal(p, q):
    x1, y1, z1, _ = p
    x2, y2, z2, _ = q
    return (x1 * z2 - x2 * z1) % _P == 0 and (y1 * z2 - y2 * z1) % _P == 0


def _decode_point(b: bytes):
    """RFC 8032 §5.1.3. Raises ValueError for a wrong length, a non-canonical y, or no point."""
    if len(b) != 32:
        raise ValueError("a point is 32 bytes")
    y = int.from_bytes(b, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= _P:
        raise ValueError("non-canonical y coordinate")
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x2 = u * pow(v, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
        if (x * x - x2) % _P != 0:
            raise ValueError("not a point on the curve")
    if x == 0 and sign == 1:
        raise ValueError("non-canonical encoding of x = 0")
    if x & 1 != sign:
        x = _P - x
    return (x, y, 1, x * y % _P)


_B = _decode_point((4 * pow(5, _P - 2, _P) % _P).to_bytes(32, "little"))


def _double_scalar_mult(s: int, p, k: int, q):
    """[s]p + [k]q, Straus-Shamir, variable time (inputs are public)."""
    pq = _pt_add(p, q)
    acc = _IDENTITY
    for i in range(max(s.bit_length(), k.bit_length()) - 1, -1, -1):
        acc = _pt_double(acc)
        bs, bk = (s >> i) & 1, (k >> i) & 1
        if bs and bk:
            acc = _pt_add(acc, pq)
        elif bs:
            acc = _pt_add(acc, p)
        elif bk:
            acc = _pt_add(acc, q)
    return acc


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 §5.1.7 (cofactorless equation [S]B = R + [k]A)."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        a = _decode_point(public_key)
        r = _decode_point(signature[:32])
    except ValueError:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % _L
    # [S]B - [k]A must equal R.
    return _pt_equal(_double_scalar_mult(s, _B, k, _pt_neg(a)), r)


@functools.lru_cache(maxsize=8192)
def _ed25519_verify_memo(public_key: bytes, message: bytes, signature: bytes) -> bool:
    # Memoised by the exact bytes: a pure function, so repeating it can only give the same answer.
    return ed25519_verify(public_key, message, signature)


# ---------------------------------------------------------------------------------------------
# C2SP signed-note and tlog-checkpoint
# ---------------------------------------------------------------------------------------------

_ALG_ED25519 = 0x01
_SIG_DASH = "\u2014 "  # "— "


def _valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: bytes


def parse_vkey(text: str) -> VerifierKey:
    """`<name>+<8 hex digits key id>+<base64(0x01 || 32-byte Ed25519 public key)>`."""
    if text.endswith("\n"):
        text = text[:-1]
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise _fail("the verifier key is not <name>+<key id>+<key>")
    name, hex_id, b64 = parts
    if not _valid_key_name(name):
        raise _fail("the verifier key's name is empty or contains a space or '+'")
    if not re.fullmatch(r"[0-9a-fA-F]{8}", hex_id):
        raise _fail("the verifier key's id is not 8 hex digits")
    raw = b64decode_strict(b64, "the verifier key")
    if len(raw) != 33 or raw[0] != _ALG_ED25519:
        raise _fail("the verifier key is not an Ed25519 key (0x01 followed by 32 bytes)")
    public_key = raw[1:]
    try:
        _decode_point(public_key)
    except ValueError:
        raise _fail("the verifier key's public key is not a valid Ed25519 point") from None
    kid = bytes.fromhex(hex_id)
    if kid != key_id(name, _ALG_ED25519, public_key):
        raise _fail("the verifier key's id does not match its name and public key")
    return VerifierKey(name, kid, public_key)


def load_vkey(arg: str) -> VerifierKey:
    """VKEY on the command line: the key text itself, or a file holding it."""
    if os.path.isfile(arg):
        with open(arg, "rb") as f:
            raw = f.read()
        try:
            arg = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _fail("the verifier key file is not UTF-8") from None
    return parse_vkey(arg)


def open_note(data: bytes, key: VerifierKey) -> str:
    """Check a signed note and return its text (up to and including its last newline).

    The note must carry a valid signature by `key`; signature lines by other keys are
    allowed and ignored (C2SP signed-note), but every line must be well formed, and a line
    naming our key with our key id must verify.
    """
    try:
        note = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail("the signed note is not valid UTF-8") from None
    split = note.rfind("\n\n")
    if split < 0:
        raise _fail("the signed note has no blank line before its signatures")
    text, sigs = note[: split + 1], note[split + 2 :]
    if any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise _fail("the signed note contains a control character")
    if not sigs.endswith("\n"):
        raise _fail("the signed note's last signature line does not end with a newline")
    verified = False
    for line in sigs[:-1].split("\n"):
        if not line.startswith(_SIG_DASH):
            raise _fail("a signature line does not start with an em dash and a space")
        fields = line[len(_SIG_DASH) :].split(" ")
        if len(fields) != 2 or not _valid_key_name(fields[0]):
            raise _fail("a signature line is not '— <name> <base64>'")
        name, b64 = fields
        blob = b64decode_strict(b64, "a signature")
        if len(blob) < 5:
            raise _fail("a signature is too short to hold a key id")
        if name != key.name or blob[:4] != key.key_id:
            continue  # another key's signature (a cosignature, say): not ours to check
        if len(blob) != 4 + 64 or not _ed25519_verify_memo(key.public_key, text.encode("utf-8"), blob[4:]):
            raise _fail(f"the signature by {key.name} does not verify")
        verified = True
    if not verified:
        raise _fail(f"the note carries no signature by the key {key.name}+{key.key_id.hex()}")
    return text


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes


_DECIMAL_RE = re.compile(r"0|[1-9][0-9]*")
_U64_MAX = 2**64 - 1


def parse_decimal(text: str, what: str) -> int:
    if not _DECIMAL_RE.fullmatch(text):
        raise _fail(f"{what} is not a canonical decimal number")
    value = int(text)
    if value > _U64_MAX:
        raise _fail(f"{what} does not fit in 64 bits")
    return value


def parse_checkpoint_body(text: str) -> Checkpoint:
    """Three lines: origin, decimal size, base64 root; no extension lines (docs/log-format.md)."""
    if not text.endswith("\n"):
        raise _fail("the checkpoint body does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) != 3:
        raise _fail(f"the checkpoint body has {len(lines)} lines, not 3")
    origin, size_text, root_text = lines
    if not origin:
        raise _fail("the checkpoint's origin is empty")
    size = parse_decimal(size_text, "the checkpoint's tree size")
    root = b64decode_strict(root_text, "the checkpoint's root hash")
    if len(root) != 32:
        raise _fail("the checkpoint's root hash is not 32 bytes")
    return Checkpoint(origin, size, root)


def open_checkpoint(data: bytes, key: VerifierKey, what: str = "checkpoint") -> Checkpoint:
    try:
        text = open_note(data, key)
        checkpoint = parse_checkpoint_body(text)
    except VerifyError as e:
        raise _fail(f"the {what} does not verify: {e}") from None
    if checkpoint.origin != key.name:
        raise _fail(f"the {what}'s origin {checkpoint.origin!r} is not the key's name {key.name!r}")
    return checkpoint


# ---------------------------------------------------------------------------------------------
# RFC 9162 Merkle trees
# ---------------------------------------------------------------------------------------------

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def mth(leaves: list[bytes], lo: int = 0, hi: Optional[int] = None) -> bytes:
    """MTH (RFC 9162 §2.1.1) of leaves[lo:hi], given the leaf HASHES."""
    if hi is None:
        hi = len(leaves)
    n = hi - lo
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[lo]
    k = _split(n)
    return node_hash(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi))


def inclusion_proof(leaves: list[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) (RFC 9162 §2.1.3.1), for tests."""

    def path(m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return path(m, lo, lo + k) + [mth(leaves, lo + k, hi)]
        return path(m - k, lo + k, hi) + [mth(leaves, lo, lo + k)]

    return path(index, 0, len(leaves))


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_proof(leaves: list[bytes], m: int) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true), RFC 9162 §2.1.4.1, for 0 < m <= n."""

    def subproof(m: int, lo: int, hi: int, b: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if b else [mth(leaves, lo, hi)]
        k = _split(n)
        if m <= k:
            return subproof(m, lo, lo + k, b) + [mth(leaves, lo + k, hi)]
        return subproof(m - k, lo + k, hi, False) + [mth(leaves, lo, lo + k)]

    if not 0 < m <= len(leaves):
        raise ValueError("a consistency proof needs 0 < m <= n")
    return subproof(m, 0, len(leaves), True)


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2, with the special cases of §2.1.4 (first == second, first == 0)."""
    if first > second:
        return False
    if first == second:
        return not proof and first_hash == second_hash
    if first == 0:
        return not proof and first_hash == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def perfect_subtree_hashes(leaves: list[bytes], height: int) -> list[bytes]:
    """The hashes of the complete subtrees of 2**height leaves, left to right."""
    level = leaves
    for _ in range(height):
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    return level


# ---------------------------------------------------------------------------------------------
# C2SP tlog-tiles
# ---------------------------------------------------------------------------------------------

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT


def _tile_index(n: int) -> str:
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def tile_path(level, n: int, width: int) -> str:
    """`tile/<L>/<N>[.p/<W>]`; level is an int or "entries"."""
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError("tile width out of range")
    path = f"tile/{level}/{_tile_index(n)}"
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


def tiles_at(count: int) -> list[tuple[int, int]]:
    """(N, width) of the tiles covering `count` hashes (or entries) at one level."""
    out = [(n, TILE_WIDTH) for n in range(count // TILE_WIDTH)]
    if count % TILE_WIDTH:
        out.append((count // TILE_WIDTH, count % TILE_WIDTH))
    return out


def decode_bundle(data: bytes) -> list[bytes]:
    """An entry bundle: entries, each prefixed with its big-endian uint16 length."""
    out, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            raise _fail("an entry bundle ends inside a length prefix")
        n = int.from_bytes(data[i : i + 2], "big")
        i += 2
        if i + n > len(data):
            raise _fail("an entry bundle ends inside an entry")
        out.append(data[i : i + n])
        i += n
    return out


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    return b"".join(len(e).to_bytes(2, "big") + e for e in entries)


# ---------------------------------------------------------------------------------------------
# Entries (format version 1)
# ---------------------------------------------------------------------------------------------

ENTRY_SIZE = 84
NO_PREVIOUS = 0xFFFFFFFFFFFFFFFF
EVENT_TYPES = {
    1: "review_published",
    2: "review_edited",
    3: "review_withdrawn",
    4: "reply_published",
    5: "reply_edited",
    6: "follow_up_published",
    7: "content_erased",
    8: "review_imported",
    9: "invitation_template_changed",
}
REVIEW_PUBLISHED = 1
REVIEW_IMPORTED = 8
INVITATION_TEMPLATE_CHANGED = 9
# An entry's subject (the 16 bytes at offset 26) is a review for events 1-8 and a business's
# invitation template for one locale for event 9. The events that begin a review's chain (and
# only begin it); a template's chain begins with, and holds only, invitation_template_changed.
FIRST_REVIEW_EVENTS = (REVIEW_PUBLISHED, REVIEW_IMPORTED)
FIRST_EVENTS = FIRST_REVIEW_EVENTS + (INVITATION_TEMPLATE_CHANGED,)


class Entry(NamedTuple):
    event: int
    time_ms: int
    business: bytes
    review: bytes  # the subject: a review's id, or an invitation template's for event 9
    previous: Optional[int]
    commitment: bytes

    @property
    def event_name(self) -> str:
        return EVENT_TYPES[self.event]

    @property
    def subject(self) -> bytes:
        return self.review

    @property
    def is_template(self) -> bool:
        return self.event == INVITATION_TEMPLATE_CHANGED

    @property
    def subject_kind(self) -> str:
        return "template" if self.is_template else "review"

    def describe(self) -> str:
        when = datetime.datetime.fromtimestamp(self.time_ms / 1000, datetime.timezone.utc)
        prev = "none" if self.previous is None else str(self.previous)
        return (
            f"{self.event_name} of {self.subject_kind} {uuid.UUID(bytes=self.subject)} "
            f"(business {uuid.UUID(bytes=self.business)}) at {when.isoformat(timespec='milliseconds')}, previous {prev}"
        )


_ENTRY_V1 = struct.Struct(">BBq16s16sQH32s")
assert _ENTRY_V1.size == ENTRY_SIZE


def decode_entry(data: bytes) -> Entry:
    """Decode a version 1 entry; reject another version, an unknown event type, a commitment
    length other than 32, and any missing or trailing bytes."""
    if len(data) >= 1 and data[0] != 1:
        raise _fail(f"an entry has format version {data[0]}, not 1")
    if len(data) >= 2 and data[1] not in EVENT_TYPES:
        raise _fail(f"an entry has the unknown event type {data[1]}")
    if len(data) >= 52 and data[50:52] != b"\x00\x20":
        raise _fail(f"an entry's commitment length is {int.from_bytes(data[50:52], 'big')}, not 32")
    if len(data) != ENTRY_SIZE:
        raise _fail(f"an entry is {len(data)} bytes, not {ENTRY_SIZE}")
    _version, event, time_ms, business, review, previous, _clen, commit = _ENTRY_V1.unpack(data)
    return Entry(event, time_ms, business, review, None if previous == NO_PREVIOUS else previous, commit)


@functools.lru_cache(maxsize=65536)
def _decode_entry_and_leaf(data: bytes) -> tuple[Entry, bytes]:
    # A pure function memoised by the exact bytes (it speeds up selftest, which re-reads
    # the same entries tens of thousands of times).
    return decode_entry(data), leaf_hash(data)


def check_entry_locally(index: int, entry: Entry) -> None:
    """What one entry says about its own place in its subject's chain."""
    if entry.previous is not None and entry.previous >= index:
        raise _fail(f"entry {index} points back to entry {entry.previous}, which is not earlier")
    if entry.previous is None and entry.event not in FIRST_EVENTS:
        raise _fail(
            f"entry {index} has no previous entry but is a {entry.event_name} event, "
            "not review_published, review_imported or invitation_template_changed"
        )
    # invitation_template_changed may have a previous entry (a later revision of the template).
    if entry.previous is not None and entry.event in FIRST_REVIEW_EVENTS:
        raise _fail(f"entry {index} is a {entry.event_name} event with a previous entry")


class Chains:
    """Each subject's chain: `previous` is the index of the subject's last earlier entry. A
    subject is a review (first entry review_published or review_imported, then only events
    1-8) or an invitation template (only invitation_template_changed)."""

    def __init__(self) -> None:
        # subject -> (index of its last entry, its business, the event type of its first entry)
        self.last: dict[bytes, tuple[int, bytes, int]] = {}

    @property
    def reviews(self) -> int:
        return sum(1 for _, _, first in self.last.values() if first != INVITATION_TEMPLATE_CHANGED)

    @property
    def templates(self) -> int:
        return sum(1 for _, _, first in self.last.values() if first == INVITATION_TEMPLATE_CHANGED)

    def follow(self, index: int, entry: Entry) -> None:
        check_entry_locally(index, entry)
        seen = self.last.get(entry.subject)
        expected = None if seen is None else seen[0]
        # Name the subject as its chain is (a review or a template), as this entry says if it begins one.
        first = entry.event if seen is None else seen[2]
        kind = "template" if first == INVITATION_TEMPLATE_CHANGED else "review"
        subject = f"{kind} {uuid.UUID(bytes=entry.subject)}"
        if entry.previous != expected:
            raise _fail(
                f"entry {index} of {subject} points back to "
                f"{'none' if entry.previous is None else entry.previous}, but the {kind}'s last earlier entry is "
                f"{'none' if expected is None else expected}"
            )
        if seen is not None and entry.is_template and kind == "review":
            raise _fail(f"entry {index} is an invitation_template_changed event in the chain of {subject}")
        if seen is not None and not entry.is_template and kind == "template":
            raise _fail(f"entry {index} is a {entry.event_name} event in the chain of {subject}")
        if seen is not None and seen[1] != entry.business:
            raise _fail(f"entry {index} of {subject} names another business than its chain")
        self.last[entry.subject] = (index, entry.business, first)


# ---------------------------------------------------------------------------------------------
# Commitments and openings
# ---------------------------------------------------------------------------------------------

COMMITMENT_DOMAIN = b"passaparola/commitment/v1"


def commitment(salt: bytes, content: str) -> bytes:
    return hashlib.sha256(COMMITMENT_DOMAIN + b"\x00" + salt + content.encode("utf-8")).digest()


def check_opening(entry: Entry, salt_b64: str, content: str) -> None:
    salt = b64decode_strict(salt_b64, "the salt")
    if len(salt) != 32:
        raise _fail(f"the salt is {len(salt)} bytes, not 32")
    if commitment(salt, content) != entry.commitment:
        raise _fail("the opening does not match the entry's commitment")


# ---------------------------------------------------------------------------------------------
# Receipts (C2SP tlog-proof)
# ---------------------------------------------------------------------------------------------

PROOF_HEADER = "c2sp.org/tlog-proof@v1"


@dataclass(frozen=True)
class Receipt:
    index: int
    entry_bytes: bytes
    entry: Entry
    checkpoint: Checkpoint


def verify_receipt(data: bytes, key: VerifierKey) -> Receipt:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail("the receipt is not valid UTF-8") from None
    split = text.find("\n\n")
    if split < 0:
        raise _fail("the receipt has no blank line before its checkpoint")
    head, note = text[:split].split("\n"), text[split + 2 :]
    if head[0] != PROOF_HEADER:
        raise _fail(f"the receipt does not start with {PROOF_HEADER}")
    i = 1
    extra = None
    if i < len(head) and head[i].startswith("extra "):
        extra = b64decode_strict(head[i][len("extra ") :], "the receipt's extra data")
        i += 1
    if extra is None:
        raise _fail("the receipt has no 'extra' line carrying the entry")
    if i >= len(head) or not head[i].startswith("index "):
        raise _fail("the receipt has no 'index' line")
    index = parse_decimal(head[i][len("index ") :], "the receipt's index")
    i += 1
    proof = []
    for line in head[i:]:
        h = b64decode_strict(line, "a proof hash")
        if len(h) != 32:
            raise _fail("a proof hash is not 32 bytes")
        proof.append(h)
    checkpoint = open_checkpoint(note.encode("utf-8"), key, "receipt's checkpoint")
    if index >= checkpoint.size:
        raise _fail(f"the receipt's index {index} is not below the checkpoint's size {checkpoint.size}")
    entry = decode_entry(extra)
    check_entry_locally(index, entry)
    if not verify_inclusion(leaf_hash(extra), index, checkpoint.size, proof, checkpoint.root):
        raise _fail(f"the inclusion proof for entry {index} does not lead to the checkpoint's root")
    return Receipt(index, extra, entry, checkpoint)


# ---------------------------------------------------------------------------------------------
# Where the log is read from
# ---------------------------------------------------------------------------------------------


class NotFound(Exception):
    pass


class Source:
    """Read `checkpoint` and `tile/...` relative to the log prefix; remembers what it read."""

    def __init__(self) -> None:
        self.read: dict[str, bytes] = {}

    def _get(self, path: str) -> bytes:
        raise NotImplementedError

    def get(self, path: str) -> bytes:
        data = self._get(path)
        self.read[path] = data
        return data


class DirSource(Source):
    def __init__(self, root: str, overlay: Optional[dict[str, bytes]] = None) -> None:
        super().__init__()
        self.root = root
        self.overlay = overlay or {}

    def _get(self, path: str) -> bytes:
        if path in self.overlay:
            return self.overlay[path]
        try:
            with open(os.path.join(self.root, *path.split("/")), "rb") as f:
                return f.read()
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(path) from None


class HttpSource(Source):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix.rstrip("/")

    def _get(self, path: str) -> bytes:
        url = f"{self.prefix}/{path}"
        request = urllib.request.Request(url, headers={"User-Agent": "passaparola-verify/1"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.read()
        except urllib.error.HTTPError as e:
            if e.code == 404:
                raise NotFound(path) from None
            raise _fail(f"GET {url}: HTTP {e.code}") from None
        except (urllib.error.URLError, OSError) as e:
            raise _fail(f"GET {url}: {getattr(e, 'reason', e)}") from None


def make_source(spec: str) -> Source:
    if re.match(r"https?://", spec):
        return HttpSource(spec)
    if not os.path.isdir(spec):
        raise _fail(f"{spec} is neither an http(s) URL nor a directory")
    return DirSource(spec)


def _fetch(source: Source, path: str, what: str) -> bytes:
    try:
        return source.get(path)
    except NotFound:
        raise _fail(f"{what} {path} is missing") from None


def fetch_tile(source: Source, level, n: int, width: int) -> bytes:
    """A tile or bundle of `width`; a partial one that is gone is cut from the full one
    (tlog-tiles: once the full tile exists only it is served). Returns what the
    `.p/<W>` tile would hold, and remembers it under the path asked for."""
    path = tile_path(level, n, width)
    what = "the entry bundle" if level == "entries" else "the tile"
    if width == TILE_WIDTH:
        return _fetch(source, path, what)
    try:
        return source.get(path)
    except NotFound:
        pass
    full_path = tile_path(level, n, TILE_WIDTH)
    full = _fetch(source, full_path, what)
    source.read.pop(full_path, None)  # what was used is the cut, remembered below
    if level == "entries":
        cut = encode_bundle(decode_bundle(full)[:width])
    else:
        cut = full[: width * 32]
    source.read[path] = cut
    return cut


def _decode_bundle_entries(data: bytes, width: int) -> tuple[list[Entry], list[bytes]]:
    raw = decode_bundle(data)
    if len(raw) != width:
        raise _fail(f"it holds {len(raw)} entries, not {width}")
    entries, leaves = [], []
    for i, e in enumerate(raw):
        try:
            entry, leaf = _decode_entry_and_leaf(e)
        except VerifyError as err:
            raise _fail(f"its entry {i}: {err}") from None
        entries.append(entry)
        leaves.append(leaf)
    return entries, leaves


# ---------------------------------------------------------------------------------------------
# Verifying the whole log
# ---------------------------------------------------------------------------------------------


@dataclass
class LogResult:
    checkpoint: Checkpoint
    old: Optional[Checkpoint]
    entries: list[Entry]
    reviews: int
    tiles: int
    bundles: int
    templates: int = 0


def verify_log(source: Source, key: VerifierKey, old_checkpoint: Optional[bytes] = None) -> LogResult:
    checkpoint = open_checkpoint(_fetch(source, "checkpoint", "the checkpoint"), key)
    old = None
    if old_checkpoint is not None:
        old = open_checkpoint(old_checkpoint, key, "old checkpoint")
        if old.size > checkpoint.size:
            raise _fail(f"the old checkpoint's size {old.size} is larger than the checkpoint's {checkpoint.size}")
    size = checkpoint.size

    # Entry bundles, their entries, the review and template chains and the level-0 tiles.
    entries: list[Entry] = []
    leaves: list[bytes] = []
    chains = Chains()
    bundles = tiles = 0
    for n, width in tiles_at(size):
        bundle = fetch_tile(source, "entries", n, width)
        try:
            bundle_entries, bundle_leaves = _decode_bundle_entries(bundle, width)
        except VerifyError as e:
            raise _fail(f"the entry bundle {tile_path('entries', n, width)} does not verify: {e}") from None
        base = n * TILE_WIDTH
        for i, entry in enumerate(bundle_entries):
            chains.follow(base + i, entry)
        entries.extend(bundle_entries)
        leaves.extend(bundle_leaves)
        bundles += 1
        tile = fetch_tile(source, 0, n, width)
        if tile != b"".join(bundle_leaves):
            raise _fail(f"the tile {tile_path(0, n, width)} does not hold the leaf hashes of the entry bundle")
        tiles += 1

    # Upper-level tiles: hash i of tile N at level L is the root of 256**L leaves.
    level = 1
    while size >> (TILE_HEIGHT * level):
        hashes = perfect_subtree_hashes(leaves, TILE_HEIGHT * level)
        for n, width in tiles_at(size >> (TILE_HEIGHT * level)):
            tile = fetch_tile(source, level, n, width)
            if tile != b"".join(hashes[n * TILE_WIDTH : n * TILE_WIDTH + width]):
                raise _fail(f"the tile {tile_path(level, n, width)} does not hold the hashes computed from the entries")
            tiles += 1
        level += 1

    if mth(leaves) != checkpoint.root:
        raise _fail(f"the root of the {size} entries is not the checkpoint's root")

    if old is not None:
        # 1. Recompute the old tree directly.
        if mth(leaves, 0, old.size) != old.root:
            raise _fail(f"the root of the first {old.size} entries is not the old checkpoint's root: the log was rewritten")
        # 2. Independently, an RFC 9162 consistency proof checked by the §2.1.4.2 algorithm.
        proof = consistency_proof(leaves, old.size) if old.size > 0 else []
        if not verify_consistency(old.size, size, old.root, checkpoint.root, proof):
            raise _fail(f"the consistency proof from size {old.size} to {size} does not verify")

    return LogResult(checkpoint, old, entries, chains.reviews, tiles, bundles, chains.templates)


# ---------------------------------------------------------------------------------------------
# Self-test: everything verifies, and every single-bit change of any input is rejected
# ---------------------------------------------------------------------------------------------


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise _fail(f"cannot read {path}: {e.strerror}") from None


def _flips(data: bytes):
    buf = bytearray(data)
    for i in range(len(buf)):
        buf[i] ^= 0x01
        yield i, bytes(buf)
        buf[i] ^= 0x01


def selftest(directory: str, key: VerifierKey, old_path: str, receipt_paths: list[str], out=sys.stdout) -> bool:
    started = time.monotonic()
    old_bytes = _read_file(old_path)
    receipts = [(p, _read_file(p)) for p in receipt_paths]

    baseline = DirSource(directory)
    result = verify_log(baseline, key, old_bytes)
    accepted = 1
    for path, data in receipts:
        verify_receipt(data, key)
        accepted += 1
    print(
        f"accepted: log at size {result.checkpoint.size} ({result.bundles} bundles, {result.tiles} tiles, "
        f"consistent with size {result.old.size}), {len(receipts)} receipt(s)",
        file=out,
    )

    log_files = ["checkpoint"]
    for dirpath, _dirs, files in os.walk(os.path.join(directory, "tile")):
        for name in files:
            rel = os.path.relpath(os.path.join(dirpath, name), directory)
            log_files.append("/".join(rel.split(os.sep)))
    log_files.sort()

    rejected = 0
    accepted_flips: list[str] = []
    crashes: list[str] = []

    def attempt(label: str, offset: int, check: Callable[[], object]) -> None:
        nonlocal rejected
        try:
            check()
        except VerifyError:
            rejected += 1
            return
        except Exception as e:  # a crash is not a clean rejection
            crashes.append(f"{label}+{offset}: {type(e).__name__}: {e}")
            return
        accepted_flips.append(f"{label}+{offset}")

    for rel in log_files:
        data = baseline.read.get(rel)
        if data is None:
            data = _read_file(os.path.join(directory, *rel.split("/")))
            print(f"warning: {rel} is not read by the verification at this size", file=out)
        for offset, flipped in _flips(data):
            attempt(rel, offset, lambda: verify_log(DirSource(directory, {rel: flipped}), key, old_bytes))
    for offset, flipped in _flips(old_bytes):
        attempt(old_path, offset, lambda: verify_log(DirSource(directory), key, flipped))
    for path, data in receipts:
        for offset, flipped in _flips(data):
            attempt(path, offset, lambda: verify_receipt(flipped, key))

    elapsed = time.monotonic() - started
    print(f"selftest took {elapsed:.1f} s", file=out)
    if accepted_flips:
        print("flips accepted (file+offset): " + ", ".join(accepted_flips[:10]), file=out)
    if crashes:
        print(f"{len(crashes)} flips crashed the verifier; first: " + "; ".join(crashes[:3]), file=out)
    print(f"selftest: {accepted} accepted, {rejected} flips rejected, {len(accepted_flips)} flips accepted", file=out)
    return not accepted_flips and not crashes


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def _write_mirror(directory: str, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        target = os.path.join(directory, *path.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)


def _cmd_receipt(args) -> int:
    key = load_vkey(args.key)
    r = verify_receipt(_read_file(args.file), key)
    print(
        f"receipt OK: entry {r.index} is in {r.checkpoint.origin} at size {r.checkpoint.size}: {r.entry.describe()}"
    )
    return 0


def _cmd_log(args) -> int:
    key = load_vkey(args.key)
    source = make_source(args.source)
    old = _read_file(args.old_checkpoint) if args.old_checkpoint else None
    result = verify_log(source, key, old)
    cp = result.checkpoint
    line = (
        f"log OK: {cp.origin} size {cp.size} root {cp.root.hex()}; {len(result.entries)} entries about "
        f"{result.reviews} reviews and {result.templates} invitation templates, "
        f"{result.bundles} bundles and {result.tiles} tiles checked"
    )
    if result.old is not None:
        line += f"; consistent with the old checkpoint at size {result.old.size}"
    if args.mirror:
        _write_mirror(args.mirror, source.read)
        line += f"; mirrored {len(source.read)} files to {args.mirror}"
    print(line)
    return 0


def _cmd_opening(args) -> int:
    if args.receipt:
        if not args.key:
            raise _fail("--receipt needs --key")
        r = verify_receipt(_read_file(args.receipt), load_vkey(args.key))
        entry, where = r.entry, f"entry {r.index}"
    else:
        entry, where = decode_entry(b64decode_strict(args.entry, "the entry")), "the entry"
    content = args.content if args.content is not None else _read_file(args.content_file).decode("utf-8")
    check_opening(entry, args.salt, content)
    print(f"opening OK: the content is what {where} ({entry.event_name}) commits to")
    return 0


def _cmd_selftest(args) -> int:
    key = load_vkey(args.key)
    return 0 if selftest(args.source_dir, key, args.old_checkpoint, args.receipt) else 1


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="passaparola_verify.py", description="Independent verifier for a Passaparola log.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("receipt", help="verify a receipt (c2sp.org/tlog-proof) offline")
    p.add_argument("file")
    p.add_argument("--key", required=True, help="verifier key text, or a file holding it")
    p.set_defaults(func=_cmd_receipt)

    p = sub.add_parser("log", help="verify the whole log from its tiles")
    p.add_argument("source", help="the log prefix URL (http(s)://host/log) or a directory mirroring it")
    p.add_argument("--key", required=True, help="verifier key text, or a file holding it")
    p.add_argument("--old-checkpoint", help="an earlier signed checkpoint the log must be consistent with")
    p.add_argument("--mirror", metavar="DIR", help="after verifying, write every file read to DIR")
    p.set_defaults(func=_cmd_log)

    p = sub.add_parser("opening", help="check an opening (salt, content) against an entry's commitment")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--receipt", help="take the entry from this receipt (verified with --key)")
    g.add_argument("--entry", help="the entry, base64")
    p.add_argument("--key")
    p.add_argument("--salt", required=True, help="the salt, base64")
    c = p.add_mutually_exclusive_group(required=True)
    c.add_argument("--content", help="the canonical content, as a string")
    c.add_argument("--content-file", help="a file holding the canonical content (UTF-8)")
    p.set_defaults(func=_cmd_opening)

    p = sub.add_parser("selftest", help="verify a mirrored log, then check every one-bit change is rejected")
    p.add_argument("source_dir")
    p.add_argument("--key", required=True)
    p.add_argument("--old-checkpoint", required=True)
    p.add_argument("--receipt", action="append", required=True)
    p.set_defaults(func=_cmd_selftest)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except VerifyError as e:
        print(f"passaparola_verify: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # pragma: no cover - a bug, but still one line
        print(f"passaparola_verify: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
