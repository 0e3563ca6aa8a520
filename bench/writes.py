"""Writes over HTTP by many logged-in people at once: races for scarce things, and writes that share nothing.

Every person has a session made server-side (bench/fixtures.py); each request carries its `sessionid` cookie
and a `csrftoken` cookie holding a random 32-character secret, sent again as `csrfmiddlewaretoken` (Django accepts
an unmasked secret). Only the standard library speaks HTTP here: one http.client connection per client thread,
kept alive where the server allows it (gunicorn's sync workers close it after each response; http.client then
reconnects).

What a scenario measures: attempts/s (attempts answered ÷ the time from releasing all client threads together to
the last answer), and each answer's latency. Whether the outcome is right is judged from the database afterwards
(bench/fixtures.verify) together with what the answers said. Every loop is bounded in time and in count.
"""

import http.client
import queue
import re
import secrets
import statistics
import string
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urlencode, urlsplit

from bench import cpu

ALPHANUMERIC = string.ascii_letters + string.digits


@dataclass
class Answer:
    """One attempt: the HTTP status and redirect target, or the connection error; how long it took; its verdict."""

    status: int | None
    location: str = ""
    seconds: float = 0.0
    error: str = ""
    verdict: str = ""  # won / lost / ok / error
    message: str = ""


@dataclass
class Scenario:
    """A named batch of attempts and the figures they produced."""

    name: str
    attempts: int
    clients: int
    seconds: float = 0.0
    answers: list = field(default_factory=list)
    cpu_ms: dict | None = None  # CPU ms per answered attempt, by process group (bench/cpu.py)

    def count(self, verdict):
        return sum(1 for a in self.answers if a is not None and a.verdict == verdict)

    @property
    def answered(self):
        return sum(1 for a in self.answers if a is not None and a.status is not None)

    @property
    def errors(self):
        return sum(1 for a in self.answers if a is None or a.verdict == "error")

    @property
    def server_errors(self):
        return sum(1 for a in self.answers if a is not None and a.status is not None and a.status >= 500)

    @property
    def connection_errors(self):
        return sum(1 for a in self.answers if a is not None and a.status is None)

    @property
    def per_second(self):
        return self.answered / self.seconds if self.seconds else 0.0

    def latency_ms(self, q):
        values = sorted(a.seconds * 1000 for a in self.answers if a is not None and a.status is not None)
        if not values:
            return float("nan")
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1]

    def as_dict(self):
        problems = Counter(
            f"{a.status or a.error} {a.location}".strip() for a in self.answers if a is not None and a.verdict == "error"
        )
        problems["not attempted before the deadline"] = sum(1 for a in self.answers if a is None)
        return {
            "attempts": self.attempts,
            "clients": self.clients,
            "answered": self.answered,
            "seconds": round(self.seconds, 3),
            "attempts_per_s": round(self.per_second, 1),
            "p50_ms": round(self.latency_ms(50), 1),
            "p99_ms": round(self.latency_ms(99), 1),
            "won": self.count("won"),
            "lost": self.count("lost"),
            "ok": self.count("ok"),
            "errors": self.errors,
            "server_errors": self.server_errors,
            "connection_errors": self.connection_errors,
            "problems": {k: v for k, v in problems.items() if v},
            "refusal_messages": dict(Counter(a.message for a in self.answers if a is not None and a.message)),
            "cpu_ms_per_attempt": self.cpu_ms,
        }


class Person:
    """A logged-in visitor: the session cookie made server-side and a CSRF secret of its own."""

    def __init__(self, user_id, sessionid, cookie_names):
        self.user_id = user_id
        self.csrf = "".join(secrets.choice(ALPHANUMERIC) for _ in range(32))
        session_cookie, csrf_cookie, language_cookie = cookie_names
        # English, so refusal messages read the same in the report whatever the portal's default language.
        self.cookie = f"{session_cookie}={sessionid}; {csrf_cookie}={self.csrf}; {language_cookie}=en"


class Poster:
    """One client thread's connection to the server."""

    def __init__(self, port, timeout_s):
        self.port = port
        self.timeout_s = timeout_s
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)

    def post(self, path, fields, person):
        body = urlencode({**fields, "csrfmiddlewaretoken": person.csrf})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": person.cookie}
        started = time.perf_counter()
        try:
            self.conn.request("POST", path, body=body, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout_s)
            return Answer(status=None, seconds=time.perf_counter() - started, error=type(exc).__name__), b""
        location = urlsplit(response.getheader("Location", "")).path
        return Answer(status=response.status, location=location, seconds=time.perf_counter() - started), content

    def close(self):
        self.conn.close()


def _form_errors(content):
    """The error messages a re-shown form carries (Django's errorlist), as one line."""
    text = content.decode("utf-8", "replace")
    items = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', text, re.S)
    words = " ".join(re.sub(r"<[^>]+>", " ", item) for item in items)
    return " ".join(unescape(words).split())[:160] or "(a form page without an error list)"


def run(name, jobs, *, port, clients, judge, deadline_s, timeout_s=30, lanes=False, cpu_probe=None):
    """Run `jobs` ((path, fields, person) each) from `clients` threads released together; `judge` gives each answer its verdict.

    With `lanes`, thread i takes only jobs[i::clients] (so threads never share a row); otherwise all take from one queue.
    `cpu_probe()`, when given, reads the CPU seconds used so far by process group (bench/cpu.py), before and after.
    No job starts after `deadline_s`; a thread that still hangs is given up after the HTTP timeout.
    """
    scenario = Scenario(name=name, attempts=len(jobs), clients=clients)
    answers = [None] * len(jobs)
    if lanes:
        queues = [queue.SimpleQueue() for _ in range(clients)]
        for index, job in enumerate(jobs):
            queues[index % clients].put((index, job))
    else:
        shared = queue.SimpleQueue()
        for index, job in enumerate(jobs):
            shared.put((index, job))
        queues = [shared] * clients
    barrier = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(jobs_queue):
        poster = Poster(port, timeout_s)
        try:
            barrier.wait(timeout=60)
            while time.monotonic() < stop_at[0]:
                try:
                    index, (path, fields, person) = jobs_queue.get_nowait()
                except queue.Empty:
                    break
                answer, content = poster.post(path, fields, person)
                answer.verdict = "error" if answer.status is None else judge(answer)
                if answer.verdict in ("lost", "error") and answer.status == 200:
                    answer.message = _form_errors(content)
                answers[index] = answer
        finally:
            poster.close()

    threads = [threading.Thread(target=client, args=(queues[i],), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + deadline_s
    cpu_before = cpu_probe() if cpu_probe else None
    barrier.wait(timeout=60)
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=max(0.0, stop_at[0] - time.monotonic()) + timeout_s + 5)
    scenario.seconds = time.perf_counter() - started
    scenario.answers = answers
    if cpu_probe:
        scenario.cpu_ms = cpu.per_attempt_ms(cpu_before, cpu_probe(), scenario.answered)
    return scenario


# ---------------------------------------------------------------------------
# The scenarios


def _redirect_to(answer, prefix):
    return answer.status == 302 and answer.location.startswith(prefix)


def booking_jobs(event_ids, people):
    """One booking per person; person i books event_ids[i % len(event_ids)]."""
    return [(f"/events/{event_ids[i % len(event_ids)]}/book/", {"seats": "1"}, person) for i, person in enumerate(people)]


def judge_booking(answer):
    """Booked or put on the waiting list, the view redirects to the event page; the database tells which."""
    return "ok" if answer.status == 302 and re.fullmatch(r"/events/\d+/", answer.location) else "error"


def lunch_jobs(offer_ids, point_id, people):
    """One order per person; person i orders offer_ids[i % len(offer_ids)]."""
    return [
        (f"/lunch/offers/{offer_ids[i % len(offer_ids)]}/order/",
         {"point": str(point_id), "quantity": "1", "payment": "balance", "key": str(uuid.uuid4())}, person)
        for i, person in enumerate(people)
    ]


def judge_lunch(answer):
    """Placed: a redirect to the order's page. Sold out: a redirect back to the day's meals (with a message);
    refused for another reason: the form again, with its error."""
    if _redirect_to(answer, "/me/lunch/orders/"):
        return "won"
    if answer.status == 302 and answer.location == "/lunch/":
        answer.message = "sold out: sent back to the day's meals"
        return "lost"
    return "lost" if answer.status == 200 else "error"


def wish_jobs(wish_id, people):
    return [(f"/wishes/{wish_id}/claim/", {"on_behalf": "self"}, person) for person in people]


def judge_claim(wish_id):
    def judge(answer):
        """Claimed: a redirect to My wishes. Someone was faster: a redirect back to the wish's page with a message."""
        if _redirect_to(answer, "/me/wishes/"):
            return "won"
        return "lost" if answer.status == 302 and answer.location == f"/wishes/{wish_id}/" else "error"

    return judge


WARMUP_PEOPLE = 16  # warm-up attempts per kind of write: several for each of the servers' workers
WARMUP_CLIENTS = 8


def warm_up(spec, people, *, port, deadline_s, timeout_s=30):
    """A booking, a lunch order and a wish claim (won and lost) by each warm-up person, unmeasured, before the scenarios.

    The read pages are measured after a warm-up; so are the writes: a worker's first write pays for what is made
    once per process (the task queue's connection, the session cache's, lazily imported code and translations), and
    counting that would measure the server's start, not its writes. Raises when any warm-up write failed.
    """
    warmup = spec["warmup"]
    common = {"port": port, "deadline_s": deadline_s, "timeout_s": timeout_s, "clients": WARMUP_CLIENTS}
    wish_ids = warmup["wish_ids"]
    runs = [
        run("warm-up bookings", booking_jobs([warmup["event_id"]], people), judge=judge_booking, **common),
        run("warm-up lunch orders", lunch_jobs([warmup["offer_id"]], warmup["point_id"], people), judge=judge_lunch, **common),
        run("warm-up claims", [(f"/wishes/{wish_ids[i % len(wish_ids)]}/claim/", {"on_behalf": "self"}, person) for i, person in enumerate(people)],
            judge=lambda answer: "ok" if answer.status == 302 else "error", **common),
    ]
    failed = {scenario.name: scenario.errors for scenario in runs if scenario.errors or scenario.answered < scenario.attempts}
    if failed:
        raise RuntimeError(f"warm-up writes failed (errors by kind: {failed}); see the portal's log")


def run_all(spec, *, port, sizes, deadline_s, timeout_s=30, cpu_probe=None):
    """The five write scenarios in turn, each on its own fixtures from `spec` (bench/fixtures.setup's answer), after a
    warm-up by the people who take part in none of them (the last `spec["warmup"]["people"]`)."""
    names = spec["cookie_names"]
    people = [Person(p["id"], p["sessionid"], names) for p in spec["people"]]
    if spec["warmup"]["people"]:
        warm_up(spec, people[-spec["warmup"]["people"]:], port=port, deadline_s=deadline_s, timeout_s=timeout_s)
    race, quiet = sizes["race_attempts"], sizes["uncontended"]
    common = {"port": port, "deadline_s": deadline_s, "timeout_s": timeout_s, "cpu_probe": cpu_probe}
    out = {}
    out["booking_race"] = run("booking_race", booking_jobs([spec["booking_race"]["event_id"]], people[:race]),
                              clients=sizes["race_clients"], judge=judge_booking, **common)
    out["lunch_race"] = run("lunch_race", lunch_jobs([spec["lunch_race"]["offer_id"]], spec["lunch_race"]["point_id"], people[:race]),
                            clients=sizes["race_clients"], judge=judge_lunch, **common)
    wish_id = spec["wish_race"]["wish_id"]
    out["wish_race"] = run("wish_race", wish_jobs(wish_id, people[:sizes["wish_claimers"]]),
                           clients=min(sizes["race_clients"], sizes["wish_claimers"]), judge=judge_claim(wish_id), **common)
    event_ids = spec["booking_quiet"]["event_ids"]
    out["booking_quiet"] = run("booking_quiet", booking_jobs(event_ids, people[:quiet]),
                               clients=len(event_ids), judge=judge_booking, lanes=True, **common)
    offer_ids = spec["lunch_quiet"]["offer_ids"]
    out["lunch_quiet"] = run("lunch_quiet", lunch_jobs(offer_ids, spec["lunch_quiet"]["point_id"], people[:quiet]),
                             clients=len(offer_ids), judge=judge_lunch, lanes=True, **common)
    return out


def outcome(name, scenario, db):
    """What happened, in words: from the database for bookings (the answer is the same redirect either way), else the answers."""
    if name.startswith("booking"):
        by_status = db[name]["by_status"]
        parts = [f"{by_status.get('confirmed', 0)} confirmed"]
        if name == "booking_race":
            parts.append(f"{by_status.get('waitlisted', 0)} waitlisted")
        return ", ".join(parts)
    won, lost = scenario.count("won"), scenario.count("lost")
    if name == "wish_race":
        return f"{won} claimed, {lost} told it was taken"
    return f"{won} placed" + (f", {lost} refused" if lost or name == "lunch_race" else "")


def checks(results, db, sizes):
    """Each scenario's correctness checks: (description, passed) pairs, from the answers and the database."""
    race, seats, portions = sizes["race_attempts"], sizes["race_seats"], sizes["lunch_portions"]
    quiet, claimers = sizes["uncontended"], sizes["wish_claimers"]
    b, lr, w = db["booking_race"], db["lunch_race"], db["wish_race"]
    confirmed = b["by_status"].get("confirmed", 0)
    waitlisted = b["by_status"].get("waitlisted", 0)
    quiet_confirmed = db["booking_quiet"]["by_status"].get("confirmed", 0)

    def clean(name):
        s = results[name]
        return (f"all {s.attempts} attempts answered, no 5xx or connection error",
                s.answered == s.attempts and s.errors == 0)

    return {
        "booking_race": [
            clean("booking_race"),
            (f"exactly {seats} bookings confirmed ({confirmed})", confirmed == seats),
            (f"event's seat counter is {seats} ({b['confirmed_seats']})", b["confirmed_seats"] == seats),
            (f"the other {race - seats} on the waiting list ({waitlisted})", waitlisted == race - seats),
        ],
        "lunch_race": [
            clean("lunch_race"),
            (f"exactly {portions} orders placed ({lr['orders']})", lr["orders"] == portions),
            (f"offer's sold counter is {portions} ({lr['sold']})", lr["sold"] == portions == lr["meals"]),
            (f"{portions} answers said placed ({results['lunch_race'].count('won')})", results["lunch_race"].count("won") == portions),
            ("every balance equals its ledger, none negative", db["accounts"]["ledger_mismatches"] == 0 and db["accounts"]["negative"] == 0),
        ],
        "wish_race": [
            clean("wish_race"),
            (f"exactly 1 live claim ({w['live_claims']}) among {claimers} claimers", w["live_claims"] == 1 == w["claims"]),
            (f"wish is claimed ({w['status']})", w["status"] == "claimed"),
            (f"1 answer said claimed ({results['wish_race'].count('won')})", results["wish_race"].count("won") == 1),
        ],
        "booking_quiet": [
            clean("booking_quiet"),
            (f"all {quiet} bookings confirmed ({quiet_confirmed})", quiet_confirmed == quiet),
        ],
        "lunch_quiet": [
            clean("lunch_quiet"),
            (f"all {quiet} orders placed ({db['lunch_quiet']['orders']})",
             db["lunch_quiet"]["orders"] == quiet == results["lunch_quiet"].count("won")),
        ],
    }
