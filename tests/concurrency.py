"""Running calls in threads released together, for the PostgreSQL row-lock tests."""

import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Outcome:
    """What one thread's call did: returned `result`, or raised `exception`."""

    result: object = None
    exception: BaseException | None = None


class Outcomes(list):
    """One Outcome per call, in the order of the calls; `seconds` is how long the whole run took.

    Exceptions of the `refusals` types given to run_concurrently (a rule saying no) are kept apart from
    `errors` (anything else: a bug).
    """

    refusal_types: tuple = ()
    seconds: float = 0.0

    @property
    def results(self):
        return [o.result for o in self if o.exception is None]

    @property
    def refusals(self):
        return [o.exception for o in self if o.exception is not None and isinstance(o.exception, self.refusal_types)]

    @property
    def errors(self):
        return [o.exception for o in self if o.exception is not None and not isinstance(o.exception, self.refusal_types)]


def run_concurrently(calls, *, refusals=(), execute_wrapper=None, timeout=60):
    """Run each call in its own thread, all released together by a barrier. Each thread closes its connection.

    `execute_wrapper`, if given, wraps every query the calls make (see connection.execute_wrapper).
    Fails if a thread hangs.
    """
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            connection.ensure_connection()  # connect first, so the barrier releases threads that are ready to query
            barrier.wait(timeout=timeout)
            with connection.execute_wrapper(execute_wrapper) if execute_wrapper else nullcontext():
                outcomes[index] = Outcome(result=call())
        except BaseException as exc:
            outcomes[index] = Outcome(exception=exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=2 * timeout)
    seconds = time.perf_counter() - started
    assert not any(worker.is_alive() for worker in workers), "a thread hung"
    done = Outcomes(outcomes)
    done.refusal_types = refusals if isinstance(refusals, tuple) else (refusals,)
    done.seconds = seconds
    return done


def run_in_threads(fn, threads, **kwargs):
    """fn in `threads` threads at once; none may raise. Returns their results."""
    outcomes = run_concurrently([fn] * threads, **kwargs)
    assert outcomes.errors == []
    return outcomes.results


def slow_down(monkeypatch, owner, name, seconds):
    """Make `owner.name` pause `seconds` before doing its work: widens the window a missing lock would let through."""
    real = getattr(owner, name)

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, slow)


def without_select_for_update(monkeypatch, model):
    """`model.objects.select_for_update()` as a plain read: the code under test as it would be without its row locks."""
    monkeypatch.setattr(model.objects, "select_for_update", lambda *args, **kwargs: model.objects.all())
