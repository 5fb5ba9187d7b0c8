"""Single revisions applied and reverted one command at a time, through the tree's env.py.

verify walks a history one step at a time (up, snapshot, down, compare, up, compare) and each
step must behave as its own ``alembic upgrade`` / ``alembic downgrade`` would, on the path
``upgrade`` takes: the tree's env.py with its ``configure()`` options, its engine and URL, the
session settings carried in that URL, statement batching. ``RevisionSteps`` runs env.py once for
its database (``MigrationTree.session``) in a worker thread; each call (``upgrade``,
``downgrade``, ``upgrade_through``) is handed to it and runs as one more alembic command there: a
new MigrationContext (its own impl, so no memo of enum types created earlier), a new ``op``
proxy, the revision's file imported anew. What is kept between steps: env.py's connection (as
one ``alembic upgrade`` keeps it across revisions; reconnecting and running env.py again at
every step cost 10-15 ms a step, more than the step itself), and the heads the previous step
wrote, which the next command starts from instead of reading the version table again.

The worker runs while the caller waits: never two things at once on the connection. An error in
a step is raised in the caller (the step rolled back, as alembic rolls it back); an error of
env.py itself (it cannot connect, it declares another version table) is raised in the caller
for this call and every later one.

Each call handed over costs two thread switches, each a wake-up the scheduler may delay on a
busy machine. ``run(job)`` hands over a whole piece of work instead: ``job`` runs on env.py's
thread, and the steps it asks for run there at once, as the same commands.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from manage_db.errors import TreeError
from manage_db.runtime.adapter import MigrationTree
from manage_db.runtime.listeners import DOWNGRADE, STAMP, UPGRADE

# (revision, "upgrade" | "downgrade" | "stamp"), in order.
Moves = Sequence[tuple[str, str]]
# What the worker is handed: the moves of one command, or a job (``RevisionSteps.run``).
Request = Moves | Callable[[], Any]
T = TypeVar("T")
# How long closing waits for env.py to end its session: idle, it ends at once; interrupted in a
# step (Ctrl-C), the caller drops the database under it rather than wait for the step.
CLOSE_WAIT = 10.0
INTERRUPTED_CLOSE_WAIT = 0.5


class RevisionSteps:
    """Upgrade or downgrade single revisions of ``tree`` (bound to one database), each as an
    alembic command of its own, in one env.py session."""

    def __init__(self, tree: MigrationTree) -> None:
        self._tree = tree
        self._requests: queue.Queue[Request | None] = queue.Queue()
        self._answers: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._ended: BaseException | None = None
        self._served = False
        self._busy = False
        # Set by close(): the session's job stops at its next step.
        self._stop = threading.Event()
        # On env.py's thread while a job runs: ``inline``, the function running one command
        # there, and ``stop``, its session's event (a thread of an earlier session keeps its own).
        self._local = threading.local()

    def __enter__(self) -> RevisionSteps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def upgrade(self, revision: str) -> None:
        """Apply ``revision`` (its parents applied), as ``alembic upgrade`` would."""
        self._command([(revision, UPGRADE)])

    def downgrade(self, revision: str) -> None:
        """Revert ``revision`` (the database at it), as ``alembic downgrade`` would."""
        self._command([(revision, DOWNGRADE)])

    def stamp(self, revision: str) -> None:
        """Record ``revision`` as applied over its parents without running it."""
        self._command([(revision, STAMP)])

    def upgrade_through(self, revisions: Sequence[str]) -> None:
        """Apply ``revisions`` in order, one transaction each, in one command."""
        if revisions:
            self._command([(revision, UPGRADE) for revision in revisions])

    def run(self, job: Callable[[], T]) -> T:
        """``job()`` run on env.py's thread, its result returned (its error raised) here; the
        calls of this object it makes run there directly, each the same alembic command. The
        job must not close this object; nothing else may use it meanwhile."""
        if getattr(self._local, "inline", None) is not None:
            return job()
        try:
            result: T = self._request(job)
        except BaseException as error:
            if error is not self._ended:
                raise
            # env.py ended before it ran the job (it raised, or never ran the migrations): the
            # job runs here, each step it asks for raising that error as a single step would.
            return job()
        return result

    def close(self) -> None:
        """End env.py's session (its connection closed, its engine disposed); a job still
        running stops at its next step."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._requests.put(None)
        thread.join(INTERRUPTED_CLOSE_WAIT if self._busy else CLOSE_WAIT)

    def _command(self, moves: Moves) -> None:
        inline = getattr(self._local, "inline", None)
        if inline is not None:
            if self._local.stop.is_set():  # the caller gave up on the job (interrupted)
                raise StepsClosed("the steps were closed")
            inline(moves)
            return
        self._request(list(moves))

    def _request(self, request: Request) -> Any:
        if self._ended is not None:
            raise self._ended
        if self._thread is None:
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._session, args=(self._stop,), name="wazo-manage-db env.py", daemon=True
            )
            self._thread.start()
        self._busy = True
        self._requests.put(request)
        result, error = self._answers.get()
        self._busy = False
        if error is not None:
            raise error
        return result

    def _session(self, stop: threading.Event) -> None:
        """The worker: env.py runs, and serves commands until closed."""
        self._local.stop = stop
        try:
            self._tree.session(self._serve)
            if self._served:
                return
            error: BaseException = TreeError(
                f"{self._tree.component.name}: {self._tree.script.dir}/env.py never ran the "
                "migrations (context.run_migrations())"
            )
        except BaseException as raised:
            error = raised
        self._ended = error
        self._answers.put((None, error))

    def _serve(self, command: Callable[[Moves], None]) -> None:
        self._served = True
        while True:
            request = self._requests.get()
            if request is None:
                return
            result = None
            try:
                if callable(request):
                    self._local.inline = command
                    result = request()
                else:
                    command(request)
            except BaseException as error:
                self._answers.put((None, error))
            else:
                self._answers.put((result, None))
            finally:
                self._local.inline = None


class StepsClosed(BaseException):
    """A job's step asked for after ``close()``: the job ends there (its caller is gone)."""


def open_steps(tree: MigrationTree, uri: str) -> RevisionSteps:
    """Steps of ``tree`` on the database behind ``uri`` (a libpq URI with its session settings)."""
    return RevisionSteps(tree.at(uri))
