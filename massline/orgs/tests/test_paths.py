import pytest

from massline.orgs.models import Organization, OrgKind, UnitType
from massline.orgs.paths import (
    KEY_WIDTH,
    MAX_KEY,
    ancestor_ids,
    child_path,
    decode_key,
    depth_of,
    encode_key,
    subtree_bounds,
)


@pytest.mark.parametrize(
    ("org_id", "key"),
    [
        (1, "000001"),
        (9, "000009"),
        (10, "00000A"),
        (35, "00000Z"),
        (36, "000010"),
        (1295, "0000ZZ"),
        (1296, "000100"),
        (70_000, "001I0G"),
        (MAX_KEY, "ZZZZZZ"),
    ],
)
def test_encode_key_writes_the_id_in_fixed_width_base_36(org_id, key):
    # given an organization id
    # when
    encoded = encode_key(org_id)
    # then
    assert encoded == key
    assert len(encoded) == KEY_WIDTH


@pytest.mark.parametrize("org_id", [1, 10, 35, 36, 37, 1296, 46_655, 70_000, 2_000_000, MAX_KEY])
def test_decode_key_reverses_encode_key(org_id):
    # given
    key = encode_key(org_id)
    # when
    decoded = decode_key(key)
    # then
    assert decoded == org_id


@pytest.mark.parametrize("org_id", [0, -1, MAX_KEY + 1])
def test_encode_key_refuses_ids_that_do_not_fit(org_id):
    # given an id outside 1..36**6-1
    # when / then
    with pytest.raises(ValueError, match=str(org_id)):
        encode_key(org_id)


def test_keys_sort_as_strings_in_the_order_of_their_ids():
    # given ids whose decimal order differs from their string order
    ids = [1, 2, 9, 10, 11, 35, 36, 100, 1295, 1296, 50_000]
    # when
    keys = [encode_key(i) for i in ids]
    # then
    assert sorted(keys) == keys


def test_child_path_appends_the_child_key_to_the_parent_path():
    # given
    parent_path = encode_key(1) + encode_key(36)
    # when
    path = child_path(parent_path, 37)
    # then
    assert path == "000001000010000011"


def test_child_path_of_a_root_is_its_own_key():
    # given / when
    path = child_path("", 36)
    # then
    assert path == "000010"


def test_ancestor_ids_reads_ids_from_root_down_to_the_organization():
    # given a path of three keys
    path = encode_key(1) + encode_key(36) + encode_key(70_000)
    # when
    ids = ancestor_ids(path)
    # then
    assert ids == [1, 36, 70_000]


def test_ancestor_ids_without_self_stops_at_the_parent():
    # given
    path = encode_key(1) + encode_key(36) + encode_key(70_000)
    # when
    ids = ancestor_ids(path, include_self=False)
    # then
    assert ids == [1, 36]


def test_ancestor_ids_of_a_root_is_the_root_alone_or_nothing():
    # given
    path = encode_key(42)
    # when / then
    assert ancestor_ids(path) == [42]
    assert ancestor_ids(path, include_self=False) == []


@pytest.mark.parametrize(("keys", "depth"), [(1, 0), (2, 1), (3, 2), (5, 4)])
def test_depth_of_counts_the_keys_above_the_organization(keys, depth):
    # given
    path = "".join(encode_key(i + 1) for i in range(keys))
    # when / then
    assert depth_of(path) == depth


def test_subtree_bounds_include_the_root_and_every_descendant():
    # given
    root = encode_key(1) + encode_key(2)
    descendants = [
        root + encode_key(3),
        root + encode_key(MAX_KEY),
        root + encode_key(3) + encode_key(4),
        root + encode_key(MAX_KEY) + encode_key(MAX_KEY) + encode_key(MAX_KEY),
    ]
    # when
    low, high = subtree_bounds(root)
    # then
    assert low <= root < high
    for path in descendants:
        assert low <= path < high, path


@pytest.mark.parametrize(
    "outside",
    [
        # siblings whose keys share a prefix with the root's key
        encode_key(1) + encode_key(20),
        encode_key(1) + encode_key(72),
        encode_key(1) + encode_key(20) + encode_key(2),
        # the parent and a sibling sorting just before
        encode_key(1),
        encode_key(1) + encode_key(1) + encode_key(MAX_KEY),
        # a sibling sorting just after
        encode_key(1) + encode_key(3),
    ],
)
def test_subtree_bounds_leave_out_siblings_and_ancestors(outside):
    # given the subtree of 000001-000002
    root = encode_key(1) + encode_key(2)
    # when
    low, high = subtree_bounds(root)
    # then
    assert not (low <= outside < high)


def _org_at(path: str) -> Organization:
    return Organization.objects.create(
        code=f"P-{path}",
        name=path,
        kind=OrgKind.BRANCH,
        unit_type=UnitType.AGENCY,
        depth=depth_of(path),
        path=path,
    )


def test_subtree_query_in_the_database_excludes_a_sibling_sharing_a_key_prefix(db):
    # given rows at hand-written paths: a subtree 000001-000002 and siblings
    # 000001-000020 and 000001-00002A that share its key prefix "00000"/"00002"
    root = _org_at("000001")
    target = _org_at("000001000002")
    inside = [_org_at("000001000002000003"), _org_at("000001000002ZZZZZZ")]
    _org_at("000001000020")
    _org_at("000001000020000002")
    _org_at("00000100002A")
    _org_at("000001000003")
    # when
    found = set(Organization.objects.filter(target.subtree_q()).values_list("path", flat=True))
    # then
    assert found == {target.path} | {o.path for o in inside}
    assert root.path not in found
