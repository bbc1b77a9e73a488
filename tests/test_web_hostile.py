"""Hostile names on every page: shown as text, never as markup (no script, no broken attribute)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from tests.factories import ThemeFactory
from tests.test_web_support import HOSTILE, build_enterprise

pytestmark = pytest.mark.django_db
NAMES = [HOSTILE, "<x>]; evil [label=<y>", "back\\slash\\", "&lt;not a tag&gt;", "{a|b}", "שלום 👋"]


@pytest.mark.parametrize("name", NAMES)
def test_hostile_names_show_harmlessly_on_every_page(tree: Any, personas: Any, name: str) -> None:
    ent = build_enterprise(tree, name=name)
    for unit in (tree.nw, tree.ret):
        unit.name = name
        unit.save()
    ent.ret_initiative.name = name
    ent.ret_initiative.description = name
    ent.ret_initiative.save()
    measure = ent.ret_measures[0]
    measure.name = name
    measure.units = name[:40]
    measure.save()
    ent.ret_measures[0].actuals.update(note=name)
    ThemeFactory(map=tree.ret.strategy_map, code="EVIL", name=name)
    objective = ent.ret_objectives[0]
    objective.description = name  # the History section shows it as a change: — -> name
    objective.save()
    measure.target = 120  # a target history line under a card with a hostile name
    measure.save()
    client = Client()
    client.force_login(personas.manager)
    urls = ["/", "/units/RET/", "/units/RET/map/", "/units/RET/map/print/", "/units/NW/cascade/",
            "/units/RET/gaps/", f"/objectives/{ent.ret_objectives[0].pk}/",
            f"/initiatives/{ent.ret_initiative.pk}/", "/units/RET/results/",
            f"/initiatives/{ent.ret_initiative.pk}/progress/"]
    for url in urls:
        response = client.get(url, {"as_of": "2026-09-30"})
        assert response.status_code == 200, url
        page = response.content.decode()
        html_part = re.sub(r"<svg\b.*?</svg>", "", page, flags=re.S)  # inline SVG is the renderer's own test
        if "<" in name or "&" in name:
            assert name not in html_part, url
        assert escape(name) in html_part or escape(name[:40]) in html_part, url
        assert "<script>alert(1)" not in page and "<x>" not in page, url
        assert not re.search(r"<[^>]+\son\w+=", page), url  # no event-handler attribute anywhere
        assert "javascript:" not in page, url
        if url in (f"/objectives/{objective.pk}/", f"/initiatives/{ent.ret_initiative.pk}/"):
            history = html_part[html_part.index('<section class="history"'):]
            assert escape(name) in history or escape(name[:40]) in history, url
