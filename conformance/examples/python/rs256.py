"""RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signing with the Python standard library only.

RS256 needs no library beyond ``hashlib`` and big-integer ``pow``: the signature of a message
is ``EM ** d mod n``, where ``EM`` is the PKCS #1 v1.5 encoding of its SHA-256 digest
(RFC 8017 sections 8.2.1 and 9.2). What the standard library lacks is a reader for key files,
so this module has a small DER reader for an RSA private key in PEM form, PKCS #8
(``BEGIN PRIVATE KEY``, what ``openssl genpkey`` writes) or PKCS #1
(``BEGIN RSA PRIVATE KEY``). It does not generate keys (use ``openssl genpkey -algorithm RSA
-pkeyopt rsa_keygen_bits:2048``), and it is not hardened against timing side channels: fine
for tests and for this example; a production service should sign with a vetted library
(``cryptography``, a KMS or HSM) behind the same ``sign`` method.
"""

import base64
import hashlib
import json

__all__ = ["Signer", "b64url"]

# DigestInfo for SHA-256 (RFC 8017 section 9.2, note 1), followed by the 32-byte digest.
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
_RSA_ENCRYPTION_OID = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1


def b64url(data):
    """Unpadded base64url, as JWTs and JWKs use."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _der(data, pos):
    """One DER element at ``pos``: (tag, content, position after it)."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, data[pos:end], end


def _sequence(content):
    """The elements of a DER SEQUENCE's content, as (tag, content) pairs."""
    items, pos = [], 0
    while pos < len(content):
        tag, value, pos = _der(content, pos)
        items.append((tag, value))
    return items


def _rsa_private_key(der):
    """(n, e, d, p, q, dp, dq, qinv) from a PKCS #8 or PKCS #1 DER private key."""
    tag, content, _ = _der(der, 0)
    if tag != 0x30:
        raise ValueError("not a DER SEQUENCE")
    items = _sequence(content)
    # PKCS #8: version, AlgorithmIdentifier (a SEQUENCE), the PKCS #1 key in an OCTET STRING.
    if len(items) >= 3 and items[1][0] == 0x30 and items[2][0] == 0x04:
        algorithm = _sequence(items[1][1])
        if not algorithm or algorithm[0] != (0x06, _RSA_ENCRYPTION_OID):
            raise ValueError("a PKCS #8 key that is not RSA")
        return _rsa_private_key(items[2][1])
    # PKCS #1 RSAPrivateKey: version, n, e, d, p, q, dp, dq, qinv (all INTEGERs).
    if len(items) < 9 or any(t != 0x02 for t, _ in items[:9]):
        raise ValueError("not an RSA private key")
    return tuple(int.from_bytes(v, "big") for _, v in items[1:9])


def _pem_body(pem_text):
    lines = [line.strip() for line in pem_text.strip().splitlines()]
    if not lines or not lines[0].startswith("-----BEGIN ") or not lines[-1].startswith("-----END "):
        raise ValueError("not a PEM block")
    if lines[0] not in ("-----BEGIN PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----"):
        raise ValueError("give an RSA private key, not %s" % lines[0])
    return base64.b64decode("".join(lines[1:-1]), validate=True)


class Signer:
    """Signs JWTs with one RSA key, and publishes its JWKS."""

    def __init__(self, pem_text, kid=None):
        n, e, d, p, q, dp, dq, qinv = _rsa_private_key(_pem_body(pem_text))
        if n.bit_length() < 2048:
            raise ValueError("RS256 needs a key of at least 2048 bits, not %d" % n.bit_length())
        if p * q != n:
            raise ValueError("an inconsistent RSA key")
        self._n, self._e, self._p, self._q = n, e, p, q
        self._dp, self._dq, self._qinv = dp, dq, qinv
        self._size = (n.bit_length() + 7) // 8
        self.public_jwk = {"kty": "RSA", "n": b64url(n.to_bytes(self._size, "big")),
                           "e": b64url(e.to_bytes((e.bit_length() + 7) // 8, "big"))}
        # Without a given kid, the key's RFC 7638 thumbprint: a new key gets a new kid.
        self.kid = kid or b64url(hashlib.sha256(json.dumps(
            self.public_jwk, sort_keys=True, separators=(",", ":")).encode()).digest())

    @classmethod
    def from_file(cls, path, kid=None):
        with open(path, encoding="ascii") as f:
            return cls(f.read(), kid)

    def jwks(self):
        """The JWKS, as ``GET /v1/b2b/sessions/jwks/{project_id}`` serves it."""
        key = dict(self.public_jwk, use="sig", alg="RS256", kid=self.kid)
        return {"keys": [key]}

    def sign(self, message):
        """The RS256 signature of ``message`` (bytes)."""
        t = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
        em = b"\x00\x01" + b"\xff" * (self._size - len(t) - 3) + b"\x00" + t
        m = int.from_bytes(em, "big")
        # m ** d mod n by the Chinese remainder theorem (about three times faster).
        s1, s2 = pow(m, self._dp, self._p), pow(m, self._dq, self._q)
        s = s2 + self._q * ((self._qinv * (s1 - s2)) % self._p)
        if pow(s, self._e, self._n) != m:  # never sign with a faulty computation
            raise RuntimeError("RSA signature self-check failed")
        return s.to_bytes(self._size, "big")

    def jwt(self, header, payload_json):
        """A compact JWS: ``header`` (a JSON text) and ``payload_json`` (a JSON text), signed."""
        signing_input = b64url(header.encode("utf-8")) + "." + b64url(payload_json.encode("utf-8"))
        return signing_input + "." + b64url(self.sign(signing_input.encode("ascii")))
