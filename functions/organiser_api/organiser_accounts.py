"""Organiser API: account changes and the workspace's account groups (the seed's "groupes de comptes")."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from organiser_groups import no_content

from guestlist.api import organiser_workspace
from guestlist.edge import Edge, given
from guestlist.lean_imports import on_first_use
from guestlist.schemas.account_groups import (
    AccountGroup,
    AccountGroupIn,
    AccountGroupList,
    AccountGroupMembersIn,
    AccountGroupMembersOut,
    AccountGroupSummary,
    AccountPatch,
    AccountView,
)

accounts = on_first_use("guestlist.accounts")  # with the account models: imported by the first account request

router = Router()
edge = Edge(router, tag="accounts")


@edge.patch("/accounts/<username>", body=AccountPatch, response=AccountView, errors=(404,), summary="Change an account",
            description="Language among the platform's languages, gender from a fixed list; null clears a field.")
def patch_account(username: str, body: AccountPatch):
    return accounts.account_json(accounts.update_account(organiser_workspace(router), username, given(body)))


@edge.delete("/accounts/<username>", status=204, errors=(404,), summary="Delete an account")
def delete_account(username: str):
    accounts.delete_account(organiser_workspace(router), username)
    return no_content()


@edge.get("/account-groups", response=AccountGroupList, summary="The workspace's account groups")
def list_account_groups():
    return {"account_groups": accounts.list_account_groups(organiser_workspace(router))}


@edge.post("/account-groups", body=AccountGroupIn, status=201, response=AccountGroupSummary, errors=(409,),
           summary="Create an account group")
def create_account_group(body: AccountGroupIn):
    return accounts.create_account_group(organiser_workspace(router), body.name)


@edge.get("/account-groups/<name>", response=AccountGroup, errors=(404,), summary="An account group and its accounts")
def get_account_group(name: str):
    return accounts.get_account_group(organiser_workspace(router), name)


@edge.post("/account-groups/<name>/members", body=AccountGroupMembersIn, response=AccountGroupMembersOut,
           summary="Add accounts to an account group", description="The group is created if missing.")
def add_members(name: str, body: AccountGroupMembersIn):
    return accounts.add_account_group_members(organiser_workspace(router), name, body.usernames)


@edge.delete("/account-groups/<name>/members/<username>", status=204, errors=(404,),
             summary="Remove an account from an account group")
def remove_member(name: str, username: str):
    accounts.remove_account_group_member(organiser_workspace(router), name, username)
    return no_content()
