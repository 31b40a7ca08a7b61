"""Inbound email in every shape we accept, turned into one `ParsedEmail`.

- raw RFC 822 bytes (the mail sink handoff, IMAP, a provider's "raw" mode);
- a provider-neutral JSON body: {"from", "to", "subject", "text", "message_id",
  "in_reply_to"};
- inbound-parse webhooks, mapped field by field:

  | ours        | SendGrid Inbound Parse | Mailgun route (forward)  | Postmark inbound     |
  | ----------- | ---------------------- | ------------------------ | -------------------- |
  | sender      | `from`                 | `from` (or `sender`)     | `From`               |
  | to          | `to`                   | `recipient`              | `OriginalRecipient`  |
  | subject     | `subject`              | `subject`                | `Subject`            |
  | text        | `text`                 | `stripped-text`          | `StrippedTextReply`  |
  |             |                        | (else `body-plain`)      | (else `TextBody`)    |
  | message id  | `headers`: Message-ID  | `Message-Id`             | `MessageID`          |
  | in reply to | `headers`: In-Reply-To | `In-Reply-To`            | `Headers[]`          |

  SendGrid with "POST the raw, full MIME message" sends `email`: parsed as raw RFC 822.

Only the fresh text of a reply is kept: quoted history ("> …", "On … wrote:") is cut.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage

_WROTE = re.compile(r"^(On .+ wrote:|El .+ escribi[óo]:|Em .+ escreveu:)\s*$", re.I)
_HEADER_LINE = re.compile(r"^([A-Za-z-]+):\s*(.*)$")


@dataclass
class ParsedEmail:
    sender: str
    to: str
    subject: str
    text: str
    message_id: str | None = None
    in_reply_to: str | None = None


def fresh_text(text: str) -> str:
    """The new part of a reply: stop at quoted history or an 'On … wrote:' line."""
    kept = []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        if line.lstrip().startswith(">") or _WROTE.match(line.strip()):
            break
        kept.append(line)
    fresh = "\n".join(kept).strip()
    return fresh or (text or "").strip()


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_type() == "text/html":
        content = re.sub(r"<[^>]+>", " ", content)
    return content


def from_mime(raw: bytes) -> ParsedEmail:
    """Parse a whole RFC 822 message."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    to = ", ".join(str(message.get(h, "")) for h in ("Delivered-To", "To", "Cc")
                   if message.get(h))
    in_reply_to = " ".join(str(message.get(h, "")) for h in ("In-Reply-To", "References")
                           if message.get(h)) or None
    return ParsedEmail(sender=str(message.get("From", "")), to=to,
                       subject=str(message.get("Subject", "")),
                       text=fresh_text(_body_text(message)),
                       message_id=str(message.get("Message-ID", "")).strip() or None,
                       in_reply_to=in_reply_to)


def _headers_block(block: str) -> dict[str, str]:
    found = {}
    for line in (block or "").splitlines():
        match = _HEADER_LINE.match(line)
        if match:
            found.setdefault(match.group(1).lower(), match.group(2).strip())
    return found


def from_fields(data: dict) -> ParsedEmail:
    """A provider's fields (SendGrid, Mailgun, Postmark or our neutral JSON)."""
    get = {k.lower(): v for k, v in data.items()}
    if get.get("email"):  # SendGrid raw mode
        raw = get["email"]
        return from_mime(raw.encode() if isinstance(raw, str) else raw)
    headers = _headers_block(get.get("headers")) if isinstance(get.get("headers"), str) else {}
    if isinstance(get.get("headers"), list):  # Postmark: [{"Name": …, "Value": …}]
        headers = {str(h.get("Name", "")).lower(): str(h.get("Value", ""))
                   for h in get["headers"] if isinstance(h, dict)}
    text = (get.get("strippedtextreply") or get.get("stripped-text") or get.get("textbody")
            or get.get("body-plain") or get.get("text") or "")
    message_id = (get.get("message_id") or get.get("message-id") or get.get("messageid")
                  or headers.get("message-id"))
    in_reply_to = (get.get("in_reply_to") or get.get("in-reply-to")
                   or headers.get("in-reply-to") or headers.get("references"))
    return ParsedEmail(
        sender=str(get.get("from") or get.get("sender") or ""),
        to=str(get.get("originalrecipient") or get.get("recipient") or get.get("to") or ""),
        subject=str(get.get("subject") or ""), text=fresh_text(str(text)),
        message_id=str(message_id).strip() if message_id else None,
        in_reply_to=str(in_reply_to) if in_reply_to else None)


def ingest_email(parsed: ParsedEmail):
    """Store a parsed email through `ingest_reply` (the same path as every channel)."""
    from replies.ingest import ingest_reply

    return ingest_reply("email", parsed.sender, parsed.text, to=parsed.to,
                        provider_id=parsed.message_id, subject=parsed.subject or None,
                        in_reply_to=parsed.in_reply_to)
