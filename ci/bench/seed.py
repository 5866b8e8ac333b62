"""Accounts for the HTTP benchmarks, made through the reference server's JSON API with mail
and texts read from the fakes' inbox, as a person would. Writes two files of Cookie header
values, one line per session:

  signed_in.txt   sessions signed in fully (for GET /api/v1/account)
  awaiting.txt    sessions past the password, waiting for a code (for code send and check)
  accounts.txt    email and password of each account (for sign-in), tab-separated

    python3 seed.py SERVER_URL INBOX_URL COUNT OUT_DIR
"""
import concurrent.futures
import http.cookiejar
import json
import os
import sys
import urllib.parse
import urllib.request

SERVER, INBOX, COUNT, OUT = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
RUN = os.getpid()


class Session:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def post(self, path, body):
        request = urllib.request.Request(
            f"{SERVER}/api/v1{path}", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with self.opener.open(request) as response:
            answer = json.load(response)
        if answer.get("outcome") != "accepted":
            raise SystemExit(f"POST {path}: {answer}")
        return answer

    def cookie(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def inbox(kind, to):
    query = urllib.parse.urlencode({"to": to, "after": 0, "timeout_ms": 10000})
    with urllib.request.urlopen(f"{INBOX}/api/{kind}/wait?{query}") as response:
        return json.load(response)


def account(n):
    email = f"bench{n}.run{RUN}@example.test"
    phone = f"+15550{(RUN * 7919 + n) % 1_000_000:06d}"
    password = f"bench harbor {n} lantern {RUN} meadow"
    person = Session()
    person.post("/sign-up", {"email": email})
    link = inbox("mail", email)["links"][0]
    token = urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["token"][0]
    person.post("/sign-up/confirm", {"token": token})
    person.post("/sign-up/password", {"password": password})
    person.post("/sign-up/phone", {"phone": phone, "delivery": "sms"})
    person.post("/sign-up/phone/confirm", {"code": inbox("phone", phone)["code"]})
    waiting = Session()
    waiting.post("/sign-in", {"email": email, "password": password})
    return person.cookie(), waiting.cookie(), f"{email}\t{password}"


with concurrent.futures.ThreadPoolExecutor(8) as pool:
    made = list(pool.map(account, range(COUNT)))
os.makedirs(OUT, exist_ok=True)
for name, column in (("signed_in.txt", 0), ("awaiting.txt", 1), ("accounts.txt", 2)):
    with open(os.path.join(OUT, name), "w") as out:
        out.writelines(m[column] + "\n" for m in made)
