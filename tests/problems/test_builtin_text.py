"""The built-in templates read as English: numbers agree with their nouns, sentences start with a capital.

Checked over many instances of every built-in template, since a slot can render any value of its domain.
Plural nouns are learnt from the instances themselves: a word ending in "s" that follows a number other than
one (directly, or after one modifier: "3 water bottles") is a plural noun.
"""

from __future__ import annotations

import re

import pytest

from verimath.problems import generate_many, load_templates

TEMPLATES = load_templates("builtin")
NUMBER = (r"(?<![\d.,/:$€£¥₹-])\b(\d+(?:,\d{3})*(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten"
          r"|eleven|twelve|twenty|thirty|forty|fifty|hundred)\b")
COUNTED = re.compile(NUMBER + r" (?:[$€£¥₹]\d[\d,]* )?([a-z]+)(?: ([a-z]+))?")  # "2 $50 bills" counts bills
NOT_PLURAL = {"as", "is", "has", "was", "does", "his", "this", "its", "less", "plus", "us", "gas", "bus",
              "class", "glass", "across", "always", "perhaps", "yes"}
ABBREVIATION = re.compile(r"\b([ap])\.m\.(\s+[a-z])?")


@pytest.fixture(scope="module")
def questions() -> dict[str, list[str]]:
    # The templates' own ranges: widening multiplies a range's bounds, so it never brings a count down to one.
    problems, failures = generate_many(TEMPLATES, 60, seed=0)
    assert failures == []
    out: dict[str, list[str]] = {t.id: [] for t in TEMPLATES}
    for p in problems:
        out[p.template_id].append(p.question)
    return out


def is_one(number: str) -> bool:
    return number in ("1", "one")


@pytest.fixture(scope="module")
def plurals(questions: dict[str, list[str]]) -> set[str]:
    found = set()
    for texts in questions.values():
        for q in texts:
            for m in COUNTED.finditer(q):
                if not is_one(m.group(1)):
                    found.update(w for w in m.groups()[1:] if w and w.endswith("s") and w not in NOT_PLURAL)
    return found


def agreement_errors(question: str, plurals: set[str]) -> list[str]:
    """"1 slices", "1 water bottles" (one, then a plural noun) and "3 eraser" (more, then a singular noun that
    has a plural among the instances, with no plural noun after it)."""
    errors = []
    for m in COUNTED.finditer(question):
        number, first, second = m.groups()
        if is_one(number):
            if first in plurals or (second in plurals and first not in ("of", "and", "to", "at", "in")):
                errors.append(m.group(0))
        elif (first + "s" in plurals or first + "es" in plurals) and second not in plurals:
            errors.append(m.group(0))
    return errors


def sentences(question: str) -> list[str]:
    """``question`` split after ``.``, ``?``, ``!``; "a.m."/"p.m." end a sentence only before a capital."""
    unabbreviated = ABBREVIATION.sub(lambda m: f"{m.group(1)}m{m.group(2)}" if m.group(2)
                                     else f"{m.group(1)}m.",
                                     question)
    return re.split(r"(?<=[.?!])\s+", unabbreviated)


def test_numbers_agree_with_their_nouns(questions: dict[str, list[str]], plurals: set[str]) -> None:
    assert {"slices", "years", "hours", "pencils"} <= plurals  # the heuristic sees the templates' nouns
    bad = {tid: errs for tid, texts in questions.items()
           if (errs := sorted({e for q in texts for e in agreement_errors(q, plurals)}))}
    assert bad == {}


def test_agreement_check_catches_both_directions() -> None:
    plurals = {"slices", "bottles", "erasers"}
    assert agreement_errors("She eats 1 slices.", plurals) == ["1 slices"]
    assert agreement_errors("It has 1 water bottles.", plurals) == ["1 water bottles"]
    assert agreement_errors("She pays with 1 $50 bottles.", plurals) == ["1 $50 bottles"]
    assert agreement_errors("He gives 3 eraser to each.", plurals) == ["3 eraser to"]
    assert agreement_errors("She eats 1 slice of 3 slices and one of 2 erasers.", plurals) == []


def test_every_sentence_starts_with_a_capital(questions: dict[str, list[str]]) -> None:
    bad = {tid: sorted({s[:40] for q in texts for s in sentences(q) if s[:1].islower()})
           for tid, texts in questions.items()}
    assert {tid: s for tid, s in bad.items() if s} == {}


def test_times_of_day_do_not_end_a_sentence() -> None:
    assert sentences("It starts at 7 a.m. and ends at 9 p.m. How long is it?") == [
        "It starts at 7 am and ends at 9 pm.", "How long is it?"]


def test_each_noop_variant_is_its_base_with_one_sentence_inserted() -> None:
    # The JSON files are edited by hand: this is what the variants must keep (the sentence goes between two
    # sentences of the base, never first, last or inside one, and changes nothing that computes the answer).
    by_id = {t.id: t for t in TEMPLATES}
    noops = [t for t in TEMPLATES if t.metadata.get("variant") == "noop"]
    assert len(noops) >= 60
    for noop in noops:
        base = by_id[noop.metadata["variant_of"]]
        base_text, noop_text = sentences(base.question), sentences(noop.question)
        inserted = [i for i in range(1, len(noop_text) - 1) if noop_text[:i] + noop_text[i + 1:] == base_text]
        assert inserted, f"{noop.id} is not {base.id} with one sentence inserted"
        assert (noop.answer, noop.conditions, noop.answer_annotated) == (
            base.answer, base.conditions, base.answer_annotated), noop.id
        assert noop.init[:len(base.init)] == base.init and len(noop.init) > len(base.init), noop.id
