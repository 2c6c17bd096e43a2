"""The operator's commands: create-user and assign-role."""

import pytest
from django.core.management import CommandError, call_command

from massline.access.models import RoleAssignment
from massline.accounts.models import User


def test_create_user_then_assign_a_role(tree, roles, monkeypatch):
    # given
    monkeypatch.setenv("MASSLINE_PASSWORD", "a-long-password-1")
    # when
    call_command("create-user", "zhangsan", "--display-name", "张三")
    call_command(
        "assign-role",
        "--user",
        "zhangsan",
        "--org",
        tree.county_a1.code,
        "--role",
        "campaign_office",
        "--scope",
        "subtree",
        "--from",
        "2024-01-01",
    )
    # then
    user = User.objects.get(username="zhangsan")
    assert user.check_password("a-long-password-1") and user.display_name == "张三"
    assignment = RoleAssignment.objects.get(user=user)
    assert (assignment.org, assignment.role.code, assignment.scope) == (
        tree.county_a1,
        "campaign_office",
        "subtree",
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--from", "2024-05-01", "--to", "2024-04-30"],
            "--to：截止日期 2024-04-30 早于生效日期 2024-05-01",
        ),
        (["--from", "2024年5月"], "--from：'2024年5月' 不是"),
        (["--scope", "custom"], "--custom：自定义数据范围至少需要选择一个党组织"),
        (["--custom", "NOPE"], "--custom：没有编码为 NOPE 的党组织"),
    ],
    ids=["end-before-start", "bad-date", "custom-without-orgs", "unknown-custom-org"],
)
def test_assign_role_bad_input_names_the_option_and_writes_nothing(
    tree, roles, make_user, extra, message
):
    # given
    make_user(username="lisi")
    # when
    with pytest.raises(CommandError) as caught:
        call_command(
            "assign-role",
            "--user",
            "lisi",
            "--org",
            tree.county_a1.code,
            "--role",
            "supervisor",
            *extra,
        )
    # then
    assert message in str(caught.value)
    assert not RoleAssignment.objects.filter(user__username="lisi").exists()


def test_assign_role_names_unknown_user_role_and_org(tree, roles, make_user):
    make_user(username="lisi")
    with pytest.raises(CommandError, match="--user"):
        call_command("assign-role", "--user", "nobody", "--org", tree.root.code, "--role", "member")
    with pytest.raises(CommandError, match=r"--role：.*campaign_office"):
        call_command("assign-role", "--user", "lisi", "--org", tree.root.code, "--role", "boss")
    with pytest.raises(CommandError, match="--org"):
        call_command("assign-role", "--user", "lisi", "--org", "000", "--role", "member")


def test_create_user_refuses_a_taken_username(db, make_user, monkeypatch):
    make_user(username="wangwu")
    monkeypatch.setenv("MASSLINE_PASSWORD", "a-long-password-1")
    with pytest.raises(CommandError, match="用户名 wangwu 已被使用"):
        call_command("create-user", "wangwu")
