"""Prompts as data: one catalog per language (infra/flows/prompts/<language>.json), put into the flows at synth.

A flow file names a prompt as `{{prompt:NAME}}` (alone or several in one Text, so a menu is built from
entries written once) and the voice as `{{voice:name}}` / `{{voice:engine}}`. `localize()` is the step
before the ARN substitution, in CDK and in the local runtime alike, so both run the same flow:

- an action whose prompts read the same in every language (or come from mul.json, the catalog of
  prompts spoken in several languages at once) gets the text in place;
- an action whose prompts differ by language becomes a language switch: a `Compare` on the contact's
  language (`$.LanguageCode`, set by `UpdateContactData`) under the action's own Identifier, leading to
  one copy of the action per language (`<Identifier>.<language>`), each with its catalog's text and the
  original transitions. Any other language (or none yet) takes the default language's copy.

Why per-language branches at synth rather than looking the text up while the call runs: the language is
only known during the call, but Connect can only vary a prompt at run time through a JSONPath, so a
run-time lookup means copying every prompt into contact attributes (kept in the contact record, sent to
every Lambda, counted against the attributes' size limit) or a Lambda call per prompt. Branches keep the
deployed flow self-contained and the file still names each prompt once; the cost is a larger deployed
flow (well inside Connect's 250 actions; the linter checks it after localizing).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowlang.flow import FLOWS_DIR, PLACEHOLDER, Placeholder, strings_in

PROMPTS_DIR = FLOWS_DIR / "prompts"
DEFAULT_LANGUAGE = "en-US"
MULTILINGUAL = "mul"  # ISO 639-2 "multiple languages": the same text whatever the contact's language
LOCALIZED_KINDS = ("prompt", "voice")
LANGUAGE_PATH = "$.LanguageCode"


class PromptCatalogError(ValueError):
    """A catalog is malformed, the catalogs disagree, or a flow names a prompt no catalog has."""


@dataclass(frozen=True)
class PromptCatalog:
    language: str
    prompts: dict[str, str]
    voice: dict[str, str]

    def text(self, placeholder: Placeholder) -> str | None:
        table = self.prompts if placeholder.kind == "prompt" else self.voice
        return table.get(placeholder.name)


@dataclass(frozen=True)
class Catalogs:
    """Every language's catalog (the default language first) and the multilingual one."""

    languages: dict[str, PromptCatalog]
    shared: PromptCatalog

    @property
    def default(self) -> PromptCatalog:
        return self.languages[DEFAULT_LANGUAGE]

    def placeholders(self) -> set[Placeholder]:
        names = {Placeholder("prompt", name) for name in self.default.prompts}
        names |= {Placeholder("prompt", name) for name in self.shared.prompts}
        return names | {Placeholder("voice", name) for name in self.default.voice}

    def resolve(self, placeholder: Placeholder, language: str) -> str:
        shared = self.shared.text(placeholder)
        text = shared if shared is not None else self.languages[language].text(placeholder)
        if text is None:
            raise PromptCatalogError(f"{placeholder} is in no catalog for {language}")
        return text


def _read(path: Path) -> PromptCatalog:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PromptCatalogError(f"{path.name}: cannot read ({exc})") from exc
    prompts, voice = document.get("prompts"), document.get("voice", {})
    if document.get("language") != path.stem or not isinstance(prompts, dict) or not isinstance(voice, dict):
        raise PromptCatalogError(f"{path.name}: needs language {path.stem!r}, prompts and voice objects")
    if not all(isinstance(v, str) and v.strip() for v in [*prompts.values(), *voice.values()]):
        raise PromptCatalogError(f"{path.name}: every prompt and voice setting must be non-empty text")
    return PromptCatalog(path.stem, dict(prompts), dict(voice))


def load_catalogs(directory: Path = PROMPTS_DIR) -> Catalogs:
    """Read and cross-check the catalogs: every language has the same prompts and voice settings."""
    read = {path.stem: _read(path) for path in sorted(directory.glob("*.json"))}
    shared = read.pop(MULTILINGUAL, PromptCatalog(MULTILINGUAL, {}, {}))
    if DEFAULT_LANGUAGE not in read:
        raise PromptCatalogError(f"{directory}: there is no {DEFAULT_LANGUAGE}.json catalog")
    languages = {DEFAULT_LANGUAGE: read.pop(DEFAULT_LANGUAGE), **read}
    expected = languages[DEFAULT_LANGUAGE]
    for catalog in languages.values():
        for what, mine, theirs in (("prompts", catalog.prompts, expected.prompts),
                                   ("voice", catalog.voice, expected.voice)):
            if set(mine) != set(theirs):
                missing, extra = sorted(set(theirs) - set(mine)), sorted(set(mine) - set(theirs))
                raise PromptCatalogError(f"{catalog.language}.json {what}: missing {missing}, not in "
                                         f"{DEFAULT_LANGUAGE}.json {extra}")
        both = set(catalog.prompts) & set(shared.prompts)
        if both:
            raise PromptCatalogError(f"{sorted(both)} are in {catalog.language}.json and in {MULTILINGUAL}.json")
    return Catalogs(languages, shared)


def _localized(value: Any, catalogs: Catalogs, language: str) -> Any:
    if isinstance(value, str):
        def put(match: Any) -> str:
            placeholder = Placeholder(match["kind"], match["name"])
            if placeholder.kind not in LOCALIZED_KINDS:
                return str(match.group())
            return catalogs.resolve(placeholder, language)
        return PLACEHOLDER.sub(put, value)
    if isinstance(value, dict):
        return {key: _localized(item, catalogs, language) for key, item in value.items()}
    if isinstance(value, list):
        return [_localized(item, catalogs, language) for item in value]
    return value


def _localizes(action: dict[str, Any]) -> bool:
    return any(match["kind"] in LOCALIZED_KINDS
               for text in strings_in(action.get("Parameters", {})) for match in PLACEHOLDER.finditer(text))


def copy_id(identifier: str, language: str) -> str:
    return f"{identifier}.{language}"


def written_id(identifier: str) -> str:
    """The Identifier as the flow file writes it: a language copy's without its `.<language>`."""
    base, dot, language = identifier.rpartition(".")
    return base if dot and "-" in language and language[:2].isalpha() and language[:2].islower() else identifier


def as_written(action_ids: list[str]) -> list[str]:
    """A path through a localized flow as the flow file writes it: a language switch and the copy it leads to
    are the one action written in the file."""
    return [written_id(identifier) for index, identifier in enumerate(action_ids)
            if not (index + 1 < len(action_ids) and action_ids[index + 1] != identifier
                    and written_id(action_ids[index + 1]) == identifier)]


def _switch(action: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    identifier, default = action["Identifier"], copy_id(action["Identifier"], DEFAULT_LANGUAGE)
    others = [{"NextAction": copy_id(identifier, language),
               "Condition": {"Operator": "Equals", "Operands": [language]}}
              for language in languages if language != DEFAULT_LANGUAGE]
    return {"Identifier": identifier, "Type": "Compare", "Parameters": {"ComparisonValue": LANGUAGE_PATH},
            "Transitions": {"NextAction": default, "Conditions": others,
                            "Errors": [{"NextAction": default, "ErrorType": "NoMatchingCondition"}]}}


def localize(flow: dict[str, Any], catalogs: Catalogs | None = None) -> dict[str, Any]:
    """The flow with every {{prompt:…}} and {{voice:…}} put in (see the module docstring); other
    placeholders are left for substitute()."""
    catalogs = catalogs or load_catalogs()
    languages = list(catalogs.languages)
    actions: list[dict[str, Any]] = []
    for action in flow["Actions"]:
        if not _localizes(action):
            actions.append(action)
            continue
        variants = {language: _localized(action.get("Parameters", {}), catalogs, language) for language in languages}
        if all(variant == variants[DEFAULT_LANGUAGE] for variant in variants.values()):
            actions.append({**action, "Parameters": variants[DEFAULT_LANGUAGE]})
            continue
        actions.append(_switch(action, languages))
        actions += [{**copy.deepcopy(action), "Identifier": copy_id(action["Identifier"], language),
                     "Parameters": variants[language]} for language in languages]
    return {**flow, "Actions": actions}
