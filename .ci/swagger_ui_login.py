"""Swagger UI in headless Chromium, as a person uses it: open Authorize, log in with the store
family's password flow and the admin family's client credentials (the application key as the
client secret), then try refresh from the page. Passes only if each login answered (Swagger UI
shows the scheme with a Logout button) and each refresh, sent with the token the login answered,
is a 200.

usage: swagger_ui_login.py BASE_URL USERNAME PASSWORD APP_KEY
"""
import re
import sys
from playwright.sync_api import sync_playwright

base, username, password, app_key = sys.argv[1:5]
results = {}
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    for scheme, operation_id, tag in [("storeLogin", "refresh", "Store"), ("adminLogin", "ccadminRefresh", "Admin")]:
        page = browser.new_page()
        page.goto(f"{base}/swagger-ui/")
        page.wait_for_selector(".btn.authorize", timeout=30000)
        page.click(".btn.authorize")
        marker = "#client_id_clientCredentials" if scheme == "adminLogin" else "#oauth_username"
        container = page.locator(".auth-container", has_text=scheme).filter(has=page.locator(marker)).first
        if scheme == "storeLogin":
            container.locator("input#oauth_username").fill(username)
            container.locator("input#oauth_password").fill(password)
        else:
            # client credentials: the application key as the client secret
            container.locator("input#client_id_clientCredentials").fill("swagger")
            container.locator("input#client_secret_clientCredentials").fill(app_key)
        container.locator("button.authorize").click()
        # The login answered (Swagger UI shows the scheme as authorized, with a Logout button).
        page.locator(".auth-container", has_text=scheme).locator("button", has_text="Logout").first.wait_for(timeout=15000)
        errors = page.locator(".modal-ux .errors").all_inner_texts()
        page.click(".modal-ux .close-modal")
        op = page.locator(f"#operations-{tag}-{operation_id}")
        op.locator(".opblock-summary").click()
        op.locator(".try-out__btn").click()
        op.locator(".execute").click()
        cell = op.locator(".live-responses-table tbody .response-col_status").first
        cell.wait_for(timeout=15000)
        status = cell.inner_text().strip()
        curl = op.locator(".curl").first.inner_text()
        # The token Swagger UI sends is the one the login answered: a JWT, nothing pasted by hand.
        bearer = re.search(r"Authorization: Bearer ([A-Za-z0-9+/=_-]+\.[A-Za-z0-9+/=_-]+\.[A-Za-z0-9+/=_-]+)", curl)
        results[scheme] = (not errors, errors, status, bearer is not None)
        page.close()
    browser.close()
for scheme, (authorized, errors, status, bearer) in results.items():
    print(f"{scheme}: login ok={authorized} errors={errors} refresh status={status} sent bearer={bearer}")
ok = all(a and s.startswith("200") and b for a, _, s, b in results.values())
sys.exit(0 if ok else 1)
