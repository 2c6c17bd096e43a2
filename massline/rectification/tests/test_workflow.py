"""The fix workflow, exhaustively: every state × every action, taken by the side the map names
(allowed, lands on the map's target) or by the other side (refused), and every pair the map
does not hold (refused, nothing written)."""

from __future__ import annotations

import datetime as dt

import pytest

from massline.core.errors import ApplicationError, Forbidden
from massline.rectification import workflow
from massline.rectification.fix_services import fix_act
from massline.rectification.models import Fix, FixState, FixStep

from .conftest import TODAY, a_fix, a_problem

pytestmark = pytest.mark.django_db

PATH_TO = {
    FixState.IN_PROGRESS: [],
    FixState.EXTENSION_REQUESTED: [workflow.REQUEST_EXTENSION],
    FixState.CLOSE_REQUESTED: [workflow.REQUEST_CLOSE],
    FixState.CLOSED: [workflow.REQUEST_CLOSE, workflow.APPROVE_CLOSE],
}


def arguments(action: str) -> dict:
    return {
        "note": "说明",
        "until": TODAY + dt.timedelta(days=90),
        "audience": "public",
        "promised_on": TODAY + dt.timedelta(days=10),
        "today": TODAY,
    }


def fix_in(state, people, *, prepared=False):
    f = a_fix(a_problem(people.tree.village_a1))
    if prepared:
        f = fix_act(actor=None, fix=f, action=workflow.PREPARE_COMMITMENT, **arguments(""))
    for action in PATH_TO[state]:
        f = fix_act(actor=None, fix=f, action=action, **arguments(action))
    return Fix.objects.get(pk=f.pk)


@pytest.fixture
def sides(tree, people):
    people.tree = tree
    return {workflow.RESPONSIBLE: people.village, workflow.UPPER: people.town}


@pytest.mark.parametrize("state", FixState.values)
@pytest.mark.parametrize("action", workflow.ACTIONS)
def test_every_state_and_action(state, action, people, sides):
    step = workflow.TRANSITIONS.get((state, action))
    f = fix_in(state, people, prepared=action == workflow.PUBLISH_COMMITMENT)
    steps = FixStep.objects.filter(fix=f).count()
    if step is None:
        with pytest.raises(ApplicationError) as e:
            fix_act(actor=people.county, fix=f, action=action, **arguments(action))
        assert e.value.code == "fix_state"
        assert FixStep.objects.filter(fix=f).count() == steps
        return
    actor = sides[workflow.RESPONSIBLE if step.side == workflow.EITHER else step.side]
    if step.side != workflow.EITHER:
        other = sides[workflow.UPPER if step.side == workflow.RESPONSIBLE else workflow.RESPONSIBLE]
        if not workflow.may(step, workflow.sides_of(other, f)):
            with pytest.raises(Forbidden):
                fix_act(actor=other, fix=f, action=action, **arguments(action))
    assert action in workflow.actions_for(actor, f)
    f = fix_act(actor=actor, fix=f, action=action, version=f.version, **arguments(action))
    assert f.state == step.target
    assert FixStep.objects.filter(fix=f).count() == steps + 1
    assert FixStep.objects.filter(fix=f).last().kind == step.step_kind


def test_every_action_is_reachable_from_some_state():
    assert {a for _, a in workflow.TRANSITIONS} == set(workflow.ACTIONS)


def test_every_state_leads_somewhere_else():
    for state in FixState.values:
        targets = {t.target for (s, _), t in workflow.TRANSITIONS.items() if s == state}
        assert targets - {state}, state
