"""Client requests the city handles in the tick: SAY, BLOCK, REPORT and ZONE.

Each refusal is a RESULT with ``ok = false`` and a reason the user can read. Blocks and
reports are also persisted (intents ``block`` and ``report``); their RESULT comes from the
server once the change is committed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from world.chat import HEARING_RADIUS_M
from world.codec import encode_result
from world.codec_social import Block, Report, Say, ZoneRequest
from world.instance import Instance
from world.intents import Persist, Reply
from world.members import Member
from world.zone_api import ZoneMessage

if TYPE_CHECKING:
    from world.city import City

__all__ = ["BLOCK", "REPORT", "handle_request"]

# Intent kinds the server persists for the chat.
BLOCK = "block"
REPORT = "report"


def handle_request(city: City, now: float, avatar_id: int, request: Any) -> None:
    """Carry out one request from the avatar ``avatar_id`` (which is live)."""
    instance = city.where[avatar_id]
    member = instance.members[avatar_id]
    if isinstance(request, ZoneRequest):
        message = ZoneMessage(avatar_id, request.type, request.data, request.request_id)
        instance.call("on_message", message)
    elif isinstance(request, Say):
        _say(city, now, instance, avatar_id, member, request)
    elif isinstance(request, Block):
        _block(city, instance, avatar_id, member, request)
    elif isinstance(request, Report):
        _report(city, instance, avatar_id, member, request)


def _refuse(instance: Instance, avatar_id: int, request_id: str, reason: str) -> None:
    instance.effects.messages.append((avatar_id, encode_result(request_id, False, reason)))


def _say(
    city: City, now: float, instance: Instance, avatar_id: int, member: Member, say: Say
) -> None:
    chat = city.chat
    reason = chat.refusal(now, avatar_id, member, say, instance.zone)
    if reason is not None:
        _refuse(instance, avatar_id, say.request_id, reason)
        return
    table = instance.world.table
    name = table.descriptions[avatar_id].name
    to_subject = ""
    if say.channel == "direct":
        assert say.to is not None
        target = city.member(say.to)
        if target is None:
            _refuse(instance, avatar_id, say.request_id, "that avatar is no longer here")
            return
        if say.to == avatar_id:
            _refuse(instance, avatar_id, say.request_id, "you cannot message yourself")
            return
        hearers: list[tuple[int, Member]] = [(say.to, target)]
        to_subject = target.subject
    elif say.channel == "zone":
        hearers = list(instance.members.items())
    else:
        row = table.row_of(avatar_id)
        n = table.count
        pos = table.position[:n]
        here = table.position[row]
        d2 = (pos[:, 0] - here[0]) ** 2 + (pos[:, 2] - here[2]) ** 2
        ids = table.ids[np.flatnonzero(d2 <= HEARING_RADIUS_M**2)].tolist()
        members = instance.members
        hearers = [(i, members[i]) for i in ids if i in members]
    line = chat.accept(now, instance.zone, avatar_id, member, name, say, to_subject)
    instance.effects.messages.extend(chat.deliver(line, hearers, say.request_id))
    if say.channel == "near":
        # A performer's or interpreter's line on stage reaches the whole festival crowd.
        stage = city.stages.on_stage(instance.zone, avatar_id)
        if stage is not None:
            heard = (hearer for hearer, _ in hearers)
            instance.effects.messages.extend(stage.relay(chat, line, heard))


def _block(city: City, instance: Instance, avatar_id: int, member: Member, block: Block) -> None:
    target = city.member(block.avatar)
    if target is None:
        _refuse(instance, avatar_id, block.request_id, "that avatar is no longer here")
        return
    if target.subject == member.subject:
        _refuse(instance, avatar_id, block.request_id, "you cannot block yourself")
        return
    # In force at once; the database copy follows, and the RESULT waits for it.
    if block.blocked:
        member.blocked.add(target.subject)
    else:
        member.blocked.discard(target.subject)
    instance.effects.intents.append(
        Persist(
            BLOCK,
            instance.zone,
            {"blocked": target.subject, "on": block.blocked, "avatar": block.avatar},
            member.subject,
            Reply(avatar_id, block.request_id),
        )
    )


def _report(city: City, instance: Instance, avatar_id: int, member: Member, report: Report) -> None:
    target_instance = city.where.get(report.avatar)
    target = city.member(report.avatar)
    if target is None or target_instance is None:
        _refuse(instance, avatar_id, report.request_id, "that avatar is no longer here")
        return
    if target.subject == member.subject:
        _refuse(instance, avatar_id, report.request_id, "you cannot report yourself")
        return
    name = target_instance.world.table.descriptions[report.avatar].name
    instance.effects.intents.append(
        Persist(
            REPORT,
            instance.zone,
            {
                "reported": target.subject,
                "reported_name": name,
                "reason": report.reason,
                "instance": instance.instance,
                "context": city.chat.context_for_report(member.subject, target.subject),
            },
            member.subject,
            Reply(avatar_id, report.request_id),
        )
    )
