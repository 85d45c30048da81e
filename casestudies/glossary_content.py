"""The glossary's content file (casestudies/content/glossary/): its rules, checked like the other
content files (content.py's Reader and ContentError), and the sentence count a definition is
held to."""

import itertools
import re
from typing import Any

from .content import FORMAT, ContentError, Reader, _check_broken_hyphens, check_format

# --- The glossary --------------------------------------------------------------------------------

GLOSSARY_FIELDS = ("format", "terms")
GLOSSARY_TERM_FIELDS = ("key", "term", "aliases", "definition")
# A sentence ends at . ! or ? (maybe closed by a quote or bracket) followed by a capital, or at
# the end of the text. "e.g. a model" and "3.5" do not end one.
_SENTENCE_END_RE = re.compile(r"[.!?][\"”’')\]]*(?:\s+(?=[A-Z“\"(])|$)")


def sentence_count(text: str) -> int:
    return len(_SENTENCE_END_RE.findall(text.strip()))


def parse_glossary(data: dict, *, source: str) -> dict:
    """Validate the glossary document: unique keys, no term or alias used by two terms (case
    does not matter: links are case-insensitive), definitions of one or two sentences, terms
    sorted by term."""
    top = Reader(data, source=source)
    top.only(GLOSSARY_FIELDS)
    check_format(top)
    terms: list[dict[str, Any]] = []
    keys: set[str] = set()
    names: dict[str, str] = {}  # a name in lower case -> the key of the term that uses it
    for item in top.mappings("terms", GLOSSARY_TERM_FIELDS, minimum=1):
        key = item.key("key")
        if key in keys:
            raise item.fail("key", f"{key!r} is used twice")
        keys.add(key)
        term = item.text("term", multiline=False, max_length=100)
        aliases = item.lines("aliases")
        for field, name in [("term", term), *(("aliases", alias) for alias in aliases)]:
            if not re.search(r"\w", name):
                raise item.fail(field, f"{name!r} has no letters to link")
            folded = name.casefold()
            if folded in names:
                raise item.fail(field, f"{name!r} is already used by the term {names[folded]!r}")
            names[folded] = key
        definition = item.line("definition", max_length=600)
        count = sentence_count(definition)
        if not definition.rstrip("\"”’')]").endswith((".", "!", "?")):
            raise item.fail("definition", "must end a sentence with a full stop")
        if count > 2:
            raise item.fail("definition", f"has {count} sentences; keep it to one or two sentences")
        terms.append({"key": key, "term": term, "aliases": aliases, "definition": definition})
    order = [t["term"].casefold() for t in terms]
    for index, (before, after) in enumerate(itertools.pairwise(order), start=1):
        if after < before:
            raise ContentError(
                source,
                f"terms[{index + 1}].term",
                f"terms are sorted by term: {terms[index]['term']!r} comes before "
                f"{terms[index - 1]['term']!r}",
            )
    doc = {"format": FORMAT, "terms": terms}
    _check_broken_hyphens(doc, top)
    return doc
