"""Seoul Plaza's notice board and City Hall's proposals and polls, through a fake context."""

from __future__ import annotations

import json
import pathlib

from world.locale_text import TextError, check_texts, pick
from world.zone_api import ServerEvent
from world.zone_layout import ZoneLayout
from world.zone_testing import FakeContext
from world.zones.city_hall import CityHall
from world.zones.seoul_plaza import SeoulPlaza

ASSETS = pathlib.Path(__file__).resolve().parents[2] / "assets" / "zones"
NOTICE = {
    "id": 7,
    "title": {"ko": "안내", "en": "Notice", "ja": "お知らせ"},
    "body": {"ko": "광장 공사", "en": "Works on the plaza"},
    "posted_by": "local:staff",
    "posted_at": 1.0,
    "expires_at": None,
}
POLL = {
    "id": 3,
    "question": {"ko": "축제 날짜는?", "en": "Festival date?"},
    "options": [{"ko": "5월", "en": "May"}, {"ko": "10월", "en": "October"}],
    "tally": [2, 1],
    "votes": 3,
    "closes_at": None,
}


def layout(name: str) -> ZoneLayout:
    return ZoneLayout.from_dict(json.loads((ASSETS / f"{name}.json").read_text(encoding="utf-8")))


def test_texts_are_checked_and_picked_in_the_readers_language() -> None:
    assert check_texts({"ko": " 안녕 ", "en": "Hi"}, "title", 10) == {"ko": "안녕", "en": "Hi"}
    for bad, words in [
        ({"en": "Hi"}, "Korean text (ko) is required"),
        ({"ko": "x" * 11}, "at most 10"),
        ({"ko": "a\x07"}, "control characters"),
        ({"KO!": "a"}, "not a locale tag"),
        ("안녕", "expected an object"),
    ]:
        try:
            check_texts(bad, "title", 10)
        except TextError as exc:
            assert words in str(exc)
        else:
            raise AssertionError(f"accepted {bad!r}")
    texts = {"ko": "안녕", "en": "Hello", "ja": "こんにちは"}
    assert pick(texts, "ja") == ("こんにちは", "ja")
    assert pick(texts, "zh") == ("Hello", "en")
    assert pick({"ko": "안녕"}, "en") == ("안녕", "ko")


def test_the_notice_board_shows_each_reader_their_language() -> None:
    ctx = FakeContext("seoul_plaza", layout("seoul_plaza"))
    zone = SeoulPlaza()
    zone.on_create(ctx)
    ko = ctx.add_avatar(1, "민지", locale="ko")
    ja = ctx.add_avatar(2, "Aoi", locale="ja")
    zh = ctx.add_avatar(3, "Wei", locale="zh")
    for avatar in (ko, ja, zh):
        zone.on_join(ctx, avatar)
    assert [d["notices"] for d in ctx.events("notices")] == [[], [], []]
    ctx.sent.clear()
    zone.on_event(ctx, ServerEvent("notices", {"notices": [NOTICE]}))
    boards = {avatar: data["notices"][0] for avatar, kind, data in ctx.sent}
    assert (boards[1]["title"], boards[1]["body"]) == ("안내", "광장 공사")
    assert (boards[2]["title"], boards[2]["body"], boards[2]["locale"]) == (
        "お知らせ",
        "Works on the plaza",  # no Japanese body: English, then Korean
        "ja",
    )
    assert (boards[3]["title"], boards[3]["locale"]) == ("Notice", "en")


def test_only_staff_post_notices_from_the_plaza() -> None:
    ctx = FakeContext("seoul_plaza", layout("seoul_plaza"))
    zone = SeoulPlaza()
    zone.on_create(ctx)
    ctx.add_avatar(1, "citizen")
    ctx.add_avatar(2, "clerk", role="staff")
    post = {"title": {"ko": "공지"}, "body": {"ko": "내용"}}
    zone.on_message(ctx, ctx.message(1, "notice.post", post, "r1"))
    assert ctx.replies == [("r1", False, "posting a notice needs the staff role")]
    assert ctx.persisted == []
    zone.on_message(ctx, ctx.message(2, "notice.post", post, "r2"))
    kind, data, subject = ctx.persisted[0]
    assert kind == "notice.post" and subject == "user:clerk"
    assert data["title"] == {"ko": "공지"} and data["role"] == "staff" and data["name"] == "clerk"


def test_city_hall_pushes_tallies_and_turns_requests_into_intents() -> None:
    ctx = FakeContext("city_hall", layout("city_hall"))
    zone = CityHall()
    zone.on_create(ctx)
    en = ctx.add_avatar(1, "Jun", locale="en")
    guest = ctx.add_avatar(2, "visitor", role="guest")
    zone.on_join(ctx, en)
    zone.on_event(ctx, ServerEvent("polls", {"polls": [POLL]}))
    pushed = [d for a, k, d in ctx.sent if a == en.id and k == "polls"][-1]["polls"][0]
    assert pushed["question"] == "Festival date?" and pushed["options"] == ["May", "October"]
    assert pushed["tally"] == [2, 1]

    zone.on_message(ctx, ctx.message(2, "poll.vote", {"poll": 3, "option": 0}, "g1"))
    zone.on_message(ctx, ctx.message(2, "proposal.submit", {"title": "t", "body": "b"}, "g2"))
    assert ctx.replies == [
        ("g1", False, "sign in as a citizen to vote"),
        ("g2", False, "sign in as a citizen to submit proposals"),
    ]
    zone.on_message(ctx, ctx.message(1, "poll.vote", {"poll": 3, "option": 1}, "v1"))
    zone.on_message(ctx, ctx.message(1, "proposal.submit", {"title": "벤치", "body": "더"}, "p1"))
    assert [(k, d["role"], s) for k, d, s in ctx.persisted] == [
        ("poll.vote", "citizen", "user:Jun"),
        ("proposal.submit", "citizen", "user:Jun"),
    ]
    answered = {"id": 1, "title": "벤치", "state": "answered", "answer": "설치합니다"}
    zone.on_event(ctx, ServerEvent("proposals", {"proposals": [answered]}))
    assert ctx.events("proposals")[-1] == {"proposals": [answered]}
    assert guest.id in {a.id for a in ctx.avatars()}
