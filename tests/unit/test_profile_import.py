"""Profile files: good rows are kept, each bad row is reported with its line number and reason."""

import json

import pytest

from functions.profiles.importer import ProfileFileError, customer_id_for, import_profiles

HEADER = "customer_id,phone,name,tier,language,time_zone,recent_complaints,consent_voice,warranty_expires\n"


def test_csv_rows_are_validated_row_by_row():
    # Given a CSV with two good rows and four bad ones
    text = HEADER + (
        "c1,+1 415 555 0100,Ada Lovelace,VIP,EN,America/Los_Angeles,0,yes,2026-12-20\n"
        ",(212) 555-0175,Grace Hopper,,,,4,,\n"
        "c3,12345,Bad Number,standard,en,,,,\n"
        "c4,+14155550100,Same Phone,standard,en,,,,\n"
        "c5,+14155550111,,gold,en,Mars/Base,-1,maybe,2026-13-01\n"
        "c1,+14155550122,Same Id,standard,en,,,,\n"
    )
    # When it is imported
    report = import_profiles(text, "csv")
    # Then the good rows are kept, normalised
    assert [(p.customer_id, p.phone, p.tier, p.language) for p in report.accepted] == [
        ("c1", "+14155550100", "vip", "en"),
        (customer_id_for("+12125550175"), "+12125550175", "standard", "en"),
    ]
    assert report.accepted[0].consent_voice is True
    assert report.accepted[1].recent_complaints == 4
    # And each bad row is reported with its line and reason
    reasons = {row.line: row.reason for row in report.rejected}
    assert set(reasons) == {4, 5, 6, 7}
    assert reasons[4] == "phone: not a valid number for its region"
    assert reasons[5] == "phone: +1********00 already used on line 2"
    for expected in ("name:", "time_zone: unknown IANA time zone 'Mars/Base'", "recent_complaints:",
                     "consent_voice: must be true or false", "warranty_expires:"):
        assert expected in reasons[6]
    assert reasons[7] == "customer_id: c1 already used on line 2"


def test_generated_customer_ids_are_stable():
    assert customer_id_for("+14155550100") == customer_id_for("+14155550100")
    assert customer_id_for("+14155550100") != customer_id_for("+14155550101")


def test_csv_without_required_columns_is_a_file_error():
    with pytest.raises(ProfileFileError, match="missing column"):
        import_profiles("id,phone_number\n1,2\n", "csv")


def test_csv_row_with_too_many_cells_or_unknown_column_is_rejected():
    report = import_profiles("phone,name\n+14155550100,Ada,extra\n", "csv")
    assert report.rejected[0].reason == "more cells than header columns"
    report = import_profiles("phone,name,shoe_size\n+14155550100,Ada,42\n", "csv")
    assert report.rejected[0].reason == "shoe_size: unknown column"


def test_json_lines_report_the_line_of_each_bad_record():
    lines = [
        json.dumps({"phone": "+14155550100", "name": "Ada", "tier": "gold"}),
        "",
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"phone": "+14155550111", "name": "Bob", "recent_complaints": "three"}),
    ]
    report = import_profiles("\n".join(lines), "jsonl")
    assert len(report.accepted) == 1
    assert [row.line for row in report.rejected] == [3, 4, 5]
    assert report.rejected[0].reason.startswith("not valid JSON")
    assert "recent_complaints" in report.rejected[2].reason


def test_json_array_items_are_numbered():
    report = import_profiles(json.dumps([{"phone": "+14155550100", "name": "Ada"}, {"name": "No phone"}]), "json")
    assert len(report.accepted) == 1
    assert report.rejected[0].line == 2 and "phone: Field required" in report.rejected[0].reason


@pytest.mark.parametrize(("text", "fmt", "message"), [
    ("{}", "json", "JSON array"),
    ("[", "json", "not valid JSON"),
    ("a,b", "xlsx", "unknown profile file format"),
])
def test_unreadable_files_are_clear_errors(text, fmt, message):
    with pytest.raises(ProfileFileError, match=message):
        import_profiles(text, fmt)


def test_email_is_validated_normalized_and_required_for_the_email_channel():
    text = "customer_id,phone,name,email,preferred_channel\n" + (
        "e1,+14155550100,Ada,Ada@Example.COM,email\n"
        "e2,+14155550111,Bob,bob@@example.com,\n"
        "e3,+14155550122,Cy,,email\n"
        "e4,+14155550133,Di,di@localhost,sms\n"
    )
    report = import_profiles(text, "csv")
    assert [(p.customer_id, p.email, p.preferred_channel) for p in report.accepted] == [
        ("e1", "Ada@example.com", "email")]
    reasons = {row.line: row.reason for row in report.rejected}
    assert set(reasons) == {3, 4, 5}
    assert reasons[3].startswith("email: not a usable email address")
    assert "email" in reasons[4]
    assert reasons[5].startswith("email: not a usable email address")
