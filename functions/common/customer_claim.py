"""A signed-in customer's identity, signed by the company site's backend: the claim a chat starts with. Plain Python.

The contract (README, "Chat"): when a signed-in customer opens the chat, the site's backend (never the browser)
computes

    signature = hex(HMAC-SHA256(secret, "v1|<customer_id>|<expires>"))

where `expires` is a Unix time in whole seconds, at most MAX_CLAIM_TTL ahead, and `secret` is the chat-identity
secret in Secrets Manager (the site's backend reads the same secret). The page passes the three values to
`POST /chat/start`; the chat-start function checks them and hands them on to StartChatContact as the contact
attributes CLAIM_ATTRIBUTES; the routing Lambda checks them again before it trusts the customer id. A browser
that changes the customer id, the expiry or the signature gets no one's profile: the signature no longer
matches, and without the secret it cannot make one that does.

What a claim proves: that the site's backend vouched for that customer until `expires`. Replaying one's own
claim before it expires gives nothing new; a claim is short-lived for that reason.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

VERSION = "v1"
#: The longest a claim may be valid for, from the moment it is checked.
MAX_CLAIM_TTL = timedelta(minutes=15)
MAX_CUSTOMER_ID_CHARS = 64
_CUSTOMER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
#: The contact attributes the claim travels in (StartChatContact -> the routing Lambda).
CLAIM_ATTRIBUTES = ("signed_customer_id", "signed_expires", "signed_signature")


class ClaimCheck(StrEnum):
    VALID = "valid"
    ABSENT = "absent"  # no claim at all: an anonymous customer
    MALFORMED = "malformed"  # fields missing, too long or not in their shape
    EXPIRED = "expired"
    TOO_LONG = "too_long"  # expires further ahead than MAX_CLAIM_TTL
    BAD_SIGNATURE = "bad_signature"  # forged or altered


class CustomerClaim(msgspec.Struct, frozen=True):
    customer_id: str
    expires: int  # Unix seconds
    signature: str

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, object]) -> CustomerClaim | None:
        """The claim carried in contact attributes (or a request body with the same keys); None if absent."""
        values = [attributes.get(key) for key in CLAIM_ATTRIBUTES]
        if all(value in (None, "") for value in values):
            return None
        customer_id, expires, signature = (value if isinstance(value, str | int) else "" for value in values)
        try:
            expiry = int(expires)
        except (TypeError, ValueError):
            expiry = -1
        return cls(str(customer_id).strip(), expiry, str(signature).strip().lower())

    def to_attributes(self) -> dict[str, str]:
        return dict(zip(CLAIM_ATTRIBUTES, (self.customer_id, str(self.expires), self.signature), strict=True))


def _message(customer_id: str, expires: int) -> bytes:
    return f"{VERSION}|{customer_id}|{expires}".encode()


def sign_claim(secret: bytes, customer_id: str, expires: datetime) -> CustomerClaim:
    """What the site's backend does (and the local stand-in of it, `callcenter chat`)."""
    if not _CUSTOMER_ID.match(customer_id):
        raise ValueError("a customer id is 1-64 letters, digits or _.:-")
    epoch = int(expires.timestamp())
    signature = hmac.new(secret, _message(customer_id, epoch), hashlib.sha256).hexdigest()
    return CustomerClaim(customer_id, epoch, signature)


def check_claim(claim: CustomerClaim | None, secret: bytes, now: datetime) -> ClaimCheck:
    """Whether to trust the claim's customer id at `now`. Compares in constant time; never raises."""
    if claim is None:
        return ClaimCheck.ABSENT
    if not _CUSTOMER_ID.match(claim.customer_id) or not _SIGNATURE.match(claim.signature) or claim.expires < 0:
        return ClaimCheck.MALFORMED
    expected = hmac.new(secret, _message(claim.customer_id, claim.expires), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, claim.signature):
        return ClaimCheck.BAD_SIGNATURE
    moment = int(now.timestamp())
    if claim.expires <= moment:
        return ClaimCheck.EXPIRED
    if claim.expires > moment + int(MAX_CLAIM_TTL.total_seconds()):
        return ClaimCheck.TOO_LONG
    return ClaimCheck.VALID
