"""The proof that an anonymous opinion leaves no trace of who sent it, nor of when to the
minute (decision 0021): it is submitted through the page and the API from a distinctive
address (REMOTE_ADDR and X-Forwarded-For) with a distinctive user agent at a distinctive
moment, and then every text, JSON and date-time value of every table, every log record
(DEBUG), the access log line `massline serve` writes, the audit log, the notices and the
responses are searched for any of them. The same for following an opinion already raised
(the similar step, a follow through the page and the API)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.utils import timezone

from massline.core.models import AuditEvent
from massline.notices.models import Notice
from massline.opinions.models import Opinion
from massline.portal.privacy import PrivateAccessLogger, PublicRequestFilter

ADDRESS = "203.0.113.77"
FORWARDED = "198.51.100.201"
AGENT = "AnonProbe/9.9 (Distinctive-UA-7f3a; HarmonyOS) WeChat/8.0.99"
MARKERS = (ADDRESS, FORWARDED, AGENT, "Distinctive-UA-7f3a", "AnonProbe")


@pytest.fixture
def moment(monkeypatch):
    """The moment of the submissions: today, five hours from the real time (so no row the
    fixtures wrote at the real time falls within its minute), to the microsecond."""
    real = timezone.now()
    at = real.replace(second=37, microsecond=123456) + dt.timedelta(hours=5)
    if timezone.localtime(at).date() != timezone.localdate(real):
        at = real.replace(second=37, microsecond=123456) - dt.timedelta(hours=5)
    monkeypatch.setattr(timezone, "now", lambda: at)
    return at


def time_strings(at: dt.datetime) -> list[str]:
    """The moment as text, to the minute, in the forms a log, a JSON value or a column use."""
    local = timezone.localtime(at)
    utc = at.astimezone(dt.UTC)
    out = []
    for t in {local, utc}:
        out += [t.strftime("%H:%M:"), t.strftime("%Y-%m-%dT%H:%M"), t.strftime("%Y-%m-%d %H:%M")]
        out += [t.strftime("%d/%b/%Y:%H:%M")]
    out.append(str(int(at.timestamp()))[:-1])  # epoch seconds to the ten
    return out


def client() -> Client:
    return Client(
        REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT, HTTP_X_FORWARDED_FOR=f"{FORWARDED}, {ADDRESS}"
    )


def submit_both_ways(org) -> list[Any]:
    """Anonymous opinions through the page and the API, their tracking, a miss and a 429."""
    c = client()
    responses = [c.get(f"/p/o/{org.pk}/")]
    responses.append(c.post(f"/p/o/{org.pk}/", {"text": "页面匿名意见", "anonymous": "1"}))
    code = re.sub(
        r"<[^>]+>|-",
        "",
        re.search(r'data-testid="receipt">(.*?)</p>', responses[-1].content.decode()).group(1),  # type: ignore[union-attr]
    )
    api = c.post(
        f"/api/v1/public/orgs/{org.pk}/opinions",
        json.dumps({"text": "接口匿名意见", "anonymous": True}),
        content_type="application/json",
    )
    responses += [api, c.post("/p/r/", {"receipt": code})]
    responses.append(c.get(f"/api/v1/public/opinions/{api.json()['receipt']}"))
    responses.append(c.get("/api/v1/public/opinions/AAAA-BBBB-CCCC-DDDD"))  # a miss: logged 404
    return responses


def every_value() -> list[tuple[str, str, Any]]:
    """(table, column, value) for every text, JSON, date and time value of every model."""
    kinds = (models.CharField, models.TextField, models.JSONField, models.DateTimeField)
    out = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, kinds)]
        if not fields:
            continue
        names = [f.attname for f in fields]
        for row in model._default_manager.values_list(*names):
            for name, value in zip(names, row, strict=True):
                if value is not None:
                    out.append((model._meta.db_table, name, value))
    return out


def assert_no_trace(moment, caplog, responses, audits: int, notices: int) -> None:
    """No column of any table, no log record and no response holds the address, the agent or
    the moment to the minute; no audit row and no notice was written; no session was set."""
    times = time_strings(moment)
    # ... no column of any table holds the address, the agent or the moment to the minute
    for table, column, value in every_value():
        if isinstance(value, dt.datetime):
            assert abs((value - moment).total_seconds()) > 120, (table, column, value)
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        for needle in (*MARKERS, *times):
            assert needle not in text, (table, column, needle)
    # ... no audit row and no notice was written
    assert AuditEvent.objects.count() == audits
    assert Notice.objects.count() == notices
    # ... no log record says them (and a record about a public request drops the request)
    public = PublicRequestFilter()
    for record in caplog.records:
        public.filter(record)
        assert getattr(record, "request", None) is None
        text = record.getMessage() + repr({k: v for k, v in vars(record).items() if k != "msg"})
        for needle in (*MARKERS, *times):
            assert needle not in text, (record.name, needle)
    # ... no response carries them back, nor sets a session
    for response in responses:
        body = response.content.decode() + repr(sorted(response.items()))
        for needle in (*MARKERS, *times):
            assert needle not in body
        assert "sessionid" not in response.cookies


def test_an_anonymous_opinion_leaves_no_trace_of_its_submitter(tree, moment, caplog, settings):
    # given
    settings.PORTAL_RATE_LIMITS = {"submit": (2, 600), "lookup": (10, 600)}
    caplog.set_level(logging.DEBUG)
    audits, notices = AuditEvent.objects.count(), Notice.objects.count()
    # when
    responses = submit_both_ways(tree.village_a1)
    flooded = client().post(f"/p/o/{tree.village_a1.pk}/", {"text": "第三条", "anonymous": "1"})
    # then: two opinions were stored, the third refused
    assert [r.status_code for r in responses] == [200, 200, 201, 200, 200, 404]
    assert flooded.status_code == 429
    assert Opinion.objects.filter(anonymous=True).count() == 2
    assert_no_trace(moment, caplog, [*responses, flooded], audits, notices)


def follow_both_ways(org, seen: Opinion) -> list[Any]:
    """An opinion like `seen` followed through the page (its step first) and the API, both
    receipts tracked, a refused follow and a 429."""
    c = client()
    text = "幸福小区门口路灯坏了一个多月，晚上太黑了没人修"
    step = c.post(f"/p/o/{org.pk}/", {"text": text, "anonymous": "1", "once": "probe-once-1"})
    assert f'value="{seen.pk}"' in step.content.decode()
    body = {"text": text, "anonymous": "1", "once": "probe-once-1", "follow": seen.pk}
    page = c.post(f"/p/o/{org.pk}/", body)
    code = re.sub(
        r"<[^>]+>|-",
        "",
        re.search(r'data-testid="receipt">(.*?)</p>', page.content.decode()).group(1),  # type: ignore[union-attr]
    )
    looks = c.post(
        f"/api/v1/public/orgs/{org.pk}/opinions/similar",
        json.dumps({"text": text}),
        content_type="application/json",
    )
    api = c.post(
        f"/api/v1/public/orgs/{org.pk}/opinions/{seen.pk}/follow",
        json.dumps({"text": text}),
        content_type="application/json",
    )
    refused = c.post(
        f"/api/v1/public/orgs/{org.pk}/opinions/{seen.pk}/follow",
        json.dumps({"text": "学校食堂的饭菜太贵了"}),
        content_type="application/json",
    )
    flooded = c.post(
        f"/api/v1/public/orgs/{org.pk}/opinions/{seen.pk}/follow",
        json.dumps({"text": text}),
        content_type="application/json",
    )
    tracked = [c.post("/p/r/", {"receipt": code})]
    tracked.append(c.get(f"/api/v1/public/opinions/{api.json()['receipt']}"))
    return [step, page, looks, api, refused, flooded, *tracked]


def test_following_an_opinion_leaves_no_trace_of_the_follower(tree, moment, caplog, settings):
    # given: an opinion staff have seen
    from massline.opinions.intake_services import opinion_submit
    from massline.opinions.models import Receipt

    seen, _code = opinion_submit(
        org=tree.village_a1,
        text="幸福小区门口的路灯坏了一个月了，晚上很黑，一直没人修",
        anonymous=True,
    )
    Opinion.objects.filter(pk=seen.pk).update(status="dispatched")
    settings.PORTAL_RATE_LIMITS = {"submit": (3, 600), "similar": (5, 600), "lookup": (10, 600)}
    caplog.set_level(logging.DEBUG)
    audits, notices = AuditEvent.objects.count(), Notice.objects.count()
    # when
    responses = follow_both_ways(tree.village_a1, seen)
    # then: two receipts on it, one refused, one flooded, and no new opinion
    assert [r.status_code for r in responses] == [200, 200, 200, 201, 400, 429, 200, 200]
    assert Opinion.objects.count() == 1
    assert Receipt.objects.filter(opinion=seen).count() == 3
    assert_no_trace(moment, caplog, responses, audits, notices)


def test_the_request_filter_drops_the_request_and_the_receipt_of_a_public_path(rf):
    # given: the record Django's request logger writes for a 404 on a receipt
    request = rf.get("/api/v1/public/opinions/K7MQ-3XPA-9WDE-TR4H", REMOTE_ADDR=ADDRESS)
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "%s: %s", ("Not Found", request.path), None
    )
    record.request = request
    staff = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "%s: %s", ("Not Found", "/orgs/1/"), None
    )
    staff.request = rf.get("/orgs/1/")
    # when
    PublicRequestFilter().filter(record)
    PublicRequestFilter().filter(staff)
    # then
    assert record.request is None
    assert record.getMessage() == "Not Found: /api/v1/public/opinions/…"
    assert staff.request is not None


def access_line(capsys, path: str) -> str:
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", "-")
    logger = PrivateAccessLogger(cfg)
    environ = {
        "REMOTE_ADDR": ADDRESS,
        "HTTP_USER_AGENT": AGENT,
        "HTTP_X_FORWARDED_FOR": FORWARDED,
        "HTTP_REFERER": f"http://{ADDRESS}/",
        "REQUEST_METHOD": "POST",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    req = SimpleNamespace(
        headers=[("USER-AGENT", AGENT), ("X-FORWARDED-FOR", FORWARDED), ("HOST", "x")]
    )
    resp = SimpleNamespace(status="201 Created", sent=40, headers=[("Content-Type", "text/html")])
    logger.access(resp, req, environ, dt.timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "path", ["/p/o/8/", "/p/r/", "/api/v1/public/orgs/8/opinions", "/api/v1/public/opinions/K7MQ"]
)
def test_the_access_log_of_a_public_path_has_no_address_agent_or_time_of_day(capsys, path):
    # when
    line = access_line(capsys, path)
    # then
    assert path.split("/")[1] in line and "201" in line
    for needle in (*MARKERS, *time_strings(dt.datetime.now(dt.UTC))):
        assert needle not in line
    assert "K7MQ" not in line
    assert dt.datetime.now().strftime("%d/%b/%Y") in line  # the day only


def test_the_access_log_of_staff_paths_is_gunicorns_own(capsys):
    line = access_line(capsys, "/orgs/8/")
    assert ADDRESS in line and AGENT in line


def test_massline_serve_runs_gunicorn_with_the_private_logger(monkeypatch):
    # given: processes that stop at once
    from massline.core.management.commands import serve

    started: list[list[str]] = []

    class Stopped:
        returncode = 0

        def __init__(self, cmd: list[str]) -> None:
            started.append(cmd)

        def poll(self) -> int:
            return 0

        def wait(self, timeout: float) -> int:
            return 0

    monkeypatch.setattr(serve.subprocess, "Popen", Stopped)
    monkeypatch.setattr(serve, "TICK", 0)
    # when
    call_command("serve")
    # then
    web = next(cmd for cmd in started if cmd[0].endswith("gunicorn"))
    assert web[web.index("--logger-class") + 1] == "massline.portal.privacy.PrivateAccessLogger"
    assert "--access-logfile" in web


def test_a_real_gunicorn_logs_public_requests_without_the_client(tmp_path):
    """The same through gunicorn itself: the server `massline serve` starts, its own request
    parser and access log file."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "access.log"
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = subprocess.Popen(
        [
            gunicorn,
            "massline.portal.tests.probe_wsgi:app",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(log),
            "--logger-class",
            "massline.portal.privacy.PrivateAccessLogger",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        paths = ["/api/v1/public/opinions/K7MQ-3XPA-9WDE-TR4H", "/p/o/8/?from=poster", "/orgs/8/"]
        deadline = time.monotonic() + 20
        while True:
            try:
                for path in paths:
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{port}{path}",
                        headers={"User-Agent": AGENT, "X-Forwarded-For": FORWARDED},
                    )
                    urllib.request.urlopen(request, timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        while log.read_text().count("\n") < len(paths) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=15)
    public_lines, staff_line = log.read_text().splitlines()[-3:-1], log.read_text().splitlines()[-1]
    for line in public_lines:
        assert "127.0.0.1" not in line and AGENT not in line and FORWARDED not in line
        assert re.search(r"\d\d:\d\d:\d\d", line) is None, line
        assert "K7MQ" not in line and "poster" not in line
    assert "/p/o/8/" in public_lines[1]
    assert "127.0.0.1" in staff_line and AGENT in staff_line  # other paths: gunicorn's own


@pytest.fixture
def judged_fix(tree, make_user):
    """A closed-out fix raised from an opinion, its receipt code and two evaluation codes,
    made before the probe's moment (requested before `moment`)."""
    from massline.opinions.intake_services import opinion_submit
    from massline.rectification import workflow
    from massline.rectification.evaluation_services import tokens_issue
    from massline.rectification.fix_services import fix_act, fix_create
    from massline.rectification.models import FixKind, ProblemSource
    from massline.rectification.problem_services import problem_create

    opinion, receipt = opinion_submit(org=tree.village_a1, text="公开栏不更新", anonymous=True)
    problem = problem_create(
        actor=None,
        org=tree.village_a1,
        source=ProblemSource.OPINION,
        description="村务公开栏长期不更新",
        responsible_person="王书记",
        opinions=[opinion],
    )
    fix = fix_create(
        actor=None,
        problem=problem,
        measure="每月更新公开栏",
        kind=FixKind.TIME_LIMITED,
        deadline=timezone.localdate() + dt.timedelta(days=30),
        responsible_person="王书记",
    )
    fix_act(actor=None, fix=fix, action=workflow.REQUEST_CLOSE, note="已完成")
    fix_act(actor=None, fix=fix, action=workflow.APPROVE_CLOSE)
    return fix, receipt, tokens_issue(actor=None, fix=fix, count=3)


def test_an_evaluation_leaves_no_trace_of_who_gave_it(judged_fix, moment, caplog, settings):
    # given
    from massline.rectification.models import Evaluation

    fix, receipt, tokens = judged_fix
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "evaluate": (4, 600)}
    caplog.set_level(logging.DEBUG)
    audits, notices = AuditEvent.objects.count(), Notice.objects.count()
    c = client()
    # when: through the page (the slip's QR, the fix, the verdict), and the API twice
    responses = [c.get(f"/p/e/?t={tokens[0]}"), c.post("/p/e/", {"code": tokens[0]})]
    responses.append(
        c.post(
            "/p/e/", {"code": tokens[0], "fix": fix.pk, "verdict": "unsatisfied", "reason": "没变"}
        )
    )
    for body in (
        {"token": tokens[1], "verdict": "satisfied"},
        {"receipt": receipt, "verdict": "satisfied"},
    ):
        responses.append(
            c.post("/api/v1/public/evaluations", json.dumps(body), content_type="application/json")
        )
    flooded = c.post(
        "/api/v1/public/evaluations",
        json.dumps({"token": tokens[2], "verdict": "satisfied"}),
        content_type="application/json",
    )
    # then: three evaluations, with the day only; no audit row, nothing that tells who or when
    assert [r.status_code for r in responses] == [200, 200, 200, 201, 201]
    assert flooded.status_code == 429
    assert Evaluation.objects.count() == 3
    assert set(Evaluation.objects.values_list("given_on", flat=True)) == {
        timezone.localdate(moment)
    }
    assert_no_trace(moment, caplog, [*responses, flooded], audits, notices)
