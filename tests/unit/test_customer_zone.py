"""Where a customer is (functions/profiles/zone.py: customer_zone): the rule surveys, reminders, progress
updates and routing share. A number tells the zone only when its region has exactly one."""

import pytest

from functions.common.phone import time_zones_for
from functions.profiles.profile import CustomerProfile
from functions.profiles.zone import customer_zone

TOLL_FREE = "+18005550123"  # North America: every zone from Adak to Bermuda
MOSCOW_MOBILE = "+79161234567"  # Russia: Kaliningrad to Kamchatka


def no_zone(phone):
    return CustomerProfile("c-1", phone, "Ada Lovelace", time_zone=None)


@pytest.mark.parametrize(("number", "center"), [(TOLL_FREE, "America/New_York"), (MOSCOW_MOBILE, "Europe/Moscow")])
def test_a_number_whose_region_spans_several_zones_gets_the_centers_zone_not_the_first(number, center):
    # Given a number of a region with several zones, the first of which is not the center's
    zones = time_zones_for(number)
    assert len(zones) > 1 and zones[0] != center
    # Then the number tells nothing: the center's zone
    assert customer_zone(no_zone(number), number, center) == center


def test_a_number_with_exactly_one_zone_gives_that_zone():
    assert customer_zone(no_zone("+13035550123"), "+13035550123", "America/New_York") == "America/Denver"


def test_the_profiles_zone_comes_first_and_an_unknown_one_is_ignored():
    profile = CustomerProfile("c-1", TOLL_FREE, "Ada", time_zone="Asia/Tokyo")
    assert customer_zone(profile, TOLL_FREE, "America/New_York") == "Asia/Tokyo"
    broken = CustomerProfile("c-1", "+13035550123", "Ada", time_zone="Mars/Olympus_Mons")
    assert customer_zone(broken, "+13035550123", "America/New_York") == "America/Denver"
