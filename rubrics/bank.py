"""The whole question bank in and out of the admin: a zip of every content file (the same files
``export_content`` writes), and an import of a YAML file or a zip that is first tried without
being kept, to show what it would change, then applied all or nothing.

Lives in the rubrics app because the bank's files include the rubrics (dependencies point one
way: rubrics → casestudies). The loader and its checks are the management commands' own
(``services.content_load``): an import says exactly what ``load_content`` would.
"""

import difflib
import hashlib
import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml
from django.db import transaction

from casestudies import content

from . import services

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # the bank is about 1 MB of YAML
MAX_FILES = 500
KINDS = {
    services.FRAMEWORKS: "framework",
    services.CASES: "case study",
    services.RUBRICS: "rubric",
    services.GLOSSARIES: "glossary",
}


class BankFileError(ValueError):
    """An upload that is not a bank: not YAML nor a zip, too large, or naming no content."""


@dataclass(frozen=True)
class BankChange:
    path: str  # e.g. casestudies/content/visual-search.yaml
    kind: str  # framework, case study, rubric, glossary
    action: str  # created, updated, unchanged
    diff: str = ""  # the canonical YAML before → after, unified

    @property
    def lines(self) -> list[dict[str, str]]:
        """The diff's lines, each marked add, del, hunk or context (for the page's colours)."""
        out = []
        for line in self.diff.splitlines():
            kind = "context"
            if line.startswith(("+++", "---", "@@")):
                kind = "hunk"
            elif line.startswith("+"):
                kind = "add"
            elif line.startswith("-"):
                kind = "del"
            out.append({"kind": kind, "text": line})
        return out


@dataclass
class BankPlan:
    changes: list[BankChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    applied: bool = False

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")


def bank_zip() -> bytes:
    """Every content file of the bank as it stands in the database, in the repository's layout
    (unzip it over a checkout and ``load_content`` reads it back unchanged)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative, doc, _, _ in services.bank_documents():
            archive.writestr(relative, content.dump_yaml(doc))
    return buffer.getvalue()


def _kind_folder(name: str, text: str) -> str:
    """Where a file belongs: by its folder in a zip, else by the fields it has."""
    parts = PurePosixPath(name).parts
    if "frameworks" in parts:
        return services.FRAMEWORKS
    if "glossary" in parts:
        return services.GLOSSARIES
    if "rubrics" in parts:
        return services.RUBRICS
    if "casestudies" in parts:
        return services.CASES
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    keys = set(data) if isinstance(data, dict) else set()
    if "terms" in keys:
        return services.GLOSSARIES
    if "criteria" in keys:
        return services.RUBRICS
    if "steps" in keys and "prompt" not in keys and "description" in keys:
        return services.FRAMEWORKS
    return services.CASES


def upload_files(name: str, data: bytes) -> dict[str, str]:
    """The content files of an upload (a ``.yaml`` file or a ``.zip`` of them) by the path
    they take in the repository. Refused with a message a curator can act on."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise BankFileError(f"The file is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB.")
    raw: dict[str, bytes] = {}
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = [i for i in archive.infolist() if not i.is_dir()]
            entries = [i for i in entries if i.filename.lower().endswith((".yaml", ".yml"))]
            if len(entries) > MAX_FILES or sum(i.file_size for i in entries) > MAX_UPLOAD_BYTES:
                raise BankFileError("The zip holds more than a bank: too many or too large files.")
            for info in entries:
                raw[info.filename] = archive.read(info)
        if not raw:
            raise BankFileError("The zip holds no .yaml file.")
    elif name.lower().endswith((".yaml", ".yml")):
        raw[name] = data
    else:
        raise BankFileError("Upload a .yaml file or a .zip of them.")
    files: dict[str, str] = {}
    for entry, blob in raw.items():
        try:
            text = blob.decode("utf-8")
        except UnicodeDecodeError:
            raise BankFileError(f"{entry} is not UTF-8 text.") from None
        stem = PurePosixPath(entry).stem
        path = f"{_kind_folder(entry, text)}/{stem}.yaml"
        if path in files:
            raise BankFileError(f"Two files would be {path}: keep one.")
        files[path] = text
    return files


def fingerprint() -> str:
    """A hash of the whole bank as it stands: a preview is applied only onto the bank it was
    made from."""
    texts = sorted(_texts().items())
    return hashlib.sha256(repr(texts).encode()).hexdigest()


def _texts() -> dict[str, str]:
    return {relative: content.dump_yaml(doc) for relative, doc, _, _ in services.bank_documents()}


class _TryOnly(Exception):
    """Raised to roll back an import that was only tried (a preview, or one with errors)."""


def bank_import(files: dict[str, str], *, apply: bool, force: bool = False) -> BankPlan:
    """Run the loader on ``files`` (path -> text) in one transaction, and say per file what it
    created, updated (with the diff) or left unchanged, and every error the loader found. Kept
    only when ``apply`` and there is no error: otherwise rolled back, so nothing is ever half
    applied. ``force`` overwrites objects edited in the admin since their last load."""
    plan = BankPlan()
    before = _texts()
    with tempfile.TemporaryDirectory(prefix="bank-import-") as folder:
        root = Path(folder)
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        try:
            with transaction.atomic():
                report = services.content_load(
                    casestudies_dir=root / services.CASES,
                    rubrics_dir=root / services.RUBRICS,
                    force=force,
                )
                after = _texts()
                plan.errors = [error.replace(f"{root}/", "") for error in report.errors]
                for source, result in report.results:
                    relative = source.replace(f"{root}/", "")
                    folder_of = relative.rsplit("/", 1)[0]
                    diff = difflib.unified_diff(
                        before.get(relative, "").splitlines(keepends=True),
                        after.get(relative, "").splitlines(keepends=True),
                        fromfile=f"{relative} (now)",
                        tofile=f"{relative} (imported)",
                    )
                    plan.changes.append(
                        BankChange(
                            relative, KINDS.get(folder_of, "file"), result.action, "".join(diff)
                        )
                    )
                if plan.errors or not apply:
                    raise _TryOnly
                plan.applied = True
        except _TryOnly:
            pass
    return plan
