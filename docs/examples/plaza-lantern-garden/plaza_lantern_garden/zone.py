"""The Lantern Garden: citizens hang a wish lantern, once each; everyone sees the lanterns.

It shows the whole authoring API in a few lines: a layout shipped next to the module,
records kept for the zone and per user, a refusal with a reason, a reply, a broadcast, a
join attempt that can say no, and a timer.
"""

from __future__ import annotations

from typing import Any

from world.zone_api import AvatarView, Zone, ZoneContext, ZoneMessage

MAX_WISH_CHARS = 80
KEPT_LANTERNS = 200
SHOWN_ON_JOIN = 50


class LanternGarden(Zone):
    """A garden of wish lanterns."""

    capacity = 100
    layout_resource = "lantern_garden.json"

    def on_create(self, ctx: ZoneContext) -> None:
        # The lanterns glow a little brighter every minute; clients animate the "glow" event.
        self.glow = 0
        ctx.every(60.0, lambda: self._brighten(ctx))

    def on_join_attempt(self, ctx: ZoneContext, avatar: AvatarView) -> str | None:
        if avatar.role == "guest" and ctx.count() >= self.capacity // 2:
            return "the garden is busy; guests may enter when it is quieter"
        return None

    def on_join(self, ctx: ZoneContext, avatar: AvatarView) -> None:
        lanterns = _lanterns(ctx)
        ctx.send(avatar.id, "lanterns", {"lanterns": lanterns[-SHOWN_ON_JOIN:]})

    def on_message(self, ctx: ZoneContext, message: ZoneMessage) -> None:
        if message.type != "lantern.hang":
            super().on_message(ctx, message)
            return
        avatar = ctx.avatar(message.avatar_id)
        if avatar is None:
            return
        wish = message.data.get("wish")
        if not isinstance(wish, str) or not 1 <= len(wish.strip()) <= MAX_WISH_CHARS:
            ctx.refuse(message, f"a wish is 1 to {MAX_WISH_CHARS} characters")
            return
        if avatar.records().get("hung"):
            ctx.refuse(message, "you have already hung a lantern")
            return
        lantern = {"by": avatar.name, "wish": wish.strip(), "at": ctx.now}
        lanterns = [*_lanterns(ctx), lantern][-KEPT_LANTERNS:]
        ctx.save("lanterns", lanterns)
        ctx.save_for(avatar.id, "hung", True)
        ctx.broadcast("lantern.hung", lantern)
        ctx.reply(message, {"count": len(lanterns)})

    def _brighten(self, ctx: ZoneContext) -> None:
        self.glow += 1
        ctx.broadcast("glow", {"level": self.glow})


def _lanterns(ctx: ZoneContext) -> list[dict[str, Any]]:
    stored = ctx.records.get("lanterns", [])
    return list(stored) if isinstance(stored, list) else []
