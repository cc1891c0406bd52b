"""Capture over HTTPS, against a site on 127.0.0.1 with a certificate from a test CA.

Most news sites are HTTPS only, so both capture paths must record them: the HTTP capture
(the fetcher's own TLS connection, verified against the system's trust store) and the
browser capture, where Chromium talks to the recording proxy, which terminates TLS with a
per-session certificate and fetches the page itself over a verified connection. A site
whose certificate does not verify is refused with a clear error and nothing is stored.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from archive.capture import http as capture_http
from archive.provenance.cite import cite, verify_citation
from archive.site import (
    SiteServer,
    demo_content,
    publish_scripted,
    render_article,
    scripted_story,
)
from archive.warc.record import load_record


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _make_ca_and_leaf(tmp_path):
    """A CA and a certificate for 127.0.0.1 signed by it; returns (ca_pem_path, cert, key)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("archive-store test CA"))
          .issuer_name(_name("archive-store test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(_name("127.0.0.1"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_path = tmp_path / "test-ca.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path = tmp_path / "leaf.pem"
    key_path = tmp_path / "leaf.key"
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_path, cert_path, key_path


@pytest.fixture
def https_site(tmp_path):
    ca_path, cert_path, key_path = _make_ca_and_leaf(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    with SiteServer(tls=ctx) as server:
        server.ca_path = ca_path
        yield server


@pytest.fixture
def trust_test_ca(https_site, monkeypatch):
    """Trust the test CA the way a user trusts a private CA: ``SSL_CERT_FILE``."""
    monkeypatch.setenv("SSL_CERT_FILE", str(https_site.ca_path))
    monkeypatch.setattr(capture_http, "_TLS", None)  # the fetcher's context is made once
    yield
    capture_http._TLS = None


@pytest.fixture
def untrusted(monkeypatch):
    monkeypatch.setattr(capture_http, "_TLS", None)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    yield
    capture_http._TLS = None


def _article(server) -> str:
    content = demo_content()
    page = render_article(content["site"], content["articles"][0]["editions"][0], content["popular"])
    return server.set("/news/flood", page)


def test_http_capture_records_an_https_page_verbatim(store, https_site, trust_test_ca):
    url = _article(https_site)
    assert url.startswith("https://127.0.0.1:")
    [out] = store.capture([url])
    assert "error" not in out, out
    row = store.conn.execute("SELECT * FROM captures WHERE url=? AND record_type='response'",
                             (url,)).fetchone()
    assert row["status"] == 200
    # The WARC says https and holds the bytes the server sent.
    rec = load_record(store.warcs.path_of(row["warc_file"]), row["offset"], row["length"])
    assert rec.headers_by_name()["warc-target-uri"] == url
    assert rec.payload == https_site.pages["/news/flood"].body
    c = cite(store, url, "More than 2,300 homes were evacuated overnight")
    assert verify_citation(store, c["id"])["ok"]


def test_an_https_page_whose_certificate_does_not_verify_is_refused(store, https_site, untrusted):
    url = _article(https_site)
    [out] = store.capture([url])
    assert "certificate" in out.get("error", "").lower(), out
    assert store.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 0


browser = pytest.mark.browser


def _browser_or_skip():
    from archive.capture.browser import BrowserCapturer, browser_available
    why = browser_available()
    if why:
        pytest.skip(f"browser capture unavailable: {why}")
    return BrowserCapturer


@browser
def test_browser_capture_records_every_resource_of_an_https_page(store, https_site, trust_test_ca):
    BrowserCapturer = _browser_or_skip()
    page = publish_scripted(https_site)
    assert page.startswith("https://")
    with BrowserCapturer(budget=20) as b:
        [out] = store.capture_browser([page], b)
    assert "error" not in out, out
    assert out["status"] == 200
    urls = {r["url"]: r for r in store.conn.execute("SELECT url, status, record_type FROM captures")}
    story = scripted_story()
    # The recording proxy saw inside TLS: every request of the load is recorded under its
    # https URL, with the status the site answered.
    for path in ("/static/app.js", "/static/site.css", f"/api/story/{story['slug']}.json",
                 "/static/hero.png"):
        assert https_site.url(path) in urls, path
        assert urls[https_site.url(path)]["status"] == 200
    assert not any(u.startswith("http://127.0.0.1") for u in urls)
    c = cite(store, page, "More than 2,300 homes were evacuated on Tuesday")
    assert verify_citation(store, c["id"])["ok"]


@browser
def test_browser_capture_refuses_an_https_site_whose_certificate_does_not_verify(store, https_site, untrusted):
    BrowserCapturer = _browser_or_skip()
    page = publish_scripted(https_site)
    with BrowserCapturer(budget=20) as b:
        [out] = store.capture_browser([page], b)
    # Chromium trusts the proxy's interception certificate, so the check that matters is
    # the proxy's own connection to the site: it must not record an unverified origin.
    assert "error" in out, out
    assert "certificate" in out["error"].lower(), out
    assert store.conn.execute(
        "SELECT count(*) FROM captures WHERE record_type='response' AND url LIKE 'https://%'").fetchone()[0] == 0
