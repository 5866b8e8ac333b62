"""aiosmtpd keeping every message in memory, parsed, as the fake SMTP server does (a fair
comparison: the default handlers print or discard). Usage: aiosmtpd_inbox.py HOST PORT"""
import asyncio
import email
import email.policy
import sys

from aiosmtpd.controller import Controller

kept = []


class Inbox:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        kept.append((envelope.mail_from, list(envelope.rcpt_tos), message["subject"], message.get_content()))
        return "250 OK"


controller = Controller(Inbox(), hostname=sys.argv[1], port=int(sys.argv[2]))
controller.start()
print("ready", flush=True)
try:
    asyncio.new_event_loop().run_forever()
finally:
    controller.stop()
