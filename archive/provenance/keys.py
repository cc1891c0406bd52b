"""Signing keys: make a key pair, sign bytes, check a signature.

The archive signs its ledger head (see :mod:`archive.provenance.ledger`) with an Ed25519
key, so that someone holding only the public key can tell the archive's history from a
rewritten one. WACZ packages are signed the way the WACZ signing spec (wacz-auth) and the
tools that check it ask for: with an ECDSA P-384 key (:func:`wacz_signing_key`, kept next
to the ledger key and made on first use; see :mod:`archive.provenance.waczauth`). Keys are
ordinary PEM files: the private key is PKCS#8, written with mode 0600 and never
overwritten; the public key is SubjectPublicKeyInfo, meant to be published.

A key is named by its *key id*: the SHA-256 of the raw 32-byte public key, in hex.

>>> priv = generate_private_key()
>>> pub = public_key_of(priv)
>>> sig = sign(priv, b"head")
>>> verify_signature(pub, b"head", sig), verify_signature(pub, b"tail", sig)
(True, False)
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from archive import SIGNING_KEY_ENV
from archive.errors import UsageError

PRIVATE_NAME = "archive-signing.key"
PUBLIC_NAME = "archive-signing.pub"
DEFAULT_DIR = "keys"
PUBLIC_KEY_ENV = "ARCHIVE_PUBLIC_KEY"
WACZ_PRIVATE_NAME = "archive-wacz.key"
WACZ_PUBLIC_NAME = "archive-wacz.pub"
# ReplayWeb.page imports an anonymous WACZ signer's public key as ECDSA P-384.
WACZ_CURVE = ec.SECP384R1


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_key_of(private_key: Ed25519PrivateKey) -> Ed25519PublicKey:
    return private_key.public_key()


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def key_id(public_key: Ed25519PublicKey) -> str:
    """SHA-256 (hex) of the raw public key: a short, stable name for the key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def write_key_pair(directory: str | Path, force: bool = False) -> tuple[Path, Path]:
    """Create a key pair in ``directory``; returns (private path, public path).

    The private key file is created with mode 0600 from the start (no window in which
    another user could read it). Existing keys are never overwritten unless ``force``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    priv_path, pub_path = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    if not force and (priv_path.exists() or pub_path.exists()):
        raise UsageError(f"a key pair already exists in {directory} (refusing to overwrite "
                         "it: signatures made with it could no longer be checked)")
    if force:
        priv_path.unlink(missing_ok=True)
    _write_pair(generate_private_key(), priv_path, pub_path)
    return priv_path, pub_path


def _write_pair(private_key, priv_path: Path, pub_path: Path) -> None:
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    fd = os.open(priv_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(priv_path, 0o600)  # in case a umask or an ACL widened it
    pub_path.write_text(public_pem(private_key.public_key()), encoding="ascii")


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Read an Ed25519 private key PEM; a clear error for anything else."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read signing key {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path} is not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is not an Ed25519 key")
    return key


def load_public_key(source: str | Path | bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file path or PEM bytes."""
    if isinstance(source, bytes):
        data = source
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read public key {source}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError("the public key is not an Ed25519 key")
    return key


def sign(private_key: Ed25519PrivateKey, data: bytes) -> str:
    """Base64 Ed25519 signature of ``data``."""
    return base64.b64encode(private_key.sign(data)).decode("ascii")


def verify_signature(public_key: Ed25519PublicKey, data: bytes, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def configured_private_key() -> Ed25519PrivateKey | None:
    """The key named by ``$ARCHIVE_SIGNING_KEY``, if set: the archive then signs as it writes."""
    path = os.environ.get(SIGNING_KEY_ENV)
    return load_private_key(path) if path else None



def default_wacz_key_path() -> Path:
    """Where the WACZ signing key lives: next to the ledger key named by
    ``$ARCHIVE_SIGNING_KEY`` when it is set, else in ``keys/``."""
    ledger_key = os.environ.get(SIGNING_KEY_ENV)
    directory = Path(ledger_key).parent if ledger_key else Path(DEFAULT_DIR)
    return directory / WACZ_PRIVATE_NAME


def load_ec_private_key(path: str | Path) -> ec.EllipticCurvePrivateKey:
    """Read an unencrypted ECDSA private key PEM (PKCS#8 or SEC1); a clear error for
    anything else, the ledger's Ed25519 key included."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read signing key {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path} is not an unencrypted PEM private key ({exc})") from None
    if isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is an Ed25519 key (the ledger's kind); WACZ signatures "
                         "(the wacz-auth spec) are ECDSA: leave out the key path to use "
                         f"{WACZ_PRIVATE_NAME}, made on first use")
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise UsageError(f"{path} is not an ECDSA key")
    return key


def wacz_signing_key(path: str | Path | None = None) -> tuple[ec.EllipticCurvePrivateKey, Path, bool]:
    """The ECDSA P-384 key that signs WACZ packages: loaded from ``path`` (default
    :func:`default_wacz_key_path`), or made there, with its public key beside it, the
    first time. Returns (key, its path, whether it was just made).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> key, path, made = wacz_signing_key(d / WACZ_PRIVATE_NAME)
    >>> made, key.curve.name, oct(path.stat().st_mode & 0o777), (d / WACZ_PUBLIC_NAME).exists()
    (True, 'secp384r1', '0o600', True)
    >>> wacz_signing_key(path)[2]
    False
    """
    path = Path(path) if path is not None else default_wacz_key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pub_path = path.with_suffix(".pub") if path.suffix == ".key" else Path(str(path) + ".pub")
        try:
            _write_pair(ec.generate_private_key(WACZ_CURVE()), path, pub_path)
            return load_ec_private_key(path), path, True
        except FileExistsError:
            pass  # another export made it first: use theirs
    return load_ec_private_key(path), path, False
