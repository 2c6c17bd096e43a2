"""Counter families (decision 0020): figures kept per record of a domain, such as one per
campaign, recounted by the family's source and checked by the drift check like any metric."""

from __future__ import annotations

import pytest

from massline.orgs import counters
from massline.orgs.drift import drift_check

pytestmark = pytest.mark.django_db


def test_a_family_needs_a_dotted_prefix_that_takes_in_no_metric():
    with pytest.raises(ValueError):
        counters.register_family("campaign", "x", lambda: [])
    with pytest.raises(ValueError):
        counters.register_family("members.", "x", lambda: [])


def test_a_family_code_is_labelled_by_its_family():
    assert counters.label_of("campaign.12.reached") == "活动统计 (12.reached)"
    assert counters.label_of("members.total") == "党员"
    assert counters.label_of("nobody.knows") == "nobody.knows"


def test_a_family_counter_that_no_record_backs_is_drift(tree):
    # given a figure of campaign 999, which has no records
    counters.bump(path=tree.village_a1.path, deltas={"campaign.999.reached": 2})
    # when
    drift = counters.rebuild(check_only=True)
    outcome = drift_check()
    # then: the village and each of its four ancestors
    assert {d.metric for d in drift} == {"campaign.999.reached"}
    assert len(drift) == 5
    assert "活动统计 (999.reached)" in str(outcome.details)
    # when rebuilt
    counters.rebuild()
    assert counters.rebuild(check_only=True) == []
