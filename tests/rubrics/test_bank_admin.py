"""The bank in and out of the admin: curators download it as a zip and import a YAML file or a
zip, seeing first what would change (a diff per file, or the loader's errors); a confirmed import
is applied all or nothing. Only curators may."""

import io
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import Permission
from django.urls import reverse

from casestudies.models import CaseStudy
from rubrics import bank
from rubrics import services as rubric_services
from tests import factories

pytestmark = pytest.mark.django_db

IMPORT = reverse("bank_import")
EXPORT = reverse("bank_export")
CASE = "casestudies/content/visual-search.yaml"


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small_bank(tmp_path_factory) -> tuple[Path, Path]:
    """The repository's frameworks, rubric and glossary with two of its cases: what these tests
    need of the bank, loaded far faster than all twenty-two (each test loads it again)."""
    root = tmp_path_factory.mktemp("bank")
    cases, rubrics = root / "casestudies", root / "rubrics"
    shutil.copytree(ROOT / "casestudies" / "content" / "frameworks", cases / "frameworks")
    shutil.copytree(ROOT / "casestudies" / "content" / "glossary", cases / "glossary")
    shutil.copytree(ROOT / "rubrics" / "content", rubrics)
    for slug in ("visual-search", "video-search"):
        shutil.copy(ROOT / "casestudies" / "content" / f"{slug}.yaml", cases)
    return cases, rubrics


def load_small_bank(folders: tuple[Path, Path]) -> None:
    report = rubric_services.content_load(casestudies_dir=folders[0], rubrics_dir=folders[1])
    assert not report.errors, report.errors


@pytest.fixture
def curator(client, small_bank):
    load_small_bank(small_bank)
    account = factories.user(staff=True, name="Cora Curator")
    client.force_login(account)
    return account


def exported(client) -> dict[str, str]:
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def upload(client, name: str, data: bytes, **extra):
    return client.post(IMPORT, {"file": io_file(name, data), **extra})


def io_file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def retitled(text: str, title: str) -> str:
    doc = yaml.safe_load(text)
    doc["title"] = title
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def test_the_download_holds_every_file_and_reads_back_unchanged(client, curator):
    files = exported(client)
    assert CASE in files
    assert "rubrics/content/default.yaml" in files
    assert "casestudies/content/frameworks/default.yaml" in files
    assert "casestudies/content/glossary/glossary.yaml" in files
    response = upload(client, "bank.zip", zipped(files))
    assert response.status_code == 200
    plan = response.context["plan"]
    assert plan.errors == [] and plan.changes
    assert {change.action for change in plan.changes} == {"unchanged"}


def test_a_preview_shows_the_diff_and_changes_nothing_until_confirmed(client, curator):
    text = exported(client)[CASE]
    before = CaseStudy.objects.get(slug="visual-search")
    revised = retitled(text, "Visual search, revised").encode()
    response = upload(client, "visual-search.yaml", revised)
    assert response.status_code == 200
    body = response.content.decode()
    assert "What importing visual-search.yaml would change" in body
    assert f'data-bank-change="{CASE}" data-action="updated"' in body
    assert f'<span class="del">-title: {before.title}</span>' in body
    assert '<span class="add">+title: Visual search, revised</span>' in body
    assert CaseStudy.objects.get(slug="visual-search").title == before.title  # only a preview
    token = response.context["token"]
    applied = client.post(IMPORT, {"token": token}, follow=True)
    assert "Imported: 0 created, 1 updated, 0 unchanged." in applied.content.decode()
    after = CaseStudy.objects.get(slug="visual-search")
    assert after.title == "Visual search, revised"
    assert after.version == before.version + 1
    again = client.post(IMPORT, {"token": token}, follow=True)  # the preview is used up
    assert "That preview has expired" in again.content.decode()


def test_a_bad_file_shows_the_loaders_error_and_nothing_of_the_upload_is_applied(client, curator):
    files = exported(client)
    good = retitled(files[CASE], "Should not stick")
    bad = files["casestudies/content/video-search.yaml"].replace("title:", "titel:", 1)
    response = upload(
        client,
        "two.zip",
        zipped({CASE: good, "casestudies/content/video-search.yaml": bad}),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "the file has errors" in body
    assert "casestudies/content/video-search.yaml: titel: unknown field" in body
    assert "data-bank-confirm" not in body  # nothing to confirm
    assert "bank-import-" not in body  # no temporary folder named
    assert CaseStudy.objects.get(slug="visual-search").title != "Should not stick"
    # The service itself never half-applies: asked to apply, the good file is rolled back too.
    plan = bank.bank_import({CASE: good, "casestudies/content/video-search.yaml": bad}, apply=True)
    assert not plan.applied and plan.errors
    assert CaseStudy.objects.get(slug="visual-search").title != "Should not stick"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", b"hello", "Upload a .yaml file or a .zip of them."),
        ("broken.yaml", b"title: [unclosed", "is not valid YAML at line 1"),
        ("empty.zip", zipped({"readme.md": "no yaml"}), "The zip holds no .yaml file."),
        ("latin.yaml", "title: caf\u00e9".encode("latin-1"), "is not UTF-8 text."),
    ],
)
def test_what_is_not_a_bank_is_refused_with_a_reason(client, curator, name, data, message):
    response = upload(client, name, data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_preview_is_not_applied_onto_a_bank_that_changed_since(client, curator):
    text = exported(client)[CASE]
    response = upload(client, "visual-search.yaml", retitled(text, "Visual search, v2").encode())
    CaseStudy.objects.filter(slug="video-search").update(summary="Edited meanwhile.")
    applied = client.post(IMPORT, {"token": response.context["token"]}, follow=True)
    assert "The bank changed since the preview" in applied.content.decode()
    assert CaseStudy.objects.get(slug="visual-search").title != "Visual search, v2"


def test_only_curators_import_and_export(client, small_bank, django_assert_max_num_queries):
    load_small_bank(small_bank)
    assert client.get(IMPORT).status_code == 302  # to the admin's login
    assert client.get(EXPORT).status_code == 302
    staff = factories.user(staff=True)
    staff.groups.clear()  # staff, but not a curator
    client.force_login(staff)
    assert client.get(IMPORT).status_code == 403
    assert client.get(EXPORT).status_code == 403
    viewer = factories.user(staff=True)
    viewer.groups.clear()
    viewer.user_permissions.set(
        Permission.objects.filter(codename__in=["view_casestudy", "view_rubric"])
    )
    client.force_login(viewer)
    assert client.get(EXPORT).status_code == 200  # may read the bank
    assert client.get(IMPORT).status_code == 403  # may not change it
    client.force_login(factories.reviewer())
    assert client.get(IMPORT).status_code == 302  # not staff: the admin's login
    client.force_login(factories.user(staff=True))
    with django_assert_max_num_queries(10):
        assert client.get(IMPORT).status_code == 200
