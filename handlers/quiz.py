"""Short quizzes (/quiz): 5 questions from a topic's bank or mixed, options shuffled per attempt,
immediate feedback, a score with the missed questions at the end. Everything is in the store,
so a quiz interrupted by a restart or by other commands continues where it stopped.
"""

from __future__ import annotations

import random

from bot.content.learning import QUIZ_LENGTH, Question
from bot.context import Context
from bot.model import Event, Option, Reply
from bot.payload import is_number
from bot.router import Router
from bot.store import learning
from bot.store.learning import Attempt

MIX = "mix"
BUTTON_FITS = 32  # characters of a one-button row a small phone shows without cutting
_rng = random.SystemRandom()


def questions_by_id(banks: dict[str, list[Question]]) -> dict[str, Question]:
    """Every question of every bank by its id."""
    return {q.id: q for bank in banks.values() for q in bank}


def draw(banks: dict[str, list[Question]], quiz: str, rng: random.Random = _rng,
         length: int = QUIZ_LENGTH) -> list[tuple[str, list[int]]]:
    """Pick the questions of one attempt and shuffle each one's options.

    Returns (question id, order) pairs: order[k] is the bank index of the k-th option shown,
    so the right answer (bank index 0) stays known whatever the shuffle. A mixed quiz takes
    questions from every topic in turn.
    """
    if quiz == MIX:
        pools = [rng.sample(bank, len(bank)) for bank in banks.values() if bank]
        rng.shuffle(pools)
        chosen: list[Question] = []
        while len(chosen) < length and any(pools):
            for pool in pools:
                if pool and len(chosen) < length:
                    chosen.append(pool.pop())
    else:
        bank = banks.get(quiz, [])
        chosen = rng.sample(bank, min(length, len(bank)))
    drawn = []
    for question in chosen:
        order = list(range(len(question.options)))
        rng.shuffle(order)
        drawn.append((question.id, order))
    return drawn


def quiz_name(ctx: Context, quiz: str) -> str:
    """The quiz's name as leaders see it."""
    if quiz == MIX:
        return ctx.t("quiz.mix_name")
    topic = next((t for t in ctx.content.topics if t.id == quiz), None)
    return topic.label if topic else quiz


async def start(event: Event, ctx: Context) -> list[Reply]:
    """/quiz: continue an unfinished quiz, or choose one."""
    ctx.finish()
    attempt = await learning.open_attempt(ctx.db, ctx.person.id)
    if attempt is not None:
        return [ctx.reply("quiz.resume_offer", [
            ctx.option("quiz.resume_button", f"qz:go:{attempt.id}", number=attempt.position + 1, total=attempt.total),
            ctx.option("quiz.new_button", "qz:pick"),
            ctx.option("core.menu_button", "cmd:menu"),
        ], name=quiz_name(ctx, attempt.quiz), number=attempt.position + 1, total=attempt.total)]
    return [await choose(ctx)]


async def choose(ctx: Context, key: str = "quiz.choose") -> Reply:
    """One button per topic that has a bank, plus the mixed quiz; each with the person's best score."""
    best = await learning.quiz_bests(ctx.db, ctx.person.id)

    def button(label: str, quiz: str) -> Option:
        if quiz in best:
            return ctx.option("quiz.best_button", f"qz:new:{quiz}", label=label, score=best[quiz][0],
                              total=best[quiz][1])
        return Option(label, f"qz:new:{quiz}")

    options = [button(t.label, t.id) for t in ctx.content.topics if ctx.content.quizzes.get(t.id)]
    if len(options) > 1:
        options.append(button(ctx.t("quiz.mix_button"), MIX))
    options.append(ctx.option("core.menu_button", "cmd:menu"))
    return ctx.reply(key, options, length=QUIZ_LENGTH)


async def on_choice(event: Event, ctx: Context) -> list[Reply]:
    """qz:pick, qz:new:<topic|mix>, qz:go:<attempt>."""
    parts = event.value.split(":")
    action = parts[1] if len(parts) > 1 else ""
    if action == "pick":
        return [await choose(ctx)]
    if action == "new" and len(parts) == 3:
        quiz = parts[2]
        known = quiz == MIX or bool(ctx.content.quizzes.get(quiz))
        drawn = draw(ctx.content.quizzes, quiz) if known else []
        if not drawn:
            return [await choose(ctx, "quiz.gone")]
        attempt = await learning.start_attempt(ctx.db, ctx.person.id, quiz, drawn, ctx.now_iso())
        intro = ctx.t("quiz.started", name=quiz_name(ctx, quiz), total=attempt.total)
        return _joined(intro, await question(ctx, attempt))
    if action == "go" and len(parts) == 3 and is_number(parts[2]):
        resumed = await learning.get_attempt(ctx.db, int(parts[2]))
        if resumed is not None and resumed.person_id == ctx.person.id and resumed.status == "open":
            return await question(ctx, resumed)
    return await stale(ctx, "quiz.old_attempt")


async def question(ctx: Context, attempt: Attempt) -> list[Reply]:
    """The attempt's current question with its options in this attempt's order."""
    qid, order = attempt.questions[attempt.position]
    found = questions_by_id(ctx.content.quizzes).get(qid)
    if found is None or max(order) >= len(found.options):
        await learning.abandon(ctx.db, attempt.id)  # the bank changed under it: it cannot go on
        return [Reply(ctx.t("quiz.changed")), await choose(ctx)]
    shown = [found.options[index] for index in order]
    options = [Option(text, f"qa:{attempt.id}:{attempt.position}:{k}") for k, text in enumerate(shown)]
    options.append(ctx.option("quiz.pause_button", "cmd:menu"))
    reply = ctx.reply("quiz.question", options, number=attempt.position + 1, total=attempt.total,
                      question=found.text)
    # Telegram cuts long button labels on a phone; the text then carries every option whole.
    # Zalo and the console already print options as a numbered list.
    if ctx.identity.channel == "tg" and max(len(text) for text in shown) > BUTTON_FITS:
        reply.text += "\n\n" + "\n".join(ctx.t("quiz.option_line", number=k, option=text)
                                          for k, text in enumerate(shown, start=1))
    return [reply]


async def stale(ctx: Context, key: str) -> list[Reply]:
    """A polite word about an old button, then the quiz the person has open (or the quiz list)."""
    attempt = await learning.open_attempt(ctx.db, ctx.person.id)
    if attempt is not None:
        return [ctx.reply(key), *await question(ctx, attempt)]
    return [ctx.reply(key), await choose(ctx)]


async def answer(event: Event, ctx: Context) -> list[Reply]:
    """qa:<attempt>:<position>:<option shown>: check, store once, give feedback, go on."""
    parts = event.value.split(":")
    if len(parts) != 4 or not all(is_number(p) for p in parts[1:]):
        return await stale(ctx, "quiz.old_attempt")
    attempt_id, position, shown = (int(p) for p in parts[1:])
    attempt = await learning.get_attempt(ctx.db, attempt_id)
    if attempt is None or attempt.person_id != ctx.person.id or attempt.status == "abandoned":
        return await stale(ctx, "quiz.old_attempt")
    if attempt.done:
        return [ctx.reply("quiz.already_finished", [
            ctx.option("quiz.retake_button", f"qz:new:{attempt.quiz}"),
            ctx.option("core.menu_button", "cmd:menu"),
        ], score=attempt.score, total=attempt.total)]
    if position < attempt.position:
        return [ctx.reply("quiz.already_answered"), *await question(ctx, attempt)]
    qid, order = attempt.questions[min(position, attempt.total - 1)]
    found = questions_by_id(ctx.content.quizzes).get(qid)
    if found is None or max(order) >= len(found.options):
        await learning.abandon(ctx.db, attempt.id)
        return [Reply(ctx.t("quiz.changed")), await choose(ctx)]
    if position > attempt.position or shown >= len(order):
        return await stale(ctx, "quiz.old_attempt")
    chosen = order[shown]
    correct = chosen == 0
    updated = await learning.record_answer(ctx.db, attempt, position, chosen, correct, ctx.now_iso())
    if updated is None:  # answered meanwhile (a double press): counted once
        current = await learning.get_attempt(ctx.db, attempt.id)
        if current is None or current.done:
            return [ctx.reply("quiz.already_answered")]
        return [ctx.reply("quiz.already_answered"), *await question(ctx, current)]
    key = "quiz.right" if correct else "quiz.wrong"
    feedback = ctx.t(key, right=found.right, explanation=found.explanation)
    if not updated.done:
        return _joined(feedback, await question(ctx, updated))
    return _joined(feedback, await finish(ctx, updated))


def _joined(text: str, replies: list[Reply]) -> list[Reply]:
    """`text` on top of the first reply: one message per press, not two, on a phone."""
    first, *rest = replies
    return [Reply(f"{text}\n\n{first.text}", first.options, first.columns), *rest]


async def finish(ctx: Context, attempt: Attempt) -> list[Reply]:
    """The score, a kind word, the questions missed with their explanations, and what to do next."""
    mark = ctx.config.pass_mark
    scaled_pass = attempt.score * QUIZ_LENGTH >= mark * attempt.total
    kind = ("quiz.kind_perfect" if attempt.score == attempt.total
            else "quiz.kind_pass" if scaled_pass else "quiz.kind_try")
    lines = [ctx.t("quiz.score", score=attempt.score, total=attempt.total), ctx.t(kind)]
    by_id = questions_by_id(ctx.content.quizzes)
    missed = [by_id[qid] for _, qid, _, correct in await learning.answers_of(ctx.db, attempt.id)
              if not correct and qid in by_id]
    if missed:
        lines.append(ctx.t("quiz.missed_title"))
        lines += [ctx.t("quiz.missed_item", question=q.text, right=q.right, explanation=q.explanation)
                  for q in missed]
    options = [ctx.option("quiz.retake_button", f"qz:new:{attempt.quiz}")]
    if attempt.quiz == MIX:
        options.append(ctx.option("quiz.topics_button", "cmd:topics"))
    else:
        options.append(ctx.option("quiz.reread_button", f"tp:{attempt.quiz}"))
    if await learning.finished_count(ctx.db, ctx.person.id) == 1:
        options.append(ctx.option("quiz.aspiration_button", "cmd:aspiration"))
    options.append(ctx.option("core.menu_button", "cmd:menu"))
    return [Reply("\n\n".join(lines), options)]


def register(router: Router) -> None:
    """Register /quiz, its menu button, and the quiz buttons (checked against the store)."""
    router.command("quiz", start, aliases=("kiem tra", "bai kiem tra", "trac nghiem"), describe="quiz.cmd_desc")
    router.menu("quiz.menu_label", "quiz", order=30)
    # Both live on in older messages (end of a topic, old questions); the handlers check them.
    router.choice("qz", on_choice, durable=True)
    router.choice("qa", answer, durable=True)
