"""What-if for bench_updates.py --experiment: the runner keeps each applicant's draft in memory and
stores nothing, but runs everything else a turn runs in this process: the draft's JSON read back into a
Session, the engine, the JSON written out, and the update counted as recorded (as the real runner's
transaction records it). Measures aiogram + the routers + the engine + rendering + sending: the
in-process cost that is not storage. Intents that need the database (submit, status...) add no reply."""


def install() -> None:
    import bot.runner
    from dialogs.model import Checked, Session

    drafts: dict[str, tuple[str, dict]] = {}

    async def handle(self, who, inp):
        if inp.kind == "upload" and inp.files:
            files = []
            for up in inp.files:
                checked = await self.intake.check(up)
                files.append(up.model_copy(update={"checked": checked, "data": None, "path": None}))
            inp = inp.model_copy(update={"files": files})
        state, data = drafts.get(who.external_id, ("idle", {}))
        session = Session(state=state, **{k: v for k, v in data.items() if k in ("answers", "materials", "meta")})
        outcome = self.engine.handle(session, inp)
        s = outcome.session
        drafts[who.external_id] = (s.state, s.model_dump(mode="json", exclude={"state"}))
        who.kept = True
        return list(outcome.replies)

    assert Checked  # the intake's verdicts are Checked values
    bot.runner.Runner.handle = handle
