"""Signed WACZ exports, checked by the reference verifiers of the WACZ signing spec.

The domain form is checked by py-wacz's ``wacz validate --verify-auth`` with authsign's
verifier behind it, in their own virtualenv (``make wacz-venv``: authsign pins older
libraries than ours). authsign trusts only the roots listed in its ``trusted_roots``
file — Let's Encrypt and public timestamp authorities by default, which no offline test
can get a certificate from — so the test makes a domain CA and a timestamp authority
(OpenSSL's ``openssl ts -reply``, served over HTTP on 127.0.0.1), and runs authsign's
own server with a roots file naming them, as authsign's own tests do; py-wacz reaches
it with ``--verifier-url``. Everything else — the signature, the certificate chains,
the domain, the RFC 3161 timestamp and its window, the package hashes — is checked
by their code, unchanged.

The anonymous form is checked the way ReplayWeb.page (wabac.js) checks it: WebCrypto's
ECDSA P-384 / SHA-256 over the hash string, here Node's WebCrypto, a second
implementation of the same primitives.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from archive.capture.http import Fetcher
from archive.cli.export import export_cli
from archive.export import export_wacz, verify_wacz_signature
from archive.provenance.cite import cite
from archive.provenance.keys import wacz_signing_key
from archive.provenance.waczauth import AnonymousSigner, DomainSigner, http_timestamper
from archive.site import publish_edition
from archive.store import Store

ROOT = Path(__file__).resolve().parents[1]
WACZ_VENV = ROOT / os.environ.get("WACZ_VENV", ".venv-wacz")  # relative to the checkout
WACZ = WACZ_VENV / "bin" / "wacz"
PASSAGE = "More than 2,300 homes were evacuated overnight"
DOMAIN = "archive.test"

# `make test-wacz-auth` names the venv in $WACZ_VENV: there a missing venv fails, never skips.
needs_wacz = pytest.mark.skipif(
    "WACZ_VENV" not in os.environ and not (WACZ.exists() and (WACZ_VENV / "bin" / "uvicorn").exists()),
    reason=f"py-wacz with authsign is not installed in {WACZ_VENV} (run `make wacz-venv`)")
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")


# -- a small PKI: a domain CA and certificate, a timestamp authority ------------------------------

def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key, issuer: str, issuer_key, ca: bool, eku=None, not_before=None):
    now = dt.datetime.now(dt.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(not_before or now - dt.timedelta(minutes=5))
         .not_valid_after(now + dt.timedelta(days=30))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                          key_encipherment=False, data_encipherment=False,
                                          key_agreement=False, key_cert_sign=True, crl_sign=True,
                                          encipher_only=False, decipher_only=False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                          key_encipherment=False, data_encipherment=False,
                                          key_agreement=False, key_cert_sign=False, crl_sign=False,
                                          encipher_only=False, decipher_only=False), critical=True)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    if not ca and subject == DOMAIN:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(DOMAIN)]), critical=False)
    b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                        critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def _pem(*certs) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _key_pem(key, password: bytes | None = None) -> bytes:
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def _fingerprint(cert) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PKI:
    def __init__(self, d: Path):
        self.dir = d
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = _cert("Archive Test Domain Root", self.ca_key, "Archive Test Domain Root", self.ca_key, True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = _cert(DOMAIN, self.key, "Archive Test Domain Root", self.ca_key, False)
        self.tsa_ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.tsa_ca = _cert("Archive Test TSA Root", self.tsa_ca_key, "Archive Test TSA Root", self.tsa_ca_key, True)
        self.tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.tsa = _cert("Archive Test TSA", self.tsa_key, "Archive Test TSA Root", self.tsa_ca_key, False,
                         eku=[ExtendedKeyUsageOID.TIME_STAMPING])
        files = {"domain-chain.pem": _pem(self.cert, self.ca), "domain.key": _key_pem(self.key),
                 "tsa.pem": _pem(self.tsa), "tsa.key": _key_pem(self.tsa_key),
                 "tsa-ca.pem": _pem(self.tsa_ca), "tsa-chain.pem": _pem(self.tsa, self.tsa_ca),
                 "serial": b"01\n"}
        for name, data in files.items():
            (d / name).write_bytes(data)
        (d / "tsa.cnf").write_text(f"""
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {d}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/tsa-ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.4146.2.3
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
""")


class OpenSSLTimestampAuthority:
    """RFC 3161 over HTTP (``application/timestamp-query``), answered by ``openssl ts -reply``."""

    def __init__(self, pki: PKI):
        lock = threading.Lock()
        d = pki.dir

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                query = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    (d / "q.tsq").write_bytes(query)
                    r = subprocess.run(["openssl", "ts", "-reply", "-config", str(d / "tsa.cnf"),
                                        "-queryfile", str(d / "q.tsq"), "-out", str(d / "r.tsr")],
                                       capture_output=True, timeout=30)
                    body = (d / "r.tsr").read_bytes() if r.returncode == 0 else r.stderr
                self.send_response(200 if r.returncode == 0 else 500)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsr"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command")
    p = PKI(tmp_path_factory.mktemp("pki"))
    tsa = OpenSSLTimestampAuthority(p)
    p.tsa_url = tsa.url
    yield p
    tsa.close()


@pytest.fixture(scope="module")
def authsign(pki, tmp_path_factory):
    """authsign's server, trusting the test domain CA and timestamp authority only."""
    if not (WACZ_VENV / "bin" / "uvicorn").exists() and "WACZ_VENV" not in os.environ:
        pytest.skip(f"authsign is not installed in {WACZ_VENV} (run `make wacz-venv`)")
    d = tmp_path_factory.mktemp("authsign")
    data = d / "data"
    data.mkdir()
    # authsign loads its own signing certificate at start (its passphrase is fixed in its
    # code); the verify endpoint does not use it.
    (data / "cert.pem").write_bytes(_pem(pki.cert, pki.ca))
    (data / "private-key.pem").write_bytes(_key_pem(pki.key, b"passphrase"))
    (d / "roots.yaml").write_text(json.dumps({"domain_cert_roots": [_fingerprint(pki.ca)],
                                              "timestamp_cert_roots": [_fingerprint(pki.tsa_ca)]}))
    (d / "config.yaml").write_text(json.dumps({
        "signing": {"domain": DOMAIN, "email": "test@archive.test", "port": 0, "output": str(data),
                    "timestamping": [{"url": pki.tsa_url}]},
        "trusted_roots": str(d / "roots.yaml")}))
    port = _free_port()
    env = {**os.environ, "CONFIG": str(d / "config.yaml"), "NO_RENEW": "1"}
    log = open(d / "authsign.log", "wb")
    proc = subprocess.Popen([str(WACZ_VENV / "bin" / "uvicorn"), "authsign.main:app", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=d, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("authsign did not start:\n" + (d / "authsign.log").read_text())
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/verify"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def filled(tmp_path, site):
    with Store(tmp_path / "archive.db", tmp_path / "warcs") as store:
        fetcher = Fetcher(timeout=10)
        urls = publish_edition(site, 0)
        store.capture(urls, fetcher)
        c = cite(store, urls[0], PASSAGE)
        yield store, c, urls


def wacz_validate(path: Path, verifier_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(WACZ), "validate", "--verify-auth", "--verifier-url", verifier_url,
                           "-f", str(path)], capture_output=True, text=True, timeout=300)


def tamper_signature(src: Path, dst: Path, change) -> None:
    """Copy a WACZ, letting ``change`` rewrite the signedData of datapackage-digest.json."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "datapackage-digest.json":
                digest = json.loads(data)
                change(digest["signedData"])
                data = json.dumps(digest, indent=2).encode()
            zout.writestr(info, data)


def flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[len(raw) // 2] ^= 1
    return base64.b64encode(bytes(raw)).decode()


# -- the domain form, through `wacz validate --verify-auth` -------------------------------------

@needs_wacz
@needs_openssl
def test_domain_signed_export_passes_wacz_validate_verify_auth(filled, tmp_path, pki, authsign):
    store, c, urls = filled
    target = tmp_path / "signed.wacz"
    r = CliRunner().invoke(export_cli, [
        "wacz", str(target), "--citation", c["id"],
        "--domain-cert", str(pki.dir / "domain-chain.pem"), "--domain-key", str(pki.dir / "domain.key"),
        "--timestamp-url", pki.tsa_url, "--timestamp-cert", str(pki.dir / "tsa-chain.pem"),
        "--db", str(store.db_path), "--warcs", str(store.warcs_dir)], catch_exceptions=False)
    assert r.exit_code == 0 and "signed" in r.output, r.output
    with zipfile.ZipFile(target) as zf:
        signed = json.loads(zf.read("datapackage-digest.json"))["signedData"]
    assert signed["domain"] == DOMAIN and "publicKey" not in signed
    assert {"hash", "created", "software", "signature", "domainCert", "timeSignature", "timestampCert"} <= set(signed)

    result = wacz_validate(target, authsign)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Successfully verified signature via: " + authsign in result.stdout
    assert "Validation succeeded" in result.stdout
    ours = verify_wacz_signature(target)
    assert ours["ok"] and ours["form"] == "domain", ours
    assert ours["signer"]["domainRoot"] == _fingerprint(pki.ca)

    # a package whose signature, hash, or timestamp was changed after signing fails
    for name, change in [("signature", lambda s: s.update(signature=flip(s["signature"]))),
                         ("hash", lambda s: s.update(hash="sha256:" + "0" * 64)),
                         ("timestamp", lambda s: s.update(timeSignature=flip(s["timeSignature"]))),
                         ("domain", lambda s: s.update(domain="other.test"))]:
        bad = tmp_path / f"bad-{name}.wacz"
        tamper_signature(target, bad, change)
        result = wacz_validate(bad, authsign)
        assert result.returncode == 1, (name, result.stdout + result.stderr)
        assert "Validation failed" in result.stdout, name
        assert not verify_wacz_signature(bad)["ok"], name

    # and so does one whose content changed after signing, its hashes left as they were
    bad = tmp_path / "bad-pages.wacz"
    with zipfile.ZipFile(target) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "pages/pages.jsonl":
                data = data.replace(b"wildfire", b"wildfare")
            zout.writestr(info, data)
    result = wacz_validate(bad, authsign)
    assert result.returncode == 1 and "Hash Count Error" in result.stdout, result.stdout


@needs_wacz
@needs_openssl
def test_a_domain_certificate_from_an_untrusted_authority_fails(filled, tmp_path, pki, authsign):
    """The same domain and timestamp, but a certificate from a CA authsign does not trust."""
    store, c, urls = filled
    rogue_key = ec.generate_private_key(ec.SECP256R1())
    rogue_ca = _cert("Rogue Root", rogue_key, "Rogue Root", rogue_key, True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert(DOMAIN, leaf_key, "Rogue Root", rogue_key, False)
    (tmp_path / "rogue.pem").write_bytes(_pem(leaf, rogue_ca))
    (tmp_path / "rogue.key").write_bytes(_key_pem(leaf_key))
    signer = DomainSigner.from_files(tmp_path / "rogue.key", tmp_path / "rogue.pem", pki.tsa_url,
                                     pki.dir / "tsa-chain.pem")
    target = tmp_path / "rogue.wacz"
    export_wacz(store, target, page=urls[0], signer=signer)
    result = wacz_validate(target, authsign)
    assert result.returncode == 1 and "Signature not verified" in result.stdout, result.stdout
    # offline, the signature itself holds; the root it names is the reader's to judge
    ours = verify_wacz_signature(target)
    assert ours["ok"] and ours["signer"]["domainRoot"] == _fingerprint(rogue_ca)


@needs_openssl
def test_domain_signer_refuses_a_wrong_key_or_a_timestamp_it_cannot_check(pki, tmp_path):
    from archive.errors import UsageError
    from archive.provenance.waczauth import SignatureError

    other = tmp_path / "other.key"
    other.write_bytes(_key_pem(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(UsageError, match="not for the key"):
        DomainSigner.from_files(other, pki.dir / "domain-chain.pem", pki.tsa_url, pki.dir / "tsa-chain.pem")
    backwards = tmp_path / "backwards.pem"
    backwards.write_bytes(_pem(pki.ca, pki.cert))
    with pytest.raises(UsageError, match="leaf first"):
        DomainSigner.from_files(pki.dir / "domain.key", backwards, pki.tsa_url, pki.dir / "tsa-chain.pem")
    # a timestamp authority answering with another authority's chain is caught before use
    signer = DomainSigner.from_files(pki.dir / "domain.key", pki.dir / "domain-chain.pem", pki.tsa_url,
                                     pki.dir / "domain-chain.pem")
    with pytest.raises((SignatureError, UsageError)):
        signer("sha256:" + "0" * 64, "2024-01-01T00:00:00Z")
    with pytest.raises(SignatureError, match="did not answer"):
        http_timestamper(f"http://127.0.0.1:{_free_port()}/", timeout=2)(b"x")


# -- the anonymous form, as ReplayWeb.page checks it ---------------------------------------------

NODE_VERIFY = """
const fs = require('fs');
const s = JSON.parse(fs.readFileSync(0, 'utf8'));
(async () => {
  const key = await crypto.subtle.importKey('spki', Buffer.from(s.publicKey, 'base64'),
                                            {name: 'ECDSA', namedCurve: 'P-384'}, true, ['verify']);
  const ok = await crypto.subtle.verify({name: 'ECDSA', hash: 'SHA-256'}, key,
                                        Buffer.from(s.signature, 'base64'), new TextEncoder().encode(s.hash));
  process.stdout.write(ok ? 'valid' : 'invalid');
})().catch(e => { process.stdout.write('error ' + e); });
"""


def webcrypto_verify(signed: dict) -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node command (WebCrypto check of the anonymous form)")
    r = subprocess.run([node, "-e", NODE_VERIFY], input=json.dumps(signed), capture_output=True,
                       text=True, timeout=60)
    return r.stdout


def test_anonymous_signature_with_a_key_made_on_first_use(filled, tmp_path, monkeypatch):
    store, c, urls = filled
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ARCHIVE_SIGNING_KEY", raising=False)
    common = ["--db", str(store.db_path), "--warcs", str(store.warcs_dir)]
    r = CliRunner().invoke(export_cli, ["wacz", "a.wacz", "--citation", c["id"], "--sign", *common],
                           catch_exceptions=False)
    assert r.exit_code == 0 and "made the WACZ signing key" in r.output, r.output
    key_path = tmp_path / "keys" / "archive-wacz.key"
    assert key_path.stat().st_mode & 0o777 == 0o600 and (tmp_path / "keys" / "archive-wacz.pub").exists()
    r = CliRunner().invoke(export_cli, ["wacz", "b.wacz", "--sign", *common], catch_exceptions=False)
    assert r.exit_code == 0 and "made the WACZ signing key" not in r.output

    key = wacz_signing_key(key_path)[0]
    for name in ("a.wacz", "b.wacz"):
        with zipfile.ZipFile(tmp_path / name) as zf:
            signed = json.loads(zf.read("datapackage-digest.json"))["signedData"]
            created = json.loads(zf.read("datapackage.json"))["created"]
        assert set(signed) == {"hash", "created", "software", "version", "signature", "publicKey"}
        assert signed["created"] == created
        assert webcrypto_verify(signed) == "valid"
        assert verify_wacz_signature(tmp_path / name, key.public_key())["ok"]
        assert not verify_wacz_signature(tmp_path / name, ec.generate_private_key(ec.SECP384R1()).public_key())["ok"]
        assert webcrypto_verify({**signed, "hash": "sha256:" + "0" * 64}) == "invalid"
        assert webcrypto_verify({**signed, "signature": flip(signed["signature"])}) == "invalid"

    # the ledger's Ed25519 key is refused with a message that says what to do
    from archive.provenance.keys import write_key_pair

    priv, _ = write_key_pair(tmp_path / "ledger")
    r = CliRunner().invoke(export_cli, ["wacz", "c.wacz", "--sign-key", str(priv), *common])
    assert r.exit_code == 2 and "Ed25519" in r.output and "ECDSA" in r.output


def test_wacz_key_lives_next_to_the_ledger_key(tmp_path, monkeypatch):
    from archive.provenance.keys import default_wacz_key_path

    monkeypatch.setenv("ARCHIVE_SIGNING_KEY", str(tmp_path / "secret" / "archive-signing.key"))
    assert default_wacz_key_path() == tmp_path / "secret" / "archive-wacz.key"


def test_anonymous_signer_in_the_library(filled, tmp_path):
    store, c, urls = filled
    key = ec.generate_private_key(ec.SECP384R1())
    target = tmp_path / "lib.wacz"
    export_wacz(store, target, page=urls[0], signer=AnonymousSigner(key))
    assert verify_wacz_signature(target, key.public_key())["ok"]
    bad = tmp_path / "bad.wacz"
    tamper_signature(target, bad, lambda s: s.update(created="2001-01-01T00:00:00Z"))
    result = verify_wacz_signature(bad)
    assert not result["ok"] and ("signedData created is the package's", False) in result["checks"]

