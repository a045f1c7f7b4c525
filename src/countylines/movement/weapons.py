"""Weapon and motive of an incident from its structured `weapon` field and free-text description.

Rules (documented in docs/movement.md):

* **Text**: the description is lower-cased and split into words; a word matches a keyword when it
  is the keyword or one typing slip away from it (a letter dropped, doubled or two neighbours
  swapped, for keywords of five letters or more), so "machette", "stabed" and "hamer" still count.
  Multi-word phrases ("zombie knife", "wheel brace") are matched on the corrected words. Weapon
  classes are tried from the most to the least specific (firearm, corrosive, bladed, knife,
  blunt), and the words of a match are used up, so "zombie knife" is bladed, not knife.
* **Weapon**: a weapon in the field (`knife`, `blunt`, `bladed`, `firearm`, `corrosive`) is kept,
  and a text that names another class is flagged as a conflict (`weapon_source` =
  `field_conflict`); an `unknown` or `none` field is filled by the text when the text names a
  weapon (`text`); otherwise the field stands (`field`), `unknown` staying unknown.
* **Motive words**: phrases of debt and taxing, of feuds and rival groups, and of intimidation
  and shows of force. The final motive also uses the lines an incident is attributed to
  (`attribute.decide_motive`).
"""

from __future__ import annotations

import re

import pandas as pd

WEAPONS = ("firearm", "corrosive", "bladed", "knife", "blunt")
"""Weapon classes, most specific first (the order the text is searched in)."""

WEAPON_WORDS: dict[str, tuple[str, ...]] = {
    "firearm": (
        "gun", "guns", "handgun", "shotgun", "pistol", "firearm", "revolver", "rifle", "shots",
        "shot", "gunpoint", "cartridge", "ammunition", "bullet", "sawn-off",
    ),
    "corrosive": (
        "acid", "ammonia", "bleach", "corrosive", "noxious", "burns", "squirted",
        "liquid", "substance",
    ),
    "bladed": (
        "machete", "zombie knife", "sword", "samurai", "axe", "cleaver", "meat cleaver",
        "hatchet", "kukri",
    ),
    "knife": (
        "knife", "knives", "blade", "stabbed", "stab", "stabbing", "knifed", "knifepoint",
        "slashed", "lock-knife", "kitchen knife", "flick knife", "butterfly knife",
    ),
    "blunt": (
        "hammer", "baseball bat", "bat", "metal bar", "iron bar", "brick", "wheel brace",
        "wooden pole", "pole", "knuckle duster", "cosh", "crowbar", "truncheon",
    ),
}  # fmt: skip

MOTIVE_WORDS: dict[str, tuple[str, ...]] = {
    "taxing": (
        "drug debt", "debt", "owes money", "money owed", "owed", "taxed", "taxing",
        "robbed of drugs", "owes",
    ),
    "rivalry": (
        "feud", "rival", "rivals", "retaliation", "turf", "tit for tat", "previous stabbing",
        "out of town", "gang", "postcode",
    ),
    "show_of_strength": (
        "intimidation", "intimidated", "intimidating", "show of force", "their line",
        "occupant of flat threatened", "making threats in street",
    ),
}  # fmt: skip
"""Phrases that say why; `unrelated` is the absence of all of them."""

WORD = re.compile(r"[a-z][a-z'\-]*")
ABBREVIATIONS = {"o/s": "outside", "poss": "possession", "veh": "vehicle", "addr": "address"}


def slips(word: str) -> set[str]:
    """`word` and, for words of five letters or more, every spelling one slip away: a letter
    dropped, doubled, or two neighbours swapped."""
    out = {word}
    if len(word) < 5:
        return out
    for i in range(len(word)):
        out.add(word[:i] + word[i + 1 :])
        out.add(word[:i] + word[i] + word[i:])
        if i + 1 < len(word):
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return out


def _lexicon(groups: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Every slip of every single word of the phrases -> the word it stands for."""
    lexicon: dict[str, str] = {}
    for phrases in groups.values():
        for phrase in phrases:
            for word in phrase.split():
                for variant in slips(word):
                    lexicon.setdefault(variant, word)
    return lexicon


_WEAPON_LEXICON = _lexicon(WEAPON_WORDS)
_MOTIVE_LEXICON = _lexicon(MOTIVE_WORDS)


def words(text: str, lexicon: dict[str, str]) -> list[str]:
    """The description's words, each replaced by the keyword it is a slip of (if any)."""
    lowered = str(text).lower()
    for short, full in ABBREVIATIONS.items():
        lowered = lowered.replace(short, full)
    return [lexicon.get(w, w) for w in WORD.findall(lowered)]


def _find(
    tokens: list[str], groups: dict[str, tuple[str, ...]], order: tuple[str, ...]
) -> list[str]:
    """Classes whose phrases occur in `tokens`, in `order`; matched words are used up."""
    found: list[str] = []
    used = [False] * len(tokens)
    for cls in order:
        phrases = sorted((p.split() for p in groups[cls]), key=len, reverse=True)
        for phrase in phrases:
            n = len(phrase)
            for i in range(len(tokens) - n + 1):
                if tokens[i : i + n] == phrase and not any(used[i : i + n]):
                    used[i : i + n] = [True] * n
                    if cls not in found:
                        found.append(cls)
    return found


def text_weapons(text: str) -> list[str]:
    """Weapon classes the text names, most specific first."""
    return _find(words(text, _WEAPON_LEXICON), WEAPON_WORDS, WEAPONS)


def text_motive(text: str) -> str:
    """The motive the text states (`taxing`, `rivalry`, `show_of_strength`), or ""."""
    found = _find(words(text, _MOTIVE_LEXICON), MOTIVE_WORDS, tuple(MOTIVE_WORDS))
    return found[0] if found else ""


def classify_weapons(incidents: pd.DataFrame) -> pd.DataFrame:
    """weapon_text (`;`-separated classes named in the text), weapon (the decision) and
    weapon_source (`field`, `text`, `field_conflict`) for each incident (`weapon`,
    `description`)."""
    named = incidents["description"].map(text_weapons)
    field = incidents["weapon"].fillna("unknown").astype(str)
    weapon, source = [], []
    for f, classes in zip(field, named, strict=True):
        if f in WEAPONS:
            weapon.append(f)
            source.append("field_conflict" if classes and f not in classes else "field")
        elif classes:
            weapon.append(classes[0])
            source.append("text")
        else:
            weapon.append(f)
            source.append("field")
    return pd.DataFrame(
        {"weapon_text": named.map(";".join), "weapon": weapon, "weapon_source": source},
        index=incidents.index,
    )
