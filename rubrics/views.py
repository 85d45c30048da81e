"""Pages of the rubrics app: a case study previewed as its interviewer sees it, with the rubric.

It lives here rather than in the bank because it shows the rubric, and the bank never imports
the rubrics (dependencies point one way: interviews → rubrics → casestudies). The view that
serves it is ``interviews.views.case_preview_interviewer``, which asks the guide rule first.
"""

import secrets

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from casestudies import views as case_views
from casestudies.models import CaseStudy

from . import bank, selectors


def preview_interviewer_page(request: HttpRequest, case: CaseStudy) -> HttpResponse:
    """What the interviewer sees: the prompt, the reference diagram, and for each step the
    private guide and the rubric criteria with their four anchors."""
    context = case_views.preview_context(case, "interviewer")
    rubric = selectors.rubric_for_framework(case.framework)
    criteria = []
    if rubric is not None:
        rubric = selectors.rubric_with_criteria().get(pk=rubric.pk)
        criteria = list(rubric.criteria.all())
    guides = {guide.framework_step_id: guide for guide in context["guides"]}
    context["rubric"] = rubric
    context["sections"] = [
        {
            "framework_step": framework_step,
            "guide": guides.get(framework_step.pk),
            "criteria": [c for c in criteria if c.framework_step_id == framework_step.pk],
        }
        for framework_step in context["framework_steps"]
    ]
    context["cross_cutting"] = [c for c in criteria if c.framework_step_id is None]
    context["criterion_titles"] = {c.key: c.title for c in criteria}  # for the signal badges
    return render(request, "casestudies/preview_interviewer.html", context)


# --- The bank in and out of the admin (rubrics/bank.py) -------------------------------------------

# Importing may create and change every kind of bank object: a curator's permissions (the
# "Curators" group, accounts.services.curators_group_ensure), not merely staff.
IMPORT_PERMISSIONS = tuple(
    f"{app}.{verb}_{model}"
    for app, model in (
        ("casestudies", "casestudy"),
        ("casestudies", "framework"),
        ("casestudies", "glossary"),
        ("rubrics", "rubric"),
    )
    for verb in ("add", "change")
)
EXPORT_PERMISSIONS = ("casestudies.view_casestudy", "rubrics.view_rubric")
PREVIEW_SECONDS = 30 * 60


def _require(request: HttpRequest, permissions: tuple[str, ...]) -> None:
    if not request.user.has_perms(permissions):
        raise PermissionDenied("Only curators may do this.")


def bank_export(request: HttpRequest) -> HttpResponse:
    """The whole bank as a zip of its content files."""
    _require(request, EXPORT_PERMISSIONS)
    response = HttpResponse(bank.bank_zip(), content_type="application/zip")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="sevensteps-bank-{day}.zip"'
    return response


def bank_import(request: HttpRequest) -> HttpResponse:
    """Upload a YAML file or a zip; see what it would change (the loader's own errors, and a
    diff per file); confirm to apply it, all or nothing."""
    _require(request, IMPORT_PERMISSIONS)
    context = {**admin.site.each_context(request), "title": "Import and export the bank"}
    if request.method == "POST" and request.POST.get("token"):
        return _bank_confirm(request, context)
    form = BankUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                files = bank.upload_files(upload.name, upload.read())
            except bank.BankFileError as exc:
                form.add_error("file", str(exc))
            else:
                force = form.cleaned_data["force"]
                plan = bank.bank_import(files, apply=False, force=force)
                token = secrets.token_urlsafe(24)
                if not plan.errors:
                    saved = {"user": request.user.pk, "files": files, "force": force}
                    cache.set(_key(token), {**saved, "bank": bank.fingerprint()}, PREVIEW_SECONDS)
                context.update(plan=plan, token=token, upload_name=upload.name, force=force)
                status = 200 if not plan.errors else 400
    context["form"] = form
    return render(request, "rubrics/admin/bank.html", context, status=status)


def _key(token: str) -> str:
    return f"bank-import:{token}"


def _bank_confirm(request: HttpRequest, context: dict) -> HttpResponse:
    token = request.POST["token"]
    saved = cache.get(_key(token))
    if not saved or saved["user"] != request.user.pk:
        messages.error(request, "That preview has expired. Upload the file again.")
        return redirect("bank_import")
    if saved["bank"] != bank.fingerprint():
        messages.error(
            request, "The bank changed since the preview, so nothing was applied. Upload again."
        )
        return redirect("bank_import")
    plan = bank.bank_import(saved["files"], apply=True, force=saved["force"])
    cache.delete(_key(token))
    if plan.applied:
        messages.success(
            request,
            f"Imported: {plan.count('created')} created, {plan.count('updated')} updated, "
            f"{plan.count('unchanged')} unchanged.",
        )
        return redirect("bank_import")
    context.update(plan=plan, form=BankUploadForm(), force=saved["force"])
    return render(request, "rubrics/admin/bank.html", context, status=400)


class BankUploadForm(forms.Form):
    file = forms.FileField(
        label="A content file or a zip of them",
        help_text="A case study, rubric, framework or glossary .yaml file, or a .zip such as the "
        "download above. Files not in the upload are left as they are.",
    )
    force = forms.BooleanField(
        required=False,
        label="Overwrite edits made in the admin since the last import",
        help_text="Without this, a file whose object was edited here since is refused.",
    )
