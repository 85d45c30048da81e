from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.types import AuthenticatedRequest

from . import selectors, services
from .forms import ProfileForm


@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthenticatedRequest) -> HttpResponse:
    profile = selectors.profile_for(user=request.user)
    form = ProfileForm(
        request.POST or None,
        initial={"display_name": profile.display_name, "target_level": profile.target_level},
    )
    if request.method == "POST" and form.is_valid():
        services.profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})
