"""The notice board, proposals and polls end to end: HTTP API, zones, PostgreSQL and clients."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from plaza_client.client import PlazaClient

from world.roles import Role

pytestmark = pytest.mark.e2e

TIMEOUT = 20.0


def latest(client: PlazaClient, kind: str) -> Any:
    events = [e.data for e in client.zone_events if e.type == kind]
    return events[-1] if events else None


async def test_the_notice_board(plaza: Any) -> None:
    staff_token = plaza.mint("clerk", Role.STAFF)
    citizen_token = plaza.mint("minji")
    ko = await plaza.client(token=citizen_token)
    en = await plaza.client(token=(await plaza.guest("Jun", "en")).token)
    await ko.wait_for(lambda c: latest(c, "notices") == {"notices": []}, TIMEOUT)

    # Posted over HTTP by staff: every plaza visitor sees it, in their language.
    notice = {
        "title": {"ko": "새해 타종", "en": "New Year bell"},
        "body": {"ko": "자정", "en": "Midnight"},
    }
    posted = await plaza.api("POST", "/api/notices", staff_token, notice)
    assert posted.status == 201, posted.text
    await ko.wait_for(lambda c: latest(c, "notices")["notices"], TIMEOUT)
    await en.wait_for(lambda c: latest(c, "notices")["notices"], TIMEOUT)
    assert latest(ko, "notices")["notices"][0]["title"] == "새해 타종"
    assert latest(en, "notices")["notices"][0]["title"] == "New Year bell"

    # Citizens may not post, over HTTP or in the plaza.
    refused = await plaza.api("POST", "/api/notices", citizen_token, notice)
    assert refused.status == 403 and "staff" in refused.json()["reason"]
    result = await ko.zone_request("notice.post", notice)
    assert not result.ok and result.detail == "posting a notice needs the staff role"

    # Staff post in the plaza too; the RESULT comes once it is stored.
    clerk = await plaza.client(token=staff_token)
    second = {"title": {"ko": "분실물"}, "body": {"ko": "안내 데스크로"}}
    result = await clerk.zone_request("notice.post", second)
    assert result.ok and isinstance(result.detail["id"], int)
    await en.wait_for(lambda c: len(latest(c, "notices")["notices"]) == 2, TIMEOUT)
    assert latest(en, "notices")["notices"][0]["title"] == "분실물"  # Korean when untranslated
    bad = await clerk.zone_request(
        "notice.post", {"title": {"en": "no Korean"}, "body": {"ko": "x"}}
    )
    assert not bad.ok and "Korean text (ko) is required" in bad.detail

    listing = (await plaza.get("/api/notices")).json()["notices"]
    assert [n["title"]["ko"] for n in listing] == ["분실물", "새해 타종"]
    removed = await plaza.api("POST", "/api/notices/remove", staff_token, {"id": listing[0]["id"]})
    assert removed.json() == {"removed": True}
    await ko.wait_for(lambda c: len(latest(c, "notices")["notices"]) == 1, TIMEOUT)


async def test_proposals_with_a_daily_limit_and_an_official_answer(plaza: Any) -> None:
    await plaza.place_in("local:minji", "city_hall")
    minji = await plaza.client(token=plaza.mint("minji"))
    assert minji.zone == "city_hall"
    staff_token = plaza.mint("clerk", Role.STAFF)

    ids = []
    for i in range(3):
        result = await minji.zone_request(
            "proposal.submit", {"title": f"벤치 {i}", "body": "광장에 벤치를 더 놓아 주세요."}
        )
        assert result.ok, result.detail
        assert result.detail["state"] == "submitted" and result.detail["author"] == "minji"
        ids.append(result.detail["id"])
    fourth = await minji.zone_request("proposal.submit", {"title": "하나 더", "body": "..."})
    assert not fourth.ok and "at most 3 proposals a day" in fourth.detail
    over_http = await plaza.api(
        "POST", "/api/proposals", plaza.mint("minji"), {"title": "t", "body": "b"}
    )
    assert over_http.status == 400 and "at most 3" in over_http.json()["reason"]

    guest = await plaza.client("손님")
    await guest.wait_for(lambda c: c.welcome, TIMEOUT)
    refused = await plaza.api(
        "POST",
        "/api/proposals/review",
        plaza.mint("minji"),
        {"id": ids[0], "state": "answered", "answer": "네"},
    )
    assert refused.status == 403

    answer = {"id": ids[0], "state": "answered", "answer": "다음 달에 설치합니다."}
    reviewed = await plaza.api("POST", "/api/proposals/review", staff_token, answer)
    assert reviewed.status == 200 and reviewed.json()["state"] == "answered"
    await minji.wait_for(
        lambda c: any(
            p["answer"] == "다음 달에 설치합니다." for p in latest(c, "proposals")["proposals"]
        ),
        TIMEOUT,
    )
    one = (await plaza.get(f"/api/proposals?id={ids[0]}")).json()
    assert one["answer"] == "다음 달에 설치합니다." and one["state"] == "answered"
    answered = (await plaza.get("/api/proposals?state=answered")).json()["proposals"]
    assert [p["id"] for p in answered] == [ids[0]]
    no_answer = await plaza.api(
        "POST", "/api/proposals/review", staff_token, {"id": ids[1], "state": "rejected"}
    )
    assert no_answer.status == 400 and "answer" in no_answer.json()["reason"]


async def test_polls_count_one_vote_per_citizen_and_push_tallies(plaza: Any) -> None:
    for name in ("minji", "jun"):
        await plaza.place_in(f"local:{name}", "city_hall")
    minji = await plaza.client(token=plaza.mint("minji"))
    jun = await plaza.client(token=plaza.mint("jun"))
    staff_token = plaza.mint("clerk", Role.STAFF)

    citizen_poll = await plaza.api(
        "POST",
        "/api/polls",
        plaza.mint("minji"),
        {"question": {"ko": "?"}, "options": [{"ko": "a"}, {"ko": "b"}]},
    )
    assert citizen_poll.status == 403
    poll = {
        "question": {"ko": "축제는 언제?", "en": "When should the festival be?"},
        "options": [{"ko": "5월", "en": "May"}, {"ko": "10월", "en": "October"}],
    }
    created = await plaza.api("POST", "/api/polls", staff_token, poll)
    assert created.status == 201, created.text
    poll_id = created.json()["id"]
    await jun.wait_for(lambda c: latest(c, "polls") and latest(c, "polls")["polls"], TIMEOUT)

    first = await minji.zone_request("poll.vote", {"poll": poll_id, "option": 1})
    assert first.ok and first.detail == {"poll": poll_id, "option": 1}
    # Voting twice counts once, even when both votes race.
    again = await asyncio.gather(
        minji.zone_request("poll.vote", {"poll": poll_id, "option": 0}),
        plaza.api("POST", "/api/polls/vote", plaza.mint("minji"), {"poll": poll_id, "option": 0}),
    )
    assert not again[0].ok and again[0].detail == "you have already voted in this poll"
    assert again[1].status == 400
    second = await plaza.api(
        "POST", "/api/polls/vote", plaza.mint("jun"), {"poll": poll_id, "option": 1}
    )
    assert second.status == 201
    bad = await jun.zone_request("poll.vote", {"poll": poll_id, "option": 9})
    assert not bad.ok and "no such option" in bad.detail

    await jun.wait_for(lambda c: latest(c, "polls")["polls"][0]["tally"] == [0, 2], TIMEOUT)
    listing = (await plaza.get("/api/polls")).json()["polls"]
    assert listing[0]["tally"] == [0, 2] and listing[0]["votes"] == 2

    closed = await plaza.api("POST", "/api/polls/close", staff_token, {"id": poll_id})
    assert closed.json() == {"closed": True}
    late = await plaza.api(
        "POST", "/api/polls/vote", plaza.mint("late"), {"poll": poll_id, "option": 0}
    )
    assert late.status == 400 and "closed" in late.json()["reason"]
    await jun.wait_for(lambda c: latest(c, "polls")["polls"] == [], TIMEOUT)
