"""The IVR in the caller's language, end to end: the real inbound flow (prompts from the catalogs, localized as
CDK deploys them), the real routing handler and the demo profiles on the local backend.

A known caller hears their profile's language with a matching voice; a caller who hears the menu is offered
Spanish once, and the choice reaches routing (Spanish-speaking agents).
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from callcenter.calls import CallRequest, place_call
from flowlang.prompts import DEFAULT_LANGUAGE, PROMPTS_DIR, load_catalogs
from flowlang.simulator import GLOBAL_COVERAGE

NY = ZoneInfo("America/New_York")
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 30, tzinfo=NY)
TUESDAY_NIGHT = datetime(2026, 11, 24, 21, 30, tzinfo=NY)
MARIA_SPANISH, ALAN_GOLD, UNKNOWN, WITHHELD = "+17135550188", "+13125550123", "+16175550199", None
CATALOGS = load_catalogs()
SPANISH, ENGLISH = CATALOGS.languages["es-US"].prompts, CATALOGS.languages[DEFAULT_LANGUAGE].prompts
SPANISH_OFFER = CATALOGS.shared.prompts["language-offer"]


def call(backend, caller, *keys, at=TUESDAY_MORNING):
    return place_call(backend, CallRequest(caller=caller, at=at, keys=tuple(keys)), GLOBAL_COVERAGE)


def in_spanish(text: str) -> bool:
    return text in SPANISH.values() or text.startswith("Gracias por llamar")


def test_a_known_spanish_speaker_hears_spanish_with_a_spanish_voice_and_reaches_spanish_agents(demo_backend):
    result = call(demo_backend, MARIA_SPANISH)
    assert result.prompts == [SPANISH["welcome"]]
    assert (result.language, result.voice["TextToSpeechVoice"]) == ("es-US", "Lupe")
    assert (result.outcome, result.queue, result.attributes["reason"]) == ("queued", "spanish", "LANGUAGE_MATCH")


def test_a_known_spanish_speaker_after_hours_hears_when_we_open_in_spanish(demo_backend):
    result = call(demo_backend, MARIA_SPANISH, at=TUESDAY_NIGHT)
    assert result.outcome == "disconnected"
    assert all(in_spanish(prompt) for prompt in result.prompts), result.prompts
    assert "Abrimos de nuevo el miércoles a las 07:00, su hora local" in result.prompts[-1]  # 08:00 New York


def test_a_known_english_speaker_hears_english_with_the_default_voice(demo_backend):
    result = call(demo_backend, ALAN_GOLD, "0")
    assert result.prompts[0] == ENGLISH["welcome"]
    assert (result.language, result.voice["TextToSpeechVoice"]) == ("en-US", "Joanna")
    assert not any(in_spanish(prompt) for prompt in result.prompts)


def test_an_unknown_caller_who_chooses_spanish_hears_spanish_from_then_on_and_reaches_spanish_agents(demo_backend):
    result = call(demo_backend, UNKNOWN, "9")
    offered = result.prompts.index(SPANISH_OFFER)
    assert result.prompts[offered + 2:] == [SPANISH["welcome"]]  # after the menu the Spanish offer was heard in
    assert (result.language, result.voice["TextToSpeechVoice"]) == ("es-US", "Lupe")
    assert (result.queue, result.attributes["reason"], result.attributes["language"]) == (
        "spanish", "LANGUAGE_MATCH", "es")
    *_, language_call, context_call = [call["event"]["Details"]["Parameters"] for call in result.lambda_calls]
    assert language_call == {"stage": "language", "language": "es"}
    assert context_call["queue"] == "spanish"  # live sentiment's hints go to the Spanish-speaking team


def test_the_spanish_offer_is_made_once_and_other_keys_keep_the_english_menu(demo_backend):
    result = call(demo_backend, WITHHELD, "7", "2")
    assert result.prompts.count(SPANISH_OFFER) == 1  # not again before the menu is retried
    assert (result.queue, result.language) == ("support", "en-US")


def test_every_language_has_every_prompt_and_a_voice():
    names = {path.stem for path in PROMPTS_DIR.glob("*.json")}
    assert {"en-US", "es-US", "mul"} <= names
    for language, catalog in CATALOGS.languages.items():
        assert set(catalog.prompts) == set(ENGLISH), language
        assert {"name", "engine"} <= set(catalog.voice), language
    assert json.loads((PROMPTS_DIR / "es-US.json").read_text(encoding="utf-8"))["voice"]["name"] == "Lupe"


def test_each_prompt_is_written_once_in_the_flow_files():
    # Given the flow files as written / Then no prompt text is spelled out in them (only catalog names)
    from flowlang.flow import flow_files, load_flow, strings_in

    texts = set(ENGLISH.values()) | set(SPANISH.values())
    for name, path in flow_files().items():
        written = set(strings_in(load_flow(path)["Actions"]))
        assert not written & texts, name
