"""BrainSTEM's device login (RFC 8628-style): the JSON endpoints a client polls, and the small
HTML page where the user signs in and approves the request."""

from __future__ import annotations

from html import escape
from string import Template

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gateway.errors import BadRequest, NotFound, Unauthenticated
from gateway.http.errors import ErrorFormat, json_response
from gateway.http.requests import context_of, form_or_json
from gateway.rest.brainstem import BrainstemRoute
from resolvers import device

VERIFY_ROUTE = "device_verify"
NO_STORE = {"Cache-Control": "no-store"}
# The page takes a password: no caching, no framing (clickjacking), no leaking the code in a
# Referer, nothing loaded from elsewhere.
PAGE_HEADERS = {
    **NO_STORE,
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
# A prefilled code longer than any real one is only ever a typo or a probe: don't reflect it all.
PREFILL_MAX = 64


async def start(request: Request) -> Response:
    """``POST /api/auth/device/`` ``{"client_name"}`` → the codes and where to enter them."""
    client_name = (await form_or_json(request)).get("client_name", "")
    if not isinstance(client_name, str):
        raise BadRequest("Not a valid string.", field="client_name")
    grant = await device.start_device_login(context_of(request), client_name=client_name)
    verification_uri = str(request.url_for(VERIFY_ROUTE))
    complete = str(request.url_for(VERIFY_ROUTE).include_query_params(user_code=grant.user_code))
    body = {
        "device_code": grant.device_code,
        "user_code": grant.user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": complete,
        "expires_in": grant.expires_in,
        "interval": grant.interval,
    }
    return json_response(body, headers=NO_STORE)


async def token(request: Request) -> Response:
    """``POST /api/auth/device/token/`` ``{"device_code"}``. BrainSTEM's client calls
    ``raise_for_status()`` on every poll, so "still pending" is a 200, not RFC 8628's 400.
    Its route answers every error in RFC 8628's format."""
    device_code = (await form_or_json(request)).get("device_code")
    if not isinstance(device_code, str) or not device_code.strip():
        raise device.DeviceGrantError("invalid_request", "device_code is required.")
    secret = await device.poll_device_login(context_of(request), device_code=device_code.strip())
    if secret is None:
        return json_response({"status": "authorization_pending"}, headers=NO_STORE)
    return json_response({"status": "success", "token": secret}, headers=NO_STORE)


async def verify_page(request: Request) -> Response:
    """``GET /api/auth/device/verify/[?user_code=…]``: the sign-in form."""
    user_code = request.query_params.get("user_code", "")[:PREFILL_MAX]
    client_name = None
    if user_code:
        client_name = await device.describe_pending(context_of(request), user_code=user_code)
    return form_page(user_code=user_code, client_name=client_name)


async def verify_submit(request: Request) -> Response:
    """The form's POST: sign in, then approve or deny; the form again on any failure."""
    fields = await form_or_json(request)
    user_code = _field(fields, "user_code")[:PREFILL_MAX]
    email = _field(fields, "email")
    password = fields.get("password") if isinstance(fields.get("password"), str) else ""
    action = _field(fields, "action") or "approve"
    ctx = context_of(request)

    async def again(message: str, status: int) -> Response:
        client_name = await device.describe_pending(ctx, user_code=user_code)
        return form_page(user_code, client_name, email=email, error=message, status=status)

    if action not in ("approve", "deny"):
        return await again("Choose Approve or Deny.", 400)
    if not user_code or not email or not password:
        return await again("Enter the code, your email and your password.", 400)
    try:
        review = await device.review_device_login(
            ctx, user_code=user_code, login=email, password=password, approve=action == "approve"
        )
    except Unauthenticated:
        return await again("Wrong email or password.", 400)
    except (NotFound, BadRequest) as error:
        return await again(error.message, error.status)
    return done_page(review)


def _field(fields: dict[str, object], name: str) -> str:
    value = fields.get(name)
    return value.strip() if isinstance(value, str) else ""


def form_page(
    user_code: str,
    client_name: str | None,
    *,
    email: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    if client_name is not None:
        who = escape(client_name or "An application")
        lead = f"<strong>{who}</strong> is asking to access your account."
    else:
        lead = "Enter the code your application shows, then sign in to approve it."
    body = FORM.substitute(
        lead=lead,
        error=f'<p class="error" role="alert">{escape(error)}</p>' if error else "",
        user_code=escape(user_code),
        email=escape(email),
        focus_code="" if user_code else " autofocus",
        focus_email=" autofocus" if user_code and not email else "",
        focus_password=" autofocus" if user_code and email else "",
    )
    return page("Connect a device", body, status)


def done_page(review: device.Review) -> Response:
    client = escape(review.client_name or "your application")
    if review.approved:
        message = f"Device approved. You can return to {client}."
        body = DONE.substitute(kind="ok", title="Device approved", message=message)
        return page("Device approved", body)
    body = DONE.substitute(
        kind="denied",
        title="Request denied",
        message=f"Request denied. {client} was not given access to your account.",
    )
    return page("Request denied", body)


def page(title: str, body: str, status: int = 200) -> Response:
    html = PAGE.substitute(title=escape(title), body=body)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


# string.Template, not str.format: the CSS is full of braces.
PAGE = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title · neurogate</title>
<style>
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
  font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  color:#1f2933;background:linear-gradient(160deg,#eef2f7 0%,#dde5ef 100%);padding:24px}
main{width:100%;max-width:400px;background:#fff;border-radius:12px;padding:32px;
  box-shadow:0 1px 3px rgba(15,23,42,.08),0 12px 32px rgba(15,23,42,.10)}
.brand{margin:0 0 20px;font-weight:700;letter-spacing:.04em;color:#2563eb;font-size:14px;
  text-transform:uppercase}
h1{margin:0 0 8px;font-size:22px;line-height:1.3}
p{margin:0 0 16px;color:#52606d}
strong{color:#1f2933}
label{display:block;margin:14px 0 6px;font-size:14px;font-weight:600}
input{width:100%;padding:10px 12px;font:inherit;color:inherit;border:1px solid #cbd2d9;
  border-radius:8px;background:#fff}
input:focus{outline:none;border-color:#2563eb;box-shadow:0 0 0 3px rgba(37,99,235,.2)}
input.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:20px;
  letter-spacing:.15em;text-transform:uppercase;text-align:center}
.actions{display:flex;gap:12px;margin-top:24px}
button{flex:1;padding:11px 16px;font:inherit;font-weight:600;border-radius:8px;cursor:pointer}
button.approve{background:#2563eb;border:1px solid #2563eb;color:#fff}
button.approve:hover{background:#1d4ed8}
button.deny{background:#fff;border:1px solid #cbd2d9;color:#b42318}
button.deny:hover{background:#fef3f2;border-color:#fda29b}
.error{padding:10px 12px;border-radius:8px;background:#fef3f2;border:1px solid #fda29b;
  color:#b42318}
.hint{margin:20px 0 0;font-size:13px}
.ok{color:#067647}
.denied{color:#b42318}
</style>
</head>
<body>
<main>
<p class="brand">neurogate</p>
$body
</main>
</body>
</html>
""")

FORM = Template("""<h1>Connect a device</h1>
<p>$lead</p>
$error
<form method="post">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" class="code" value="$user_code" required
  autocomplete="off" autocapitalize="characters" spellcheck="false"
  placeholder="BCDF-GHJK"$focus_code>
<label for="email">Email</label>
<input id="email" name="email" value="$email" required autocomplete="username"$focus_email>
<label for="password">Password</label>
<input id="password" name="password" type="password" required
  autocomplete="current-password"$focus_password>
<div class="actions">
<button type="submit" name="action" value="approve" class="approve">Approve</button>
<button type="submit" name="action" value="deny" class="deny">Deny</button>
</div>
</form>
<p class="hint">Approve only if you started this sign-in yourself: the application gets a
token that acts as you.</p>
""")

DONE = Template("""<h1 class="$kind">$title</h1>
<p>$message</p>
<p class="hint">You can close this window.</p>
""")


ROUTES = [
    BrainstemRoute("/api/auth/device/", start, methods=["POST"]),
    BrainstemRoute("/api/auth/device/token/", token, methods=["POST"], errors=ErrorFormat.OAUTH),
    BrainstemRoute("/api/auth/device/verify/", verify_page, methods=["GET"], name=VERIFY_ROUTE),
    BrainstemRoute("/api/auth/device/verify/", verify_submit, methods=["POST"]),
    BrainstemRoute("/api/auth/device/verify", verify_page, methods=["GET"]),
    BrainstemRoute("/api/auth/device/verify", verify_submit, methods=["POST"]),
]
