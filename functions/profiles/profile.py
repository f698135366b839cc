"""The customer profile as the domain sees it: plain data, no AWS."""

from __future__ import annotations

from datetime import date

import msgspec
from msgspec import field

from functions.common.contact_history import RecentContact
from functions.common.ticket_overview import TicketsOverview

TIERS = ("standard", "gold", "vip")
#: How a customer prefers to be contacted by us. Surveys and reminders use voice or SMS (an email preference
#: falls back to their channel order); ticket progress updates use SMS or email.
CHANNELS = ("voice", "sms", "email")
#: IANA zone names are short (the longest is about 30 characters); anything longer is not looked up.
MAX_ZONE_CHARS = 64


class CustomerProfile(msgspec.Struct, frozen=True):
    customer_id: str
    phone: str  # E.164
    name: str
    tier: str = "standard"
    language: str = "en"
    time_zone: str | None = None
    recent_complaints: int = 0
    consent_voice: bool = False
    consent_sms: bool = False
    consent_surveys: bool = False
    opted_out: bool = False
    preferred_channel: str = "voice"
    warranty_expires: date | None = None
    plan_expires: date | None = None
    email: str | None = None  # for progress updates by email (preferred_channel "email")
    tickets: TicketsOverview = field(default_factory=TicketsOverview)  # tickets not closed (the screen pop)
    # The last contacts on any channel, newest first (functions/common/contact_history.py): the screen pop.
    recent_contacts: tuple[RecentContact, ...] = ()

    @property
    def display_name(self) -> str:
        return self.name.strip() or "Customer"
