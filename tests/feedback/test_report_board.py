"""The shared board in the report: the final picture on the page, in the Markdown and in the
PDF; served only to those who may read the report; the diagram column stays when the candidate
wrote Mermaid too, and goes when only the board was used."""

import io

import pytest
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from interviews import boardimage
from interviews.models import Document, Report
from tests import factories
from tests.conftest import ROOT
from tests.feedback.test_reports import completed

pytestmark = pytest.mark.django_db


def png(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), (255, 255, 255))
    for x in range(20, width - 20):
        image.putpixel((x, height // 2), (30, 30, 200))  # a line, so the picture is not blank
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def with_board(on_commit, *, diagram: bool) -> tuple:
    session = factories.finished_interview()
    session.refresh()
    boardimage.board_image_save(
        interview=session.interview, user=session.candidate, data=png(600, 300)
    )
    if not diagram:
        Document.objects.filter(interview=session.interview, slot="diagram").update(text="")
    report = completed(session, on_commit=on_commit)
    return session, report


def test_the_report_shows_the_board_and_serves_it_to_participants_only(
    django_capture_on_commit_callbacks, client, django_assert_max_num_queries
):
    session, report = with_board(django_capture_on_commit_callbacks, diagram=True)
    assert report.status == Report.Status.READY
    board_url = reverse("report_board", kwargs={"interview_id": session.interview.pk})
    assert report.data["board"] == {"width": 600, "height": 300, "url": board_url}

    client.force_login(session.candidate)
    page = client.get(reverse("report", kwargs={"interview_id": session.interview.pk}))
    html = page.content.decode()
    assert f'src="{board_url}"' in html and "Your board" in html
    assert "Your diagram" in html  # the candidate wrote Mermaid too: both are shown
    with django_assert_max_num_queries(8):
        served = client.get(board_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).size == (600, 300)
    assert f"![The shared board at the end of the interview]({board_url})" in report.markdown

    client.force_login(session.interviewer)
    assert client.get(board_url).status_code == 200
    client.force_login(factories.user(name="Otto Outsider"))
    assert client.get(board_url).status_code == 404


def test_the_pdf_embeds_the_board(django_capture_on_commit_callbacks, client):
    session, _report = with_board(django_capture_on_commit_callbacks, diagram=False)
    client.force_login(session.candidate)
    page = client.get(reverse("report", kwargs={"interview_id": session.interview.pk}))
    assert "Your board" in page.content.decode()
    assert "Your diagram" not in page.content.decode()  # only the board was used
    response = client.get(reverse("report_pdf", kwargs={"interview_id": session.interview.pk}))
    assert response.status_code == 200
    (ROOT / "test-artifacts" / "report-with-board.pdf").write_bytes(response.content)
    reader = PdfReader(io.BytesIO(response.content))
    sizes = [(image.image.width, image.image.height) for p in reader.pages for image in p.images]
    assert (600, 300) in sizes
    assert "Your board" in "".join(p.extract_text() for p in reader.pages)


def test_without_a_board_the_report_is_as_before(django_capture_on_commit_callbacks, client):
    session = factories.finished_interview()
    report = completed(session, on_commit=django_capture_on_commit_callbacks)
    assert report.data["board"] is None
    client.force_login(session.candidate)
    html = client.get(reverse("report", kwargs={"interview_id": session.interview.pk}))
    assert "Your board" not in html.content.decode()
    assert "Your diagram" in html.content.decode()
    board_url = reverse("report_board", kwargs={"interview_id": session.interview.pk})
    assert client.get(board_url).status_code == 404
