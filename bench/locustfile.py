"""Locust users for bench/load.py: the daily mix of coordhub's partners and coordinators.

Started by bench/load.py (headless, bounded in time, loopback only), which writes the users' accounts,
API tokens and record ids to the JSON file named by COORDHUB_LOAD_USERS.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from datetime import date, timedelta
from pathlib import Path

from locust import HttpUser, between, events, task

DATA = json.loads(Path(os.environ["COORDHUB_LOAD_USERS"]).read_text())
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_focal = itertools.cycle(DATA["focal_points"])
_steps = itertools.count(1)  # with the process id: unique codes in every step (one Locust process each)


def sign_in(user: HttpUser, email: str) -> None:
    page = user.client.get("/login", name="GET /login")
    token = CSRF.search(page.text)
    response = user.client.post(
        "/login",
        data={"email": email, "password": DATA["password"], "csrf_token": token.group(1) if token else ""},
        name="POST /login",
        allow_redirects=False,
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in of {email} failed: {response.status_code}")


class Partner(HttpUser):
    """A focal point: lists with filters, record pages, the inbox, the gap matrix, API reads and saves."""

    weight = 10
    wait_time = between(0.5, 2.0)

    def on_start(self):
        self.me = next(_focal)
        sign_in(self, self.me["email"])
        self.api = {"Authorization": f"Bearer {self.me['token']}"}

    def _filters(self) -> dict:
        choice = random.random()
        if choice < 0.4:
            return {"sector": random.choice(DATA["sectors"])}
        if choice < 0.8:
            return {"area": random.choice(DATA["areas"]), "sector": random.choice(DATA["sectors"])}
        return {"q": random.choice(["water", "school", "training", "kits", "support"])}

    @task(6)
    def project_list(self):
        self.client.get("/projects/", params=self._filters(), name="GET /projects/?filters")

    @task(3)
    def need_list(self):
        self.client.get("/needs/", params=self._filters(), name="GET /needs/?filters")

    @task(1)
    def capacity_list(self):
        self.client.get("/capacities/", name="GET /capacities/")

    @task(6)
    def project_page(self):
        self.client.get(f"/projects/{random.choice(DATA['projects'])}", name="GET /projects/<id>")

    @task(3)
    def need_page(self):
        self.client.get(f"/needs/{random.choice(DATA['needs'])}", name="GET /needs/<id>")

    @task(3)
    def inbox(self):
        self.client.get("/overlaps/inbox", name="GET /overlaps/inbox")

    @task(1)
    def gaps(self):
        self.client.get("/gaps/", params={"sector": random.choice(DATA["sectors"])}, name="GET /gaps/?sector")

    @task(2)
    def dashboard(self):
        self.client.get("/", name="GET / (dashboard)")

    @task(4)
    def api_list(self):
        self.client.get(
            "/api/v1/projects",
            params={"sector": random.choice(DATA["sectors"]), "per_page": 50},
            headers=self.api,
            name="GET /api/v1/projects?sector",
        )

    @task(3)
    def api_record(self):
        self.client.get(
            f"/api/v1/needs/{random.choice(DATA['needs'])}", headers=self.api, name="GET /api/v1/needs/<id>"
        )

    @task(3)
    def save_project(self):
        """A save with its overlap detection: new end date on one of the partner's own projects."""
        project = random.choice(self.me["projects"])
        end = date(2027, 1, 1) + timedelta(days=random.randrange(0, 365))  # the generated starts are in 2026
        self.client.patch(
            f"/api/v1/projects/{project}",
            json={"end_date": end.isoformat()},
            headers=self.api,
            name="PATCH /api/v1/projects/<id> (save + overlap detection)",
        )


class Coordinator(HttpUser):
    """One coordinator per run: starts an allocation run (a background job on the RQ workers), has the
    information-management officer's 3W file imported through the API once, then reads the alerts and gaps."""

    fixed_count = 1
    wait_time = between(1.0, 3.0)

    def on_start(self):
        sign_in(self, DATA["coordinator"]["email"])
        step = next(_steps)
        form = self.client.get("/allocations/new", name="GET /allocations/new")
        # The form's defaults as a browser sends them: unticked checkboxes are not sent.
        fields = {
            name: value
            for tag, name, value in re.findall(r'(<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"[^>]*>)', form.text)
            if 'type="checkbox"' not in tag or " checked" in tag
        }
        fields.update(
            re.findall(r'<select[^>]*name="([^"]+)"[^>]*>\s*<option[^>]*value="([^"]*)"[^>]*selected', form.text)
        )
        fields["note"] = f"load test {DATA['run_id']}"
        self.client.post(
            "/allocations/new", data=fields, name="POST /allocations/new (starts a job)", allow_redirects=False
        )
        with open(DATA["import_file"], "rb") as file:
            data = file.read().replace(b"LOADRUN", f"{DATA['run_id']}-{os.getpid()}-{step}".encode())
        self.client.post(
            "/api/v1/imports",
            headers={"Authorization": f"Bearer {DATA['officer']['token']}"},
            data={"kind": "projects", "commit": "true", "skip_invalid": "true"},
            files={"file": ("load-3w.csv", data, "text/csv")},
            name="POST /api/v1/imports (commit)",
        )

    @task(2)
    def alerts(self):
        self.client.get("/overlaps/", params={"sector": random.choice(DATA["sectors"])}, name="GET /overlaps/?sector")

    @task(1)
    def gaps(self):
        self.client.get("/gaps/", name="GET /gaps/")


@events.quitting.add_listener
def _no_exit_code_for_failures(environment, **_):
    environment.process_exit_code = 0  # bench/load.py reads the failures from the CSV and reports them
