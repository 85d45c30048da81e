"""allauth, adapted: failed logins are counted per address and account together, and its
e-mails keep their links whole and come with an HTML version (accounts/mail.py)."""

import ipaddress
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.mail import EmailMessage
from django.http import HttpRequest

from .mail import as_mail, html_from_text

IPV6_PREFIX = 64  # an IPv6 client usually holds a whole /64: count it as one address


def client_address(ip: str) -> str:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False).network_address)
    return str(address)


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """The key of the "login_failed" limit (``ACCOUNT_RATE_LIMITS``). allauth's is the
        account alone, so five wrong passwords typed by anyone, from anywhere, locked its owner
        out, again and again. Keyed by (address, account), a stranger locks only themselves
        out; the per-address part of the limit still caps what one address may try across all
        accounts. The address is the connection's (REMOTE_ADDR), which the server takes from
        X-Forwarded-For only for a request that came through a trusted proxy (uvicorn's
        FORWARDED_ALLOW_IPS)."""
        account = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{client_address(self.get_client_ip(request))}:{account}"

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        mail = as_mail(super().render_mail(template_prefix, email, context, headers))
        if mail.content_subtype == "plain" and not mail.alternatives:
            mail.attach_alternative(
                html_from_text(str(mail.body), title=str(mail.subject)), "text/html"
            )
        return mail
