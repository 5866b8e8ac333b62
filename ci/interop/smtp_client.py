"""Python's own smtplib against the fake mail server, as a service configured for production
would use it: STARTTLS then login, and TLS from the first byte then login. Each message is read
back through the inbox API. The certificate is checked by its fingerprint from /api/settings.

Usage: smtp_client.py INBOX_URL
"""
import email.message
import hashlib
import json
import smtplib
import ssl
import sys
import urllib.parse
import urllib.request

inbox = sys.argv[1].rstrip("/")
settings = json.load(urllib.request.urlopen(f"{inbox}/api/settings"))
host, port, smtps_port = settings["smtp_host"], settings["smtp_port"], settings["smtps_port"]
fingerprint = settings["smtp_tls_fingerprint"]

# The certificate is self-signed: trust it by its fingerprint, as a pinned client would.
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE


def pinned(sock):
    der = sock.getpeercert(binary_form=True)
    seen = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert seen == fingerprint, f"certificate {seen} is not the one /api/settings names ({fingerprint})"


def message(to, subject):
    m = email.message.EmailMessage()
    m["From"] = "Service <no-reply@example.test>"
    m["To"] = to
    m["Subject"] = subject
    link = "https://service.test/confirm?token=" + "x" * 120 + "&step=2"
    m.set_content(f"Hello,\n\nConfirm here: {link}\n\nMerci, Grüße.\n")
    m.add_alternative(f'<p><a href="{link.replace("&", "&amp;")}">Confirm</a> — Grüße</p>', subtype="html")
    return m, link


def received(to):
    query = urllib.parse.urlencode({"to": to, "after": 0, "timeout_ms": 10000})
    return json.load(urllib.request.urlopen(f"{inbox}/api/mail/wait?{query}"))


with smtplib.SMTP(host, port, timeout=10) as s:
    s.ehlo()
    assert s.has_extn("starttls") and s.has_extn("auth"), s.esmtp_features
    s.starttls(context=context)
    pinned(s.sock)
    s.ehlo()
    s.login("service", "secret")
    m, link = message("starttls@example.test", "Bestätigen Sie Ihre Adresse")
    s.send_message(m)
got = received("starttls@example.test")
assert got["subject"] == "Bestätigen Sie Ihre Adresse", got["subject"]
assert link in got["links"], got["links"]
assert "Grüße" in got["text"], got["text"]

with smtplib.SMTP_SSL(host, smtps_port, context=context, timeout=10) as s:
    pinned(s.sock)
    s.login("service", "secret")
    m, _ = message("wrapped@example.test", "Over TLS from the first byte")
    s.send_message(m, to_addrs=["wrapped@example.test", "hidden@example.test"])
assert received("wrapped@example.test")["subject"] == "Over TLS from the first byte"
assert received("hidden@example.test")["subject"] == "Over TLS from the first byte", "a Bcc recipient"
print("smtplib: STARTTLS + login and implicit TLS + login delivered, read back through the inbox API")
