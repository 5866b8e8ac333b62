"""The official client libraries a service uses in production, against the fakes: Twilio's
Python library (auth token and API key, messaging service, read back by sid, a call whose TwiML
the fake fetches from this script's own little web service, status callbacks whose signatures
Twilio's RequestValidator checks, Twilio errors raised as TwilioRestException) and boto3's SES v2
client (SigV4-signed SendEmail). Each message is read back through the inbox API.

Usage: provider_clients.py INBOX_URL
"""
import json
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

inbox = sys.argv[1].rstrip("/")
settings = json.load(urllib.request.urlopen(f"{inbox}/api/settings"))
account, token = settings["sms_account_sid"], settings["sms_auth_token"]
key, secret = settings["sms_api_key_sid"], settings["sms_api_key_secret"]
validator = RequestValidator(token)


class ToTheFake(TwilioHttpClient):
    """The library, unchanged, with api.twilio.com answered by the fake (as a proxy would)."""

    def request(self, method, url, *args, **kwargs):
        url = url.replace("https://api.twilio.com", settings["sms_base_url"].rstrip("/"))
        return super().request(method, url, *args, **kwargs)


# What this script's web service received: (path, params, signature valid).
received = []


class Service(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        params = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        url = f"http://127.0.0.1:{self.server.server_port}{self.path}"
        valid = validator.validate(url, params, self.headers.get("X-Twilio-Signature", ""))
        received.append((self.path, params, valid))
        body = b""
        if self.path == "/voice":
            body = b"<Response><Say>Your sign-in code is 3, 1, 4, 1, 5, 9.</Say><Pause length=\"1\"/></Response>"
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


service = ThreadingHTTPServer(("127.0.0.1", 0), Service)
threading.Thread(target=service.serve_forever, daemon=True).start()
here = f"http://127.0.0.1:{service.server_port}"


def eventually(what, check, seconds=10):
    """Deliveries and callbacks come asynchronously over HTTP: poll, bounded."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s: {what}")


def phone(to):
    query = urllib.parse.urlencode({"to": to, "after": 0, "timeout_ms": 10000})
    return json.load(urllib.request.urlopen(f"{inbox}/api/phone/wait?{query}"))


def put_fault(what, body):
    request = urllib.request.Request(
        f"{inbox}/api/faults/{what}", data=json.dumps(body).encode(), method="PUT",
        headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request)


by_token = Client(account, token, http_client=ToTheFake())
by_key = Client(key, secret, account, http_client=ToTheFake())

# A text, with delivery reports, then read back by sid.
sent = by_token.messages.create(to="+15550100001", from_="+15550000000",
                                body="Your code: 271828. It expires in 10 minutes.",
                                status_callback=f"{here}/status")
assert sent.sid.startswith("SM") and sent.status == "queued", (sent.sid, sent.status)
assert phone("+15550100001")["body"].startswith("Your code: 271828")
eventually("the delivered callback", lambda: any(p.get("MessageStatus") == "delivered" for _, p, _ in received))
assert all(valid for _, _, valid in received), "every callback passes Twilio's RequestValidator"
assert eventually("delivered", lambda: by_key.messages(sent.sid).fetch().status == "delivered")

# An API key and a messaging service instead of From.
via = by_key.messages.create(to="+15550100002", messaging_service_sid="MG" + "0" * 32, body="Code 161803")
assert via.messaging_service_sid == "MG" + "0" * 32
assert phone("+15550100002")["body"] == "Code 161803"

# A call whose TwiML the fake fetches from the service.
call = by_key.calls.create(to="+15550100003", from_="+15550000000", url=f"{here}/voice",
                           status_callback=f"{here}/status")
assert call.sid.startswith("CA"), call.sid
spoken = phone("+15550100003")
assert spoken["body"] == "Your sign-in code is 3, 1, 4, 1, 5, 9.", spoken
assert eventually("completed", lambda: by_token.calls(call.sid).fetch().status == "completed")
voice = [p for path, p, _ in received if path == "/voice"]
assert voice and voice[0]["CallSid"] == call.sid, voice
assert all(valid for _, _, valid in received), "the TwiML fetch is signed too"

# Twilio's errors, as the library raises them.
for to, status, code in [("+15551000009", 400, 21614), ("+15556000009", 400, 21211)]:
    try:
        by_token.messages.create(to=to, from_="+15550000000", body="x")
        raise AssertionError(f"{to} was accepted")
    except TwilioRestException as e:
        assert (e.status, e.code) == (status, code), (to, e.status, e.code, e.msg)
try:
    Client(key, "wrong", account, http_client=ToTheFake()).messages.create(to="+15550100004", from_="+1", body="x")
    raise AssertionError("a wrong secret was accepted")
except TwilioRestException as e:
    assert (e.status, e.code) == (401, 20003), (e.status, e.code)
put_fault("sms", {"fail_next": 1, "status": 503})
try:
    by_token.messages.create(to="+15550100005", from_="+15550000000", body="x")
    raise AssertionError("the injected failure did not happen")
except TwilioRestException as e:
    assert (e.status, e.code) == (503, 20503), (e.status, e.code)
by_token.messages.create(to="+15550100005", from_="+15550000000", body="Code 141421")
assert phone("+15550100005")["body"] == "Code 141421", "the fault is spent"

# SES v2 through boto3, signed with SigV4 (made-up keys: the fake does not check them).
ses = boto3.client("sesv2", endpoint_url=settings["ses_endpoint"], region_name="us-east-1",
                   aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="not-a-secret")
answer = ses.send_email(
    FromEmailAddress="no-reply@service.test",
    Destination={"ToAddresses": ["ses@example.test"]},
    Content={"Simple": {"Subject": {"Data": "Réinitialiser votre mot de passe"},
                        "Body": {"Text": {"Data": "Open https://service.test/reset?token=abc"}}}})
assert answer["MessageId"], answer
query = urllib.parse.urlencode({"to": "ses@example.test", "after": 0, "timeout_ms": 10000})
mail = json.load(urllib.request.urlopen(f"{inbox}/api/mail/wait?{query}"))
assert mail["subject"] == "Réinitialiser votre mot de passe" and mail["links"] == ["https://service.test/reset?token=abc"]

service.shutdown()
print(f"provider clients: twilio texts, calls by Url, {len(received)} signed webhooks, errors, faults and SES: ok")
