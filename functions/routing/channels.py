"""Which contacts the routing policy routes, and how each channel says who the customer is. Plain Python.

Every routed contact goes through the same rules (policy.json: VIP, repeat complainer, language, renewal,
ticket follow-up, skill; hours), whatever its channel; only the identification differs. Connect tells the
channel in `Details.ContactData.Channel` and, for messaging channels, a subtype in
`Details.ContactData.SegmentAttributes["connect:Subtype"].ValueString`:

- VOICE: the calling number (CustomerEndpoint), a claim only: caller ID can be spoofed. Identity `caller_id`.
- CHAT with subtype `connect:SMS` (Connect's SMS channel delivers texts as CHAT contacts): the sender's number,
  like a caller's. Identity `caller_id`.
- CHAT with subtype `connect:Chat`, none or any other (a web chat): a customer id signed by the site's backend
  (`signed_*` attributes, functions/common/customer_claim.py), trusted once the signature checks: `signed`;
  else what the customer typed in the chat form (`typed_identity`: an E.164 number or an email address), a
  claim only: `typed`; else nobody (`ANONYMOUS_CHAT`).
- TASK, EMAIL and any other channel: nobody; not routed by the rules (reason `NON_VOICE_CHANNEL`). Identity
  `none`.

Initiation methods routed: INBOUND, OUTBOUND, API (StartChatContact is API); transfers keep the queue they were
sent to (`NON_INBOUND_CONTACT`).

A claim only (`caller_id`, `typed`) routes the contact (tier, language, complaints, tickets) but is never
enough to tell the customer anything about the account: the flows say nothing personal to such a customer (the
voice IVR asks for the PIN first, functions/profiles/verification.py; the chat flow says nothing personal at
all), and the desktop marks the identity as unverified. A signed claim that does not check (forged, altered,
expired) identifies nobody: reason `CLAIM_NOT_VERIFIED`, no profile read.

Adding a channel or subtype is adding a row here: `identity_kind` maps it to how the customer is identified.
"""

from __future__ import annotations

import re
from enum import StrEnum

from functions.routing.contact import InboundContact

ROUTED_CHANNELS = ("VOICE", "CHAT")
SMS_SUBTYPE = "connect:SMS"
#: The contact attribute a web chat's pre-chat form fills with what the customer typed (chat-start sets it).
TYPED_IDENTITY_ATTRIBUTE = "typed_identity"
MAX_TYPED_IDENTITY_CHARS = 254  # the longest email address
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s]{2,63}$")


class IdentityKind(StrEnum):
    CALLER_ID = "caller_id"  # the phone number Connect reports (a call, or an SMS conversation)
    WEB = "web"  # a web chat: a signed claim, else a typed identity
    NONE = "none"  # not identified (tasks, emails, channels the rules do not route)


class Identity(StrEnum):
    """How the customer of a decision was identified, returned as the `identity` attribute."""

    CALLER_ID = "caller_id"
    SIGNED = "signed"
    TYPED = "typed"
    NONE = "none"


def identity_kind(contact: InboundContact) -> IdentityKind:
    if contact.channel == "VOICE":
        return IdentityKind.CALLER_ID
    if contact.channel == "CHAT":
        return IdentityKind.CALLER_ID if contact.subtype == SMS_SUBTYPE else IdentityKind.WEB
    return IdentityKind.NONE


def typed_identity(contact: InboundContact) -> tuple[str, str] | None:
    """("email", address) or ("phone", text) from the chat form, or None when absent or not one of them."""
    raw = contact.attributes.get(TYPED_IDENTITY_ATTRIBUTE, "").strip()
    if not raw or len(raw) > MAX_TYPED_IDENTITY_CHARS:
        return None
    if "@" in raw:
        return ("email", raw) if _EMAIL.match(raw) else None
    return ("phone", raw)
