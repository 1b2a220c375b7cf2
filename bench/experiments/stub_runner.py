"""What-if for bench_updates.py --experiment: the runner answers "ok" without the engine or the
database, to measure aiogram + the assistant's routers + sending alone."""


def install() -> None:
    import bot.runner
    from dialogs.model import Reply

    async def handle(self, who, inp):
        return [Reply(text="ok")]

    bot.runner.Runner.handle = handle
