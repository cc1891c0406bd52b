"""WACZ signatures as the WACZ signing spec (wacz-auth 0.1.0) defines them.

A signed WACZ's ``datapackage-digest.json`` holds ``signedData`` over the ``hash`` of
``datapackage.json`` (the string ``"sha256:<hex>"``, signed as ASCII), with ``created``
(equal to the package's own ``created``), ``software`` and ``version``, in one of two forms:

* **anonymous**: ``signature`` and ``publicKey`` (base64 SubjectPublicKeyInfo DER of an
  ECDSA P-384 key). The signature is ECDSA with SHA-256 in the IEEE P1363 encoding (r‖s)
  that WebCrypto makes and checks: ArchiveWeb.page writes this form and ReplayWeb.page
  (wabac.js) verifies it. Who owns the key is for the reader to learn out of band.
* **domain**: ``signature`` (ECDSA/SHA-256, DER-encoded, as authsign signs), ``domain``
  and ``domainCert`` (the PEM chain of a TLS certificate for that domain, leaf first,
  whose key made the signature), ``timeSignature`` (base64 of an RFC 3161 timestamp
  response over the ``signature`` string) and ``timestampCert`` (the timestamp
  authority's PEM chain). This is the form authsign makes and py-wacz's
  ``wacz validate --verify-auth`` checks (through authsign's verifier): the signature,
  the domain, ``created`` within the certificate's first days, the timestamp within ten
  minutes after ``created``, and both chains against its trusted roots.

:func:`verify_signed_data` checks either form here without network access: signature,
hash, certificate chain order, domain name and timestamp; whether the roots are to be
trusted is the reader's call (it names them).

The RFC 3161 request and response are built and parsed by ``rfc3161-client`` (Trail of
Bits' library, also used by sigstore) rather than by hand-written ASN.1.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID

from archive import SOFTWARE
from archive.errors import ArchiveError, UsageError

SPEC_VERSION = "0.1.0"
# authsign's rule: the timestamp falls at most this long after ``created``.
STAMP_WINDOW = timedelta(minutes=10)
CREATED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

Timestamper = Callable[[bytes], bytes]
"""Given the bytes to timestamp, returns a DER RFC 3161 TimeStampResp."""


class SignatureError(ArchiveError):
    """A WACZ signature could not be made (bad key, certificate or timestamp authority)."""


# -- anonymous form ----------------------------------------------------------------------------


def anonymous_signed_data(hash_: str, created: str, private_key: ec.EllipticCurvePrivateKey) -> dict:
    """``signedData`` in the anonymous form, signed with an ECDSA key (P-384 for ReplayWeb.page).

    >>> key = ec.generate_private_key(ec.SECP384R1())
    >>> signed = anonymous_signed_data("sha256:" + "0" * 64, "2024-05-01T10:00:00Z", key)
    >>> sorted(signed)
    ['created', 'hash', 'publicKey', 'signature', 'software', 'version']
    >>> len(base64.b64decode(signed["signature"]))  # r‖s, 48 bytes each
    96
    >>> verify_signed_data(signed)["ok"]
    True
    """
    der = private_key.sign(hash_.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    size = (private_key.curve.key_size + 7) // 8
    raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    spki = private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"hash": hash_, "created": created, "software": SOFTWARE, "version": SPEC_VERSION,
            "signature": base64.b64encode(raw).decode("ascii"),
            "publicKey": base64.b64encode(spki).decode("ascii")}


@dataclass
class AnonymousSigner:
    """Signs a package hash in the anonymous form with one ECDSA key."""

    private_key: ec.EllipticCurvePrivateKey

    def __call__(self, hash_: str, created: str) -> dict:
        return anonymous_signed_data(hash_, created, self.private_key)


# -- domain form -------------------------------------------------------------------------------


@dataclass
class DomainSigner:
    """What the domain form needs: an ECDSA key, the certificate chain for its domain
    (leaf first), and a timestamp authority with its certificate chain (leaf first)."""

    private_key: ec.EllipticCurvePrivateKey
    cert_chain: list[x509.Certificate]
    tsa_chain: list[x509.Certificate]
    timestamper: Timestamper

    @classmethod
    def from_files(cls, key_path: str | Path, cert_path: str | Path, tsa_url: str,
                   tsa_cert_path: str | Path, timeout: float = 30.0) -> "DomainSigner":
        from archive.provenance.keys import load_ec_private_key

        key = load_ec_private_key(key_path)
        chain = load_chain(cert_path, "domain certificate")
        tsa_chain = load_chain(tsa_cert_path, "timestamp authority certificate")
        if chain[0].public_key() != key.public_key():
            raise UsageError(f"{cert_path}: its first certificate is not for the key in {key_path}")
        return cls(key, chain, tsa_chain, http_timestamper(tsa_url, timeout))

    @property
    def domain(self) -> str:
        return subject_name(self.cert_chain[0])

    def __call__(self, hash_: str, created: str) -> dict:
        signature = base64.b64encode(
            self.private_key.sign(hash_.encode("ascii"), ec.ECDSA(hashes.SHA256()))).decode("ascii")
        response = timestamp(self.timestamper, signature.encode("ascii"), self.tsa_chain)
        return {"hash": hash_, "created": created, "software": SOFTWARE, "version": SPEC_VERSION,
                "signature": signature, "domain": self.domain, "domainCert": chain_pem(self.cert_chain),
                "timeSignature": base64.b64encode(response).decode("ascii"),
                "timestampCert": chain_pem(self.tsa_chain)}


def load_chain(path: str | Path, what: str) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(Path(path).read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"{path} is not a PEM certificate chain ({exc})") from None
    problem = chain_problem(certs)
    if problem:
        raise UsageError(f"{path}: {problem}")
    return certs


def chain_pem(certs: list[x509.Certificate]) -> str:
    # A blank line between certificates: wabac.js splits a chain on "\n\n".
    return "\n".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certs)


def subject_name(cert: x509.Certificate) -> str:
    """The certificate's common name, else its first DNS name (as authsign reads it)."""
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if cn:
        value = cn[0].value
        return value.decode("utf-8") if isinstance(value, bytes) else value
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ""
    names = san.value.get_values_for_type(x509.DNSName)
    return names[0] if names else ""


def chain_problem(certs: list[x509.Certificate]) -> str | None:
    """Why ``certs`` is not a chain with each certificate signed by the next, or None."""
    if not certs:
        return "no certificate in it"
    for i, (cert, issuer) in enumerate(zip(certs, certs[1:])):
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            return f"certificate {i + 1} is not issued by certificate {i + 2} (give the chain leaf first)"
    return None


def http_timestamper(url: str, timeout: float = 30.0) -> Timestamper:
    """POST an RFC 3161 request to a timestamp authority (``application/timestamp-query``)."""
    import urllib3

    def post(request: bytes) -> bytes:
        try:
            r = urllib3.request("POST", url, body=request, timeout=timeout, retries=False,
                                headers={"Content-Type": "application/timestamp-query"})
        except urllib3.exceptions.HTTPError as exc:
            raise SignatureError(f"timestamp authority {url} did not answer: {exc}") from None
        if r.status != 200:
            raise SignatureError(f"timestamp authority {url} answered HTTP {r.status}")
        return r.data

    return post


def timestamp(timestamper: Timestamper, data: bytes, tsa_chain: list[x509.Certificate]) -> bytes:
    """An RFC 3161 timestamp response over SHA-256 of ``data``, checked against the
    request (nonce, imprint) and the authority's chain before it is used."""
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder, VerificationError, \
        VerifierBuilder, decode_timestamp_response

    # No certificates asked for: ``timestampCert`` carries the chain, and OpenSSL-based
    # authorities (FreeTSA's among them) write the token's certificate SET out of DER
    # order, which strict parsers refuse.
    request = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256) \
        .cert_request(cert_request=False).nonce(nonce=True).build()
    raw = timestamper(request.as_bytes())
    try:
        response = decode_timestamp_response(raw)
    except ValueError as exc:
        raise SignatureError(f"the timestamp authority's answer is not an RFC 3161 response ({exc})") from None
    if response.status not in (0, 1):
        raise SignatureError(f"the timestamp authority refused: status {response.status} "
                             f"{' '.join(response.status_string)}".rstrip())
    builder = VerifierBuilder.from_request(request).tsa_certificate(tsa_chain[0])
    for cert in tsa_chain[1:-1]:
        builder = builder.add_intermediate_certificate(cert)
    builder = builder.add_root_certificate(tsa_chain[-1])
    try:
        builder.build().verify_message(response, data)
    except VerificationError as exc:
        raise SignatureError(f"the timestamp does not verify against the timestamp authority's "
                             f"chain ({exc})") from None
    return raw


# -- checking ----------------------------------------------------------------------------------


def verify_signed_data(signed: dict, public_key: ec.EllipticCurvePublicKey | None = None) -> dict:
    """Check ``signedData`` of either form, offline. Returns ``{"ok", "form", "checks",
    "signer"}``: each check is ``(name, passed)``; ``signer`` names the key (anonymous:
    the base64 public key) or the domain and the roots a reader must trust.
    With ``public_key``, an anonymous signature must be by that key."""
    checks: list[tuple[str, bool]] = []
    hash_ = signed.get("hash") or ""
    sig = signed.get("signature") or ""
    if signed.get("publicKey"):
        form = "anonymous"
        key: ec.EllipticCurvePublicKey | None = None
        try:
            loaded = serialization.load_der_public_key(base64.b64decode(signed["publicKey"], validate=True))
            if isinstance(loaded, ec.EllipticCurvePublicKey):
                key = loaded
        except (ValueError, TypeError):
            pass
        checks.append(("publicKey is an ECDSA key", key is not None))
        if public_key is not None:
            checks.append(("publicKey is the expected key", key is not None and key == public_key))
        checks.append(("signature of hash", key is not None and _verify_raw(key, sig, hash_)))
        signer = {"publicKey": signed["publicKey"]}
    else:
        form = "domain"
        signer, more = _check_domain(signed, hash_, sig)
        checks += more
    return {"ok": bool(checks) and all(ok for _, ok in checks), "form": form, "checks": checks,
            "signer": signer}


def _verify_raw(key: ec.EllipticCurvePublicKey, sig_b64: str, data: str) -> bool:
    try:
        raw = base64.b64decode(sig_b64, validate=True)
        half = len(raw) // 2
        if not raw or len(raw) % 2:
            return False
        der = encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
        key.verify(der, data.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, UnicodeEncodeError):
        return False
    return True


def _check_domain(signed: dict, hash_: str, sig: str) -> tuple[dict, list[tuple[str, bool]]]:
    checks: list[tuple[str, bool]] = []
    try:
        certs = x509.load_pem_x509_certificates((signed.get("domainCert") or "").encode("ascii"))
    except ValueError:
        certs = []
    checks.append(("domainCert is a certificate chain", bool(certs) and chain_problem(certs) is None))
    if not certs:
        return {}, checks
    leaf = certs[0]
    key = leaf.public_key()
    try:
        assert isinstance(key, ec.EllipticCurvePublicKey)
        key.verify(base64.b64decode(sig, validate=True), hash_.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        ok_sig = True
    except (AssertionError, InvalidSignature, ValueError):
        ok_sig = False
    checks.append(("signature of hash by the domain certificate", ok_sig))
    checks.append(("domain is the certificate's name", subject_name(leaf) == signed.get("domain")))
    try:
        created = datetime.strptime(signed.get("created") or "", CREATED_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        created = None
    checks.append(("created while the certificate is valid", created is not None
                   and leaf.not_valid_before_utc <= created <= leaf.not_valid_after_utc))
    stamped = _check_timestamp(signed, sig)
    checks.append(("timeSignature is a timestamp of signature by timestampCert", stamped is not None))
    checks.append(("timestamp within 10 minutes after created", stamped is not None and created is not None
                   and created <= stamped <= created + STAMP_WINDOW))
    try:
        tsa = x509.load_pem_x509_certificates((signed.get("timestampCert") or "").encode("ascii"))
    except ValueError:
        tsa = []

    def fp(c: x509.Certificate) -> str:
        return c.fingerprint(hashes.SHA256()).hex()

    signer = {"domain": signed.get("domain"), "domainRoot": fp(certs[-1]),
              "timestampRoot": fp(tsa[-1]) if tsa else None,
              "timestamp": stamped.strftime(CREATED_FORMAT) if stamped else None}
    return signer, checks


def _check_timestamp(signed: dict, sig: str) -> datetime | None:
    """The time of ``timeSignature`` if it is a valid RFC 3161 timestamp of SHA-256 of
    ``signature`` by the first certificate of ``timestampCert``."""
    from rfc3161_client import decode_timestamp_response

    try:
        tsa = x509.load_pem_x509_certificates((signed.get("timestampCert") or "").encode("ascii"))
        response = decode_timestamp_response(base64.b64decode(signed.get("timeSignature") or "", validate=True))
    except ValueError:
        return None
    if not tsa or chain_problem(tsa) is not None:
        return None
    info = response.tst_info
    if info.message_imprint.message != hashlib.sha256(sig.encode("ascii")).digest():
        return None
    # The token's signature, by the TSA's leaf certificate, over its signed attributes;
    # rfc3161-client's Verifier does the whole CMS check, roots included.
    from rfc3161_client import VerificationError, VerifierBuilder

    builder = VerifierBuilder().tsa_certificate(tsa[0])
    for cert in tsa[1:-1]:
        builder = builder.add_intermediate_certificate(cert)
    builder = builder.add_root_certificate(tsa[-1])
    try:
        builder.build().verify_message(response, sig.encode("ascii"))
    except (VerificationError, ValueError):
        return None
    gen = info.gen_time
    return gen if gen.tzinfo else gen.replace(tzinfo=timezone.utc)


__all__ = ["anonymous_signed_data", "AnonymousSigner", "DomainSigner", "verify_signed_data", "SignatureError",
           "http_timestamper", "timestamp", "load_chain", "chain_pem", "subject_name"]
