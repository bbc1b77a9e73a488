"""The demo enterprise through the pages: every unit, objective and initiative page opens for an executive, and
a unit manager's rights show as the right links (what `make demo` serves)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from scorecard.models import Initiative, Objective, OrgUnit

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_every_demo_page_opens_and_the_managers_links_follow_their_roles(db: Any) -> None:
    call_command("load_demo", stdout=io.StringIO())
    executive = client_for("hannah")
    urls = ["/"]
    for unit in OrgUnit.objects.all():
        urls += [f"/units/{unit.code}/", f"/units/{unit.code}/map/", f"/units/{unit.code}/cascade/",
                 f"/units/{unit.code}/gaps/", f"/units/{unit.code}/map/print/", f"/units/{unit.code}/results/"]
    urls += [f"/objectives/{pk}/" for pk in Objective.objects.values_list("pk", flat=True)]
    urls += [f"/initiatives/{pk}/" for pk in Initiative.objects.values_list("pk", flat=True)]
    for url in urls:
        response = executive.get(url)
        assert response.status_code == 200, url
    # tomas manages NW-RET (and so NW-RET-EC and NW-RET-ST), not NW-WHS.
    tomas = client_for("tomas")
    assert "Enter results" in tomas.get("/units/NW-RET-ST/").content.decode()
    assert "Enter results" not in tomas.get("/units/NW-WHS/").content.decode()
    assert tomas.get("/units/NW-WHS/results/").status_code == 403
    # The demo's disconnected initiative shows up in its unit's gaps report.
    gaps = executive.get("/units/NW-RET-ST/gaps/").content.decode()
    assert "REFIT" in gaps[gaps.index("Initiatives that move no objective"):]
