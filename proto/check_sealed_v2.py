"""Independent check of proto/golden/sealed-v2.json (SECURITY.md 4), used by check_golden.py.

Recomputes every step but decompression from the spec, with Python's hashlib (BLAKE2b) and the
`cryptography` package (X25519, ChaCha20-Poly1305; HChaCha20 is written out here for XChaCha20):
the ephemeral key from its seed is checked by its public key only (crypto_box_seed_keypair hashes
the seed with SHA-512; the scalar is its first 32 bytes), the header, the associated data, the
key, and that the sealed bytes decrypt to the plaintext (for the stored vector: the answers).
Without `cryptography` (python3-cryptography) only the layout is checked and a note is printed.
"""
import base64
import hashlib
import struct

TAG = b"libsync-seal-v2\n"


def _rotl(v, n):
    return ((v << n) & 0xFFFFFFFF) | (v >> (32 - n))


def hchacha20(key, nonce16):
    c = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    s = c + list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))

    def qr(a, b, cc, d):
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = _rotl(s[d] ^ s[a], 16)
        s[cc] = (s[cc] + s[d]) & 0xFFFFFFFF; s[b] = _rotl(s[b] ^ s[cc], 12)
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = _rotl(s[d] ^ s[a], 8)
        s[cc] = (s[cc] + s[d]) & 0xFFFFFFFF; s[b] = _rotl(s[b] ^ s[cc], 7)

    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def ad_of(header, uuid, form_id, version):
    u, f = uuid.encode(), form_id.encode()
    return (TAG + header + struct.pack("<H", len(u)) + u + struct.pack("<H", len(f)) + f +
            struct.pack("<I", version))


def check(doc):
    """A list of failure messages (empty when the vectors hold)."""
    fails = []
    try:
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        X25519PrivateKey = None
        print("check_golden: python3-cryptography missing: sealed-v2 checked for layout only")
    pk = base64.b64decode(doc["recipient_public_key"])
    sk = base64.b64decode(doc["recipient_secret_key"])
    eph_sk = hashlib.sha512(bytes.fromhex(doc["ephemeral_seed"])).digest()[:32]
    raw = serialization.Encoding.Raw if X25519PrivateKey else None
    if X25519PrivateKey:
        pub = lambda k: X25519PrivateKey.from_private_bytes(k).public_key().public_bytes(
            raw, serialization.PublicFormat.Raw)
        if pub(sk) != pk:
            fails.append("sealed-v2.json: recipient keys do not match")
    for v in doc["vectors"]:
        name = "sealed-v2.json %r" % v["name"]
        sealed = base64.b64decode(v["sealed"])
        header = bytes.fromhex(v["header"])
        eph_pk = base64.b64decode(v["ephemeral_public_key"])
        plain = bytes.fromhex(v["plaintext"])
        if sealed[:6] != header or sealed[6:38] != eph_pk or len(sealed) != 54 + len(plain):
            fails.append(name + ": sealed bytes are not header || ephemeral key || box")
        ad = ad_of(header, doc["uuid"], doc["form_id"], doc["form_version"])
        if ad.hex() != v["associated_data"]:
            fails.append(name + ": associated data differs from the spec")
        dict_id = struct.unpack("<I", header[2:6])[0]
        if header[1] == 0 and (dict_id != 0 or plain != doc["answers"].encode()):
            fails.append(name + ": a stored vector holds the answers, without dictionary")
        if header[1] == 1 and dict_id not in (0, doc["dictionary_id"]):
            fails.append(name + ": names another dictionary")
        if not X25519PrivateKey:
            continue
        if pub(eph_sk) != eph_pk:
            fails.append(name + ": the ephemeral key is not the seed's")
        shared = X25519PrivateKey.from_private_bytes(sk).exchange(X25519PublicKey.from_public_bytes(eph_pk))
        key = hashlib.blake2b(shared + eph_pk + pk, digest_size=32).digest()
        if key.hex() != v["key"]:
            fails.append(name + ": key differs from BLAKE2b-256(shared || eph_pk || pk)")
        sub = hchacha20(key, bytes(16))   # XChaCha20: nonce of 24 zero bytes
        try:
            opened = ChaCha20Poly1305(sub).decrypt(bytes(12), sealed[38:], ad)
        except Exception:  # cryptography.exceptions.InvalidTag
            opened = None
        if opened != plain:
            fails.append(name + ": the box does not open to the plaintext")
    return fails
