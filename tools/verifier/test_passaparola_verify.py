"""Tests for passaparola_verify.py (standard library only).

    python3 -m unittest discover tools/verifier

Sources of the known answers:
- Ed25519: RFC 8032 §7.1, TEST 1, TEST 2, TEST 3 and TEST SHA(abc).
- Merkle roots of the first 0..8 of the eight standard leaves, and the level hashes used
  below: transparency-dev/merkle, testonly/constants.go (RootHashes, NodeHashes), the same
  values as certificate-transparency's merkle_tree_test. The inclusion paths (0, 8) and (5, 8)
  and the consistency proofs (1, 8), (6, 8) and (2, 5) are the published certificate-
  transparency / transparency-dev test vectors; the others marked "derived" were worked out by
  hand from the published NodeHashes with RFC 9162's PATH and SUBPROOF definitions.
- testdata/: the output of a real Passaparola server (`serve --demo` plus a few hundred reviews
  created through its API), captured on 127.0.0.1.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import io
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import passaparola_verify as v  # noqa: E402

TESTDATA = os.path.join(HERE, "testdata")


def td(*parts: str) -> str:
    return os.path.join(TESTDATA, *parts)


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------------------------------------
# A test-only Ed25519 signer (RFC 8032 §5.1.5-6) on the verifier's curve arithmetic. That it
# reproduces RFC 8032's public keys and signatures exercises that arithmetic further.
# ---------------------------------------------------------------------------------------------


def _encode_point(pt) -> bytes:
    x, y, z, _ = pt
    zi = pow(z, v._P - 2, v._P)
    x, y = x * zi % v._P, y * zi % v._P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _mult(a: int, pt):
    return v._double_scalar_mult(a, pt, 0, v._IDENTITY)


def _secret(seed: bytes):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def public_key(seed: bytes) -> bytes:
    return _encode_point(_mult(_secret(seed)[0], v._B))


def sign(seed: bytes, msg: bytes) -> bytes:
    a, prefix = _secret(seed)
    pub = _encode_point(_mult(a, v._B))
    r = int.from_bytes(hashlib.sha512(prefix + msg).digest(), "little") % v._L
    big_r = _encode_point(_mult(r, v._B))
    k = int.from_bytes(hashlib.sha512(big_r + pub + msg).digest(), "little") % v._L
    return big_r + ((r + k * a) % v._L).to_bytes(32, "little")


def make_vkey(name: str, seed: bytes) -> str:
    pub = public_key(seed)
    kid = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
    key = base64.b64encode(b"\x01" + pub).decode()
    return f"{name}+{kid.hex()}+{key}"


def sig_line(name: str, seed: bytes, text: str) -> str:
    pub = public_key(seed)
    kid = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
    return f"\u2014 {name} {base64.b64encode(kid + sign(seed, text.encode())).decode()}\n"


def sign_note(text: str, name: str, seed: bytes) -> bytes:
    return (text + "\n" + sig_line(name, seed, text)).encode()


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


SEED = bytes(range(32))
ORIGIN = "example.test/log"
VKEY = make_vkey(ORIGIN, SEED)

RFC8032 = [
    # (name, secret seed, public key, message, signature), RFC 8032 §7.1
    (
        "TEST 1",
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "TEST 2",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "TEST 3",
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
        "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
    (
        "TEST SHA(abc)",
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        hashlib.sha512(b"abc").hexdigest(),
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
        "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    ),
]


class Ed25519Test(unittest.TestCase):
    def test_rfc8032_vectors_verify(self):
        for name, _seed, pub, msg, sig in RFC8032:
            with self.subTest(name):
                self.assertTrue(v.ed25519_verify(bytes.fromhex(pub), bytes.fromhex(msg), bytes.fromhex(sig)))

    def test_test_signer_reproduces_rfc8032(self):
        for name, seed, pub, msg, sig in RFC8032:
            with self.subTest(name):
                self.assertEqual(public_key(bytes.fromhex(seed)).hex(), pub)
                self.assertEqual(sign(bytes.fromhex(seed), bytes.fromhex(msg)).hex(), sig)

    def test_changes_are_rejected(self):
        for name, _seed, pub, msg, sig in RFC8032:
            pub, msg, sig = bytes.fromhex(pub), bytes.fromhex(msg), bytes.fromhex(sig)
            with self.subTest(name):
                self.assertFalse(v.ed25519_verify(pub, msg + b"\x00", sig))
                for i in range(0, 64, 7):
                    bad = bytearray(sig)
                    bad[i] ^= 0x01
                    self.assertFalse(v.ed25519_verify(pub, msg, bytes(bad)), i)
                for i in range(0, 32, 5):
                    bad = bytearray(pub)
                    bad[i] ^= 0x01
                    self.assertFalse(v.ed25519_verify(bytes(bad), msg, sig), i)

    def test_lengths(self):
        _, _, pub, msg, sig = RFC8032[1]
        pub, msg, sig = bytes.fromhex(pub), bytes.fromhex(msg), bytes.fromhex(sig)
        self.assertFalse(v.ed25519_verify(pub[:31], msg, sig))
        self.assertFalse(v.ed25519_verify(pub + b"\x00", msg, sig))
        self.assertFalse(v.ed25519_verify(pub, msg, sig[:63]))
        self.assertFalse(v.ed25519_verify(pub, msg, sig + b"\x00"))

    def test_s_at_least_l_is_rejected(self):
        _, _, pub, msg, sig = RFC8032[1]
        pub, msg, sig = bytes.fromhex(pub), bytes.fromhex(msg), bytes.fromhex(sig)
        s = int.from_bytes(sig[32:], "little")
        malleated = sig[:32] + (s + v._L).to_bytes(32, "little")
        # The group equation alone would accept it...
        k = int.from_bytes(hashlib.sha512(sig[:32] + pub + msg).digest(), "little") % v._L
        lhs = v._double_scalar_mult(s + v._L, v._B, k, v._pt_neg(v._decode_point(pub)))
        self.assertTrue(v._pt_equal(lhs, v._decode_point(sig[:32])))
        # ...so the range check must be what refuses it.
        self.assertFalse(v.ed25519_verify(pub, msg, malleated))

    def test_non_canonical_points(self):
        p = v._P
        # y >= p: y = p + 1 encodes the identity's y = 1 non-canonically.
        for y in (p, p + 1, p + 18, 2**255 - 1):
            with self.assertRaises(ValueError, msg=y):
                v._decode_point(y.to_bytes(32, "little"))
        # x = 0 with the sign bit set.
        with self.assertRaises(ValueError):
            v._decode_point((1 | (1 << 255)).to_bytes(32, "little"))
        v._decode_point((1).to_bytes(32, "little"))  # the identity itself decodes
        # A y with no x on the curve (found with Euler's criterion, independently of the decoder).
        y = 2
        while True:
            u, w = (y * y - 1) % p, (v._D * y * y + 1) % p
            if pow(u * pow(w, p - 2, p) % p, (p - 1) // 2, p) == p - 1:
                break
            y += 1
        with self.assertRaises(ValueError):
            v._decode_point(y.to_bytes(32, "little"))
        # A signature whose R is the non-canonical identity, and a non-canonical public key.
        _, _, pub, msg, sig = RFC8032[0]
        pub, msg, sig = bytes.fromhex(pub), bytes.fromhex(msg), bytes.fromhex(sig)
        self.assertFalse(v.ed25519_verify(pub, msg, (p + 1).to_bytes(32, "little") + sig[32:]))
        self.assertFalse(v.ed25519_verify((p + 1).to_bytes(32, "little"), msg, sig))


class Base64Test(unittest.TestCase):
    def test_canonical(self):
        for data in (b"", b"A", b"AB", b"ABC", bytes(range(256))):
            self.assertEqual(v.b64decode_strict(base64.b64encode(data).decode()), data)

    def test_rejects(self):
        for text in (
            "QR==",  # non-zero padding bits: decodes to b"A" leniently
            "QUJ=",  # same, for two bytes
            "QQ",  # missing padding
            "QQ=",
            "QQ===",
            " QQ==",
            "QQ==\n",
            "Q Q==",
            "-_8=",  # URL-safe alphabet
            "=QQ=",
            "QUJD\n",
        ):
            with self.subTest(text):
                with self.assertRaises(v.VerifyError):
                    v.b64decode_strict(text)

    def test_every_one_bit_change_of_a_hash_is_rejected_or_changes_the_bytes(self):
        data = hashlib.sha256(b"x").digest()
        text = base64.b64encode(data).decode()
        for i in range(len(text)):
            changed = text[:i] + chr(ord(text[i]) ^ 1) + text[i + 1 :]
            try:
                self.assertNotEqual(v.b64decode_strict(changed), data)
            except v.VerifyError:
                pass


# ---------------------------------------------------------------------------------------------
# Merkle trees
# ---------------------------------------------------------------------------------------------

CT_INPUTS = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
CT_LEAVES = [v.leaf_hash(d) for d in CT_INPUTS]
# transparency-dev/merkle testonly/constants.go RootHashes(), sizes 0..8.
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# transparency-dev/merkle testonly/constants.go NodeHashes(): [level][index].
CT_NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]
# (index, size) -> path. (0, 8) and (5, 8) published; the others derived from CT_NODES.
CT_INCLUSION = {
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],  # derived
    (1, 5): ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],  # derived
    (0, 1): [],
}
# (first, second) -> proof. (1, 8), (6, 8), (2, 5) published; (6, 7) derived from CT_NODES.
CT_CONSISTENCY = {
    (1, 1): [],
    (1, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
    (6, 7): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}


def naive_mth(inputs: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 on the entries themselves, by slicing (a second, naive implementation)."""
    if not inputs:
        return hashlib.sha256(b"").digest()
    if len(inputs) == 1:
        return hashlib.sha256(b"\x00" + inputs[0]).digest()
    k = 1
    while k * 2 < len(inputs):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(inputs[:k]) + naive_mth(inputs[k:])).digest()


def hexes(hs):
    return [h.hex() for h in hs]


class MerkleTest(unittest.TestCase):
    def test_roots(self):
        for n in range(9):
            self.assertEqual(v.mth(CT_LEAVES[:n]).hex(), CT_ROOTS[n], n)

    def test_level_hashes(self):
        for level, row in enumerate(CT_NODES):
            self.assertEqual(hexes(v.perfect_subtree_hashes(CT_LEAVES, level)), row)

    def test_against_naive(self):
        rng = random.Random(1)
        inputs = [rng.randbytes(rng.randrange(0, 40)) for _ in range(70)]
        leaves = [v.leaf_hash(d) for d in inputs]
        for n in range(71):
            self.assertEqual(v.mth(leaves[:n]), naive_mth(inputs[:n]), n)

    def test_known_inclusion_proofs(self):
        for (index, size), path in CT_INCLUSION.items():
            with self.subTest(index=index, size=size):
                self.assertEqual(hexes(v.inclusion_proof(CT_LEAVES[:size], index)), path)
                proof = [bytes.fromhex(h) for h in path]
                root = bytes.fromhex(CT_ROOTS[size])
                self.assertTrue(v.verify_inclusion(CT_LEAVES[index], index, size, proof, root))

    def test_every_inclusion_and_its_tampering(self):
        for size in range(1, 9):
            root = v.mth(CT_LEAVES[:size])
            for index in range(size):
                proof = v.inclusion_proof(CT_LEAVES[:size], index)
                leaf = CT_LEAVES[index]
                self.assertTrue(v.verify_inclusion(leaf, index, size, proof, root))
                self.assertFalse(v.verify_inclusion(leaf, index, size, proof, CT_LEAVES[0] if root != CT_LEAVES[0] else CT_LEAVES[1]))
                self.assertFalse(v.verify_inclusion(leaf, size, size, proof, root))
                self.assertFalse(v.verify_inclusion(leaf, index, size, proof + [root], root))
                if proof:
                    self.assertFalse(v.verify_inclusion(leaf, index, size, proof[:-1], root))
                    for i in range(len(proof)):
                        bad = list(proof)
                        bad[i] = hashlib.sha256(bad[i]).digest()
                        self.assertFalse(v.verify_inclusion(leaf, index, size, bad, root))
                for other in range(size):
                    if other != index:
                        self.assertFalse(v.verify_inclusion(leaf, other, size, proof, root))
                        self.assertFalse(v.verify_inclusion(CT_LEAVES[other], index, size, proof, root))

    def test_known_consistency_proofs(self):
        for (m, n), path in CT_CONSISTENCY.items():
            with self.subTest(m=m, n=n):
                self.assertEqual(hexes(v.consistency_proof(CT_LEAVES[:n], m)), path)
                proof = [bytes.fromhex(h) for h in path]
                self.assertTrue(v.verify_consistency(m, n, bytes.fromhex(CT_ROOTS[m]), bytes.fromhex(CT_ROOTS[n]), proof))

    def test_every_consistency_and_its_tampering(self):
        rng = random.Random(2)
        leaves = [v.leaf_hash(rng.randbytes(8)) for _ in range(40)]
        for n in range(1, 41):
            root_n = v.mth(leaves[:n])
            for m in range(1, n + 1):
                root_m = v.mth(leaves[:m])
                proof = v.consistency_proof(leaves[:n], m)
                self.assertTrue(v.verify_consistency(m, n, root_m, root_n, proof), (m, n))
                wrong = hashlib.sha256(b"wrong").digest()
                self.assertFalse(v.verify_consistency(m, n, wrong, root_n, proof))
                self.assertFalse(v.verify_consistency(m, n, root_m, wrong, proof))
                if m != n:
                    self.assertFalse(v.verify_consistency(m, n, root_n, root_n, proof))
                self.assertFalse(v.verify_consistency(m, n, root_m, root_n, proof + [root_n]))
                if proof:
                    self.assertFalse(v.verify_consistency(m, n, root_m, root_n, proof[:-1]))
                    for i in range(len(proof)):
                        bad = list(proof)
                        bad[i] = hashlib.sha256(bad[i]).digest()
                        self.assertFalse(v.verify_consistency(m, n, root_m, root_n, bad), (m, n, i))
                if m < n:
                    self.assertFalse(v.verify_consistency(m + 1, n, root_m, root_n, proof))
                    self.assertFalse(v.verify_consistency(n, m, root_n, root_m, proof))

    def test_empty_tree_consistency(self):
        self.assertTrue(v.verify_consistency(0, 5, v.EMPTY_ROOT, v.mth(CT_LEAVES[:5]), []))
        self.assertFalse(v.verify_consistency(0, 5, CT_LEAVES[0], v.mth(CT_LEAVES[:5]), []))
        self.assertTrue(v.verify_consistency(0, 0, v.EMPTY_ROOT, v.EMPTY_ROOT, []))


# ---------------------------------------------------------------------------------------------
# Tiles, entries, chains, commitments
# ---------------------------------------------------------------------------------------------


class TilesTest(unittest.TestCase):
    def test_paths(self):
        self.assertEqual(v.tile_path(0, 0, 256), "tile/0/000")
        self.assertEqual(v.tile_path(0, 1, 92), "tile/0/001.p/92")
        self.assertEqual(v.tile_path("entries", 1234067, 256), "tile/entries/x001/x234/067")
        self.assertEqual(v.tile_path(2, 1000, 1), "tile/2/x001/000.p/1")
        self.assertEqual(v.tile_path(1, 999, 255), "tile/1/999.p/255")
        with self.assertRaises(ValueError):
            v.tile_path(0, 0, 0)

    def test_tiles_at(self):
        self.assertEqual(v.tiles_at(0), [])
        self.assertEqual(v.tiles_at(256), [(0, 256)])
        self.assertEqual(v.tiles_at(348), [(0, 256), (1, 92)])

    def test_bundle(self):
        self.assertEqual(v.decode_bundle(b"\x00\x02ab\x00\x00\x00\x01c"), [b"ab", b"", b"c"])
        for bad in (b"\x00", b"\x00\x03ab"):
            with self.assertRaises(v.VerifyError):
                v.decode_bundle(bad)


def entry_bytes(event=1, time_ms=1700000000000, business=b"B" * 16, review=b"R" * 16, previous=None, commitment=b"C" * 32, version=1, clen=32):
    return (
        bytes([version, event])
        + time_ms.to_bytes(8, "big", signed=True)
        + business
        + review
        + (v.NO_PREVIOUS if previous is None else previous).to_bytes(8, "big")
        + clen.to_bytes(2, "big")
        + commitment
    )


class EntriesTest(unittest.TestCase):
    def test_decode(self):
        e = v.decode_entry(entry_bytes(event=4, time_ms=-5, previous=7))
        self.assertEqual((e.event, e.time_ms, e.business, e.review, e.previous, e.commitment), (4, -5, b"B" * 16, b"R" * 16, 7, b"C" * 32))
        self.assertEqual(e.event_name, "reply_published")
        self.assertIsNone(v.decode_entry(entry_bytes()).previous)
        for event in range(1, 10):
            v.decode_entry(entry_bytes(event=event))
        self.assertEqual(v.decode_entry(entry_bytes(event=9)).event_name, "invitation_template_changed")

    def test_rejects(self):
        good = entry_bytes()
        for name, bad in [
            ("version 0", entry_bytes(version=0)),
            ("version 2", entry_bytes(version=2)),
            ("event 0", entry_bytes(event=0)),
            ("event 10", entry_bytes(event=10)),
            ("event 255", entry_bytes(event=255)),
            ("commitment length 31", entry_bytes(clen=31)),
            ("commitment length 33", entry_bytes(clen=33)),
            ("trailing byte", good + b"\x00"),
            ("short", good[:-1]),
            ("empty", b""),
        ]:
            with self.subTest(name):
                with self.assertRaises(v.VerifyError):
                    v.decode_entry(bad)

    def test_real_entries(self):
        entries = v.decode_bundle(read(td("log", "tile", "entries", "000")))
        self.assertEqual(len(entries), 256)
        for e in entries:
            self.assertEqual(len(e), 84)
            v.decode_entry(e)

    def test_chains(self):
        r1, r2 = b"1" * 16, b"2" * 16
        good = [
            v.decode_entry(entry_bytes(review=r1)),
            v.decode_entry(entry_bytes(review=r2)),
            v.decode_entry(entry_bytes(event=4, review=r1, previous=0)),
            v.decode_entry(entry_bytes(event=2, review=r1, previous=2)),
            v.decode_entry(entry_bytes(event=3, review=r2, previous=1)),
        ]
        chains = v.Chains()
        for i, e in enumerate(good):
            chains.follow(i, e)

        def fails(entries):
            chains = v.Chains()
            with self.assertRaises(v.VerifyError):
                for i, e in enumerate(entries):
                    chains.follow(i, e)

        fails(good[:2] + [v.decode_entry(entry_bytes(event=4, review=r1, previous=1))])  # wrong review
        fails(good[:3] + [v.decode_entry(entry_bytes(event=2, review=r1, previous=0))])  # skips entry 2
        fails(good[:2] + [v.decode_entry(entry_bytes(event=4, review=r1))])  # chain restarts
        fails(good[:2] + [v.decode_entry(entry_bytes(event=1, review=r1, previous=0))])  # published twice
        fails([v.decode_entry(entry_bytes(event=2, review=r1))])  # first is not review_published
        fails(good[:1] + [v.decode_entry(entry_bytes(event=2, review=r1, previous=5))])  # points forward
        fails(good[:1] + [v.decode_entry(entry_bytes(event=2, review=r1, previous=0, business=b"X" * 16))])
        # An imported review begins its own chain, and only begins it.
        r3 = b"3" * 16
        imported = good + [
            v.decode_entry(entry_bytes(event=8, review=r3)),
            v.decode_entry(entry_bytes(event=4, review=r3, previous=5)),
        ]
        chains = v.Chains()
        for i, e in enumerate(imported):
            chains.follow(i, e)
        fails(good[:2] + [v.decode_entry(entry_bytes(event=8, review=r1, previous=0))])  # imported after publication
        fails(good[:1] + [v.decode_entry(entry_bytes(event=8, review=r1))])  # published, then imported

    def test_template_chains(self):
        r1, r2, t1, t2 = b"1" * 16, b"2" * 16, b"T" * 16, b"U" * 16
        e = lambda **kw: v.decode_entry(entry_bytes(**kw))  # noqa: E731
        # Reviews and invitation templates (one subject per business and locale) side by side.
        good = [
            e(review=r1),  # 0
            e(event=9, review=t1),  # 1: a template's first revision
            e(event=8, review=r2),  # 2
            e(event=9, review=t1, previous=1),  # 3: its next revision
            e(event=4, review=r1, previous=0),  # 4
            e(event=9, review=t2, business=b"X" * 16),  # 5: another business's template
            e(event=9, review=t1, previous=3),  # 6
            e(event=4, review=r2, previous=2),  # 7
        ]
        chains = v.Chains()
        for i, entry in enumerate(good):
            chains.follow(i, entry)
        self.assertEqual((chains.reviews, chains.templates), (2, 2))
        self.assertIn("of template 54545454-", good[1].describe())
        self.assertIn("of review 31313131-", good[0].describe())
        v.check_entry_locally(3, good[3])  # a 9 may have a previous entry

        def fails(entries, pattern):
            chains = v.Chains()
            for i, entry in enumerate(entries[:-1]):
                chains.follow(i, entry)
            with self.assertRaisesRegex(v.VerifyError, pattern):
                chains.follow(len(entries) - 1, entries[-1])

        # A 9 in a review's chain, whether the review was published or imported.
        fails(good[:5] + [e(event=9, review=r1, previous=4)], r"entry 5 is an invitation_template_changed event in the chain of review 31313131-")
        fails(good[:3] + [e(event=9, review=r2, previous=2)], r"entry 3 .* chain of review")
        # A review event in a template's chain.
        fails(good[:4] + [e(event=4, review=t1, previous=3)], r"entry 4 is a reply_published event in the chain of template 54545454-")
        fails(good[:2] + [e(event=7, review=t1, previous=1)], r"entry 2 .* chain of template")
        # A review beginning again over a template, or a template over a review.
        fails(good[:2] + [e(event=1, review=t1, previous=1)], r"entry 2 is a review_published event with a previous entry")
        fails(good[:2] + [e(event=1, review=t1)], r"entry 2 of template .* points back to none, but the template's last earlier entry is 1")
        fails(good[:1] + [e(event=9, review=r1)], r"entry 1 of review .* points back to none, but the review's last earlier entry is 0")
        # A template's chain moved to another business.
        fails(good[:4] + [e(event=9, review=t1, previous=3, business=b"Y" * 16)], r"entry 4 of template .* another business")
        # A gap: the next revision skips the last one, or points at another subject's entry.
        fails(good[:4] + [e(event=9, review=t1, previous=1)], r"entry 4 of template .* points back to 1, but the template's last earlier entry is 3")
        fails(good[:4] + [e(event=9, review=t1, previous=2)], r"entry 4 of template .* points back to 2")
        fails(good[:2] + [e(event=9, review=t2, previous=1)], r"entry 2 of template .* points back to 1, but the template's last earlier entry is none")


class CommitmentTest(unittest.TestCase):
    def test_formula(self):
        salt = bytes(range(32))
        want = hashlib.sha256(b"passaparola/commitment/v1\x00" + salt + '{"body":"è"}'.encode()).digest()
        self.assertEqual(v.commitment(salt, '{"body":"è"}'), want)

    def test_real_opening(self):
        o = json.loads(read(td("opening-352.json")))
        r = v.verify_receipt(read(td(o["receipt"])), v.load_vkey(td("vkey")))
        self.assertEqual(r.index, o["index"])
        self.assertEqual(r.entry.event_name, o["kind"])
        v.check_opening(r.entry, o["salt"], o["content"])
        with self.assertRaises(v.VerifyError):
            v.check_opening(r.entry, o["salt"], o["content"].replace("Grazie", "Grazia"))
        salt = base64.b64decode(o["salt"])
        with self.assertRaises(v.VerifyError):
            v.check_opening(r.entry, base64.b64encode(bytes([salt[0] ^ 1]) + salt[1:]).decode(), o["content"])
        with self.assertRaises(v.VerifyError):
            v.check_opening(r.entry, base64.b64encode(salt[:31]).decode(), o["content"])


# ---------------------------------------------------------------------------------------------
# Keys, notes, checkpoints, receipts
# ---------------------------------------------------------------------------------------------


class NoteTest(unittest.TestCase):
    def test_real_key(self):
        key = v.load_vkey(td("vkey"))
        self.assertEqual(key.name, "127.0.0.1:18611/log")
        self.assertEqual(v.parse_vkey(read(td("vkey")).decode().strip()), key)

    def test_key_rejects(self):
        name, kid, b64 = VKEY.split("+", 2)
        v.parse_vkey(VKEY)
        other_alg = base64.b64encode(b"\x02" + base64.b64decode(b64)[1:]).decode()
        short = base64.b64encode(base64.b64decode(b64)[:-1]).decode()
        for bad in [
            f"{name}+{kid}",
            f"{name}+{kid[:7]}+{b64}",
            f"{name}+0x{kid[:6]}+{b64}",
            f"{name}+{kid[:-1]}0+{b64}" if kid[-1] != "0" else f"{name}+{kid[:-1]}1+{b64}",
            f"other.test/log+{kid}+{b64}",
            f"+{kid}+{b64}",
            f"na me+{kid}+{b64}",
            f"{name}+{kid}+{other_alg}",
            f"{name}+{kid}+{short}",
        ]:
            with self.subTest(bad):
                with self.assertRaises(v.VerifyError):
                    v.parse_vkey(bad)

    def test_checkpoint(self):
        key = v.parse_vkey(VKEY)
        root = hashlib.sha256(b"r").digest()
        body = checkpoint_body(ORIGIN, 7, root)
        cp = v.open_checkpoint(sign_note(body, ORIGIN, SEED), key)
        self.assertEqual((cp.origin, cp.size, cp.root), (ORIGIN, 7, root))
        # A cosignature by another key is ignored.
        other = bytes(32)
        note = (body + "\n" + sig_line("witness.test", other, body) + sig_line(ORIGIN, SEED, body)).encode()
        self.assertEqual(v.open_checkpoint(note, key), cp)

    def test_checkpoint_rejects(self):
        key = v.parse_vkey(VKEY)
        root = base64.b64encode(hashlib.sha256(b"r").digest()).decode()
        cases = {
            "extension line": f"{ORIGIN}\n7\n{root}\next\n",
            "leading zero": f"{ORIGIN}\n07\n{root}\n",
            "negative": f"{ORIGIN}\n-7\n{root}\n",
            "short root": f"{ORIGIN}\n7\n{base64.b64encode(bytes(31)).decode()}\n",
            "other origin": f"other.test/log\n7\n{root}\n",
            "two lines": f"{ORIGIN}\n7\n",
        }
        for name, body in cases.items():
            with self.subTest(name):
                with self.assertRaises(v.VerifyError):
                    v.open_checkpoint(sign_note(body, ORIGIN, SEED), key)
        body = checkpoint_body(ORIGIN, 7, hashlib.sha256(b"r").digest())
        good = sign_note(body, ORIGIN, SEED)
        for name, note in {
            "no signature": (body + "\n").encode(),
            "only another key": (body + "\n" + sig_line("witness.test", bytes(32), body)).encode(),
            "other key same name": sign_note(body, ORIGIN, bytes(32)),
            "hyphen not em dash": good.replace("\u2014".encode(), b"-"),
            "no final newline": good[:-1],
            "trailing blank line": good + b"\n",
            "CRLF": good.replace(b"\n", b"\r\n"),
            "signed other text": body.encode() + b"\n" + sig_line(ORIGIN, SEED, body + "x").encode(),
            "malformed second line": good + b"garbage\n",
        }.items():
            with self.subTest(name):
                with self.assertRaises(v.VerifyError):
                    v.open_checkpoint(note, key)

    def test_every_flip_of_a_real_checkpoint(self):
        key = v.load_vkey(td("vkey"))
        data = read(td("log", "checkpoint"))
        v.open_checkpoint(data, key)
        for offset, flipped in v._flips(data):
            with self.assertRaises(v.VerifyError, msg=offset):
                v.open_checkpoint(flipped, key)


class ReceiptTest(unittest.TestCase):
    def test_real_receipts(self):
        key = v.load_vkey(td("vkey"))
        for name, index, size, event in [("receipt-1", 1, 34, "reply_published"), ("receipt-346", 346, 348, "content_erased"), ("receipt-352", 352, 353, "reply_edited")]:
            with self.subTest(name):
                r = v.verify_receipt(read(td(name)), key)
                self.assertEqual((r.index, r.checkpoint.size, r.entry.event_name), (index, size, event))

    def test_every_flip_of_a_real_receipt(self):
        key = v.load_vkey(td("vkey"))
        data = read(td("receipt-352"))
        for offset, flipped in v._flips(data):
            with self.assertRaises(v.VerifyError, msg=offset):
                v.verify_receipt(flipped, key)

    def test_structure(self):
        key = v.load_vkey(td("vkey"))
        text = read(td("receipt-1")).decode()
        head, note = text.split("\n\n", 1)
        lines = head.split("\n")
        for name, bad in {
            "no extra": "\n".join([lines[0]] + lines[2:]) + "\n\n" + note,
            "index first": "\n".join([lines[0], lines[2], lines[1]] + lines[3:]) + "\n\n" + note,
            "missing hash": "\n".join(lines[:-1]) + "\n\n" + note,
            "extra hash": "\n".join(lines + [lines[-1]]) + "\n\n" + note,
            "other header": "c2sp.org/tlog-proof@v2" + text[len(lines[0]) :],
            "wrong key": text,
        }.items():
            with self.subTest(name):
                k = v.parse_vkey(VKEY) if name == "wrong key" else key
                with self.assertRaises(v.VerifyError):
                    v.verify_receipt(bad.encode(), k)


# ---------------------------------------------------------------------------------------------
# The whole log: real data, synthetic logs, HTTP
# ---------------------------------------------------------------------------------------------


def build_log(directory: str, size: int, rng: random.Random, seed=SEED, origin=ORIGIN):
    """A synthetic log written as tlog-tiles (partial tiles at their .p/W paths)."""
    entries, last = [], {}
    reviews = []
    for index in range(size):
        if reviews and rng.random() < 0.3:
            review = rng.choice(reviews)
            raw = entry_bytes(event=rng.randrange(2, 8), review=review, previous=last[review], commitment=rng.randbytes(32), time_ms=index)
        else:
            review = rng.randbytes(16)
            reviews.append(review)
            raw = entry_bytes(review=review, commitment=rng.randbytes(32), time_ms=index)
        last[review] = index
        entries.append(raw)
    leaves = [v.leaf_hash(e) for e in entries]

    def write(path, data):
        target = os.path.join(directory, *path.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)

    for n, width in v.tiles_at(size):
        write(v.tile_path("entries", n, width), v.encode_bundle(entries[n * 256 : n * 256 + width]))
    level = 0
    while size >> (8 * level):
        hashes = v.perfect_subtree_hashes(leaves, 8 * level)
        for n, width in v.tiles_at(size >> (8 * level)):
            write(v.tile_path(level, n, width), b"".join(hashes[n * 256 : n * 256 + width]))
        level += 1
    write("checkpoint", sign_note(checkpoint_body(origin, size, v.mth(leaves)), origin, seed))
    return entries, leaves


class LogTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.key = v.parse_vkey(VKEY)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def checkpoint(self, leaves, size):
        return sign_note(checkpoint_body(ORIGIN, size, v.mth(leaves[:size])), ORIGIN, SEED)

    def test_real_log(self):
        key = v.load_vkey(td("vkey"))
        for old in ("checkpoint-34", "checkpoint-77"):
            r = v.verify_log(v.DirSource(td("log")), key, read(td(old)))
            self.assertEqual((r.checkpoint.size, r.old.size, r.bundles, r.tiles), (353, int(old.split("-")[1]), 2, 3))
        self.assertEqual({e.event for e in r.entries}, set(range(1, 8)))
        r = v.verify_log(v.DirSource(td("log")), key, read(td("log", "checkpoint")))
        self.assertEqual(r.old.size, 353)

    def test_real_log_sampled_flips(self):
        # The full check is `selftest`; here every 61st byte of each file.
        key = v.load_vkey(td("vkey"))
        old = read(td("checkpoint-34"))
        for rel in ["checkpoint", "tile/0/000", "tile/0/001.p/97", "tile/1/000.p/1", "tile/entries/000", "tile/entries/001.p/97"]:
            data = read(td("log", *rel.split("/")))
            for offset, flipped in list(v._flips(data))[::61]:
                with self.assertRaises(v.VerifyError, msg=f"{rel}+{offset}"):
                    v.verify_log(v.DirSource(td("log"), {rel: flipped}), key, old)

    def test_synthetic_log_with_two_upper_levels(self):
        size = 65536 + 300
        _entries, leaves = build_log(self.tmp, size, random.Random(3))
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "tile", "2", "000.p", "1")))
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "tile", "1", "001.p", "1")))
        # Level-2 hash 0 computed another way: the root of the first 65536 leaves.
        self.assertEqual(read(os.path.join(self.tmp, "tile", "2", "000.p", "1")), v.mth(leaves[:65536]))
        r = v.verify_log(v.DirSource(self.tmp), self.key, self.checkpoint(leaves, 1000))
        self.assertEqual(r.tiles, 258 + 2 + 1)  # level 0: 257 full + 1 partial; level 1: 1 + 1; level 2: 1

    def test_partial_tiles_gone_once_full(self):
        _entries, leaves = build_log(self.tmp, 512, random.Random(4))
        # At size 512 the server still serves the level-1 tile of width 1 (a width that exists),
        # but the level-0 and entry tiles 001 only in full.
        level1 = v.perfect_subtree_hashes(leaves, 8)
        src = v.DirSource(self.tmp, {"checkpoint": self.checkpoint(leaves, 300), "tile/1/000.p/1": level1[0]})
        r = v.verify_log(src, self.key, self.checkpoint(leaves, 100))
        self.assertEqual(r.checkpoint.size, 300)
        self.assertEqual(len(v.decode_bundle(src.read["tile/entries/001.p/44"])), 44)
        self.assertEqual(len(src.read["tile/0/001.p/44"]), 44 * 32)
        self.assertNotIn("tile/0/001", src.read)

    def test_rewritten_history_is_caught(self):
        _entries, leaves = build_log(self.tmp, 40, random.Random(5))
        forged = list(leaves)
        forged[3] = v.leaf_hash(b"forged")
        with self.assertRaisesRegex(v.VerifyError, "rewritten"):
            v.verify_log(v.DirSource(self.tmp), self.key, self.checkpoint(forged, 10))
        with self.assertRaisesRegex(v.VerifyError, "larger"):
            v.verify_log(v.DirSource(self.tmp), self.key, self.checkpoint(leaves + [leaves[0]], 41))
        with self.assertRaisesRegex(v.VerifyError, "root"):
            v.verify_log(v.DirSource(self.tmp, {"checkpoint": self.checkpoint(forged, 40)}), self.key)
        v.verify_log(v.DirSource(self.tmp), self.key, sign_note(checkpoint_body(ORIGIN, 0, v.EMPTY_ROOT), ORIGIN, SEED))
        with self.assertRaises(v.VerifyError):
            v.verify_log(v.DirSource(self.tmp), self.key, sign_note(checkpoint_body(ORIGIN, 0, leaves[0]), ORIGIN, SEED))

    def test_broken_chain_in_a_consistent_tree_is_caught(self):
        rng = random.Random(6)
        entries, _ = build_log(self.tmp, 10, rng)
        r = bytes(16)
        bad = entries[:5] + [entry_bytes(event=2, review=r, previous=0)] + entries[6:]
        leaves = [v.leaf_hash(e) for e in bad]
        overlay = {
            "tile/entries/000.p/10": v.encode_bundle(bad),
            "tile/0/000.p/10": b"".join(leaves),
            "checkpoint": self.checkpoint(leaves, 10),
        }
        with self.assertRaisesRegex(v.VerifyError, "entry 5"):
            v.verify_log(v.DirSource(self.tmp, overlay), self.key)

    def test_missing_and_extra(self):
        _entries, leaves = build_log(self.tmp, 20, random.Random(7))
        os.remove(os.path.join(self.tmp, "tile", "0", "000.p", "20"))
        with self.assertRaisesRegex(v.VerifyError, "missing"):
            v.verify_log(v.DirSource(self.tmp), self.key)
        bundle = read(os.path.join(self.tmp, "tile", "entries", "000.p", "20"))
        with self.assertRaisesRegex(v.VerifyError, "21 entries"):
            v.verify_log(v.DirSource(self.tmp, {"tile/entries/000.p/20": bundle + bundle[:86]}), self.key)

    def test_selftest_on_a_small_synthetic_log(self):
        _entries, leaves = build_log(self.tmp, 6, random.Random(8))
        old = os.path.join(self.tmp, "old")
        with open(old, "wb") as f:
            f.write(self.checkpoint(leaves, 3))
        out = io.StringIO()
        self.assertTrue(v.selftest(self.tmp, self.key, old, [], out=out))
        self.assertIn(", 0 flips accepted", out.getvalue().splitlines()[-1])
        # A file the verification never reads cannot be protected by it: selftest says so.
        os.makedirs(os.path.join(self.tmp, "tile", "0", "000.p"), exist_ok=True)
        with open(os.path.join(self.tmp, "tile", "0", "000.p", "2"), "wb") as f:
            f.write(b"".join(leaves[:2]))
        out = io.StringIO()
        self.assertFalse(v.selftest(self.tmp, self.key, old, [], out=out))
        self.assertIn("tile/0/000.p/2+0", out.getvalue())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class HttpTest(unittest.TestCase):
    def test_over_http(self):
        handler = lambda *a, **k: _QuietHandler(*a, directory=td("log"), **k)  # noqa: E731
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            prefix = f"http://127.0.0.1:{server.server_address[1]}"
            r = v.verify_log(v.make_source(prefix + "/"), v.load_vkey(td("vkey")), read(td("checkpoint-34")))
            self.assertEqual(r.checkpoint.size, 353)
            with tempfile.TemporaryDirectory() as mirror:
                out, err = io.StringIO(), io.StringIO()
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    rc = v.main(["log", prefix, "--key", td("vkey"), "--mirror", mirror])
                self.assertEqual(rc, 0, err.getvalue())
                for rel in ["checkpoint", "tile/0/000", "tile/0/001.p/97", "tile/1/000.p/1", "tile/entries/000", "tile/entries/001.p/97"]:
                    self.assertEqual(read(os.path.join(mirror, *rel.split("/"))), read(td("log", *rel.split("/"))))
            with self.assertRaisesRegex(v.VerifyError, "missing"):
                v.verify_log(v.make_source(prefix + "/nothing"), v.load_vkey(td("vkey")))
        finally:
            server.shutdown()
            server.server_close()


class CliTest(unittest.TestCase):
    def run_main(self, *argv):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = v.main(list(argv))
        return rc, out.getvalue(), err.getvalue()

    def test_accepts(self):
        key = td("vkey")
        self.assertEqual(self.run_main("receipt", td("receipt-1"), "--key", key)[0], 0)
        self.assertEqual(self.run_main("receipt", td("receipt-1"), "--key", read(key).decode().strip())[0], 0)
        self.assertEqual(self.run_main("log", td("log"), "--key", key, "--old-checkpoint", td("checkpoint-34"))[0], 0)
        o = json.loads(read(td("opening-352.json")))
        self.assertEqual(self.run_main("opening", "--receipt", td(o["receipt"]), "--key", key, "--salt", o["salt"], "--content", o["content"])[0], 0)

    def test_rejects_with_one_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = os.path.join(tmp, "receipt")
            data = bytearray(read(td("receipt-1")))
            data[40] ^= 1
            with open(bad, "wb") as f:
                f.write(data)
            rc, out, err = self.run_main("receipt", bad, "--key", td("vkey"))
            self.assertEqual(rc, 1)
            self.assertEqual(out, "")
            self.assertEqual(len(err.splitlines()), 1, err)
        rc, _, err = self.run_main("log", td("log"), "--key", VKEY)
        self.assertEqual(rc, 1)
        self.assertEqual(len(err.splitlines()), 1, err)
        rc, _, err = self.run_main("receipt", os.path.join(TESTDATA, "no-such-file"), "--key", td("vkey"))
        self.assertEqual((rc, len(err.splitlines())), (1, 1))


if __name__ == "__main__":
    unittest.main()
