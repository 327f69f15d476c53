"""Each item's one Qondor call, sent from a background thread so Qondor's pacing overlaps Xero's."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from qondor_xero.qondor import QondorClient, QondorError
from qondor_xero.sync.memory import Outcome
from qondor_xero.sync.run import SYSTEMIC, Acknowledging, RecordingAcknowledger, RunReport, SyncRun
from qondor_xero.transform import item_label

logger = logging.getLogger("target-xero")

QUEUE_SIZE = 2000  # outcomes waiting for Qondor; a full queue makes the writer wait
ITEM_FIELDS = ("id", "invoiceNumber", "invoiceKind", "invoiceType")  # for the call and item_label


class Acknowledger:
    """SetAsProcessed / SetAsFailed per outcome, in order, on one worker thread.

    A systemic Qondor fault stops the worker: later outcomes are not sent (those items stay
    queued in Qondor) and the fault is raised again on the writer's thread.
    """

    def __init__(
        self,
        qondor: QondorClient,
        report: RunReport,
        systemic: tuple[type[BaseException], ...],
        on_progress: Callable[[], None],
    ) -> None:
        self.qondor = qondor
        self.report = report
        self.systemic = systemic
        self.on_progress = on_progress
        self.error: BaseException | None = None
        self._queue: queue.Queue[Outcome | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self._thread = threading.Thread(target=self._work, name="acknowledge", daemon=True)
        self._thread.start()

    def submit(self, outcome: Outcome) -> None:
        """Queue one outcome; raises the worker's systemic fault if it had one.

        Only what the call and its log lines need of the item is queued, not the whole record.
        """
        self.raise_error()
        item = {k: outcome.item[k] for k in ITEM_FIELDS if k in outcome.item}
        self._queue.put(
            Outcome(item, outcome.xero_id, outcome.error, outcome.paid_on, outcome.paid_only)
        )

    def close(self) -> BaseException | None:
        """Wait until every queued outcome is sent; the systemic fault that stopped it, if any."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        return self.error

    def raise_error(self) -> None:
        """Raise the worker's systemic fault on the calling thread."""
        if self.error is not None:
            raise self.error

    def _work(self) -> None:
        while (outcome := self._queue.get()) is not None:
            if self.error is not None:
                continue  # stopped: leave the rest queued in Qondor
            try:
                self._send(outcome)
            except self.systemic as exc:
                self.error = exc
            except Exception as exc:  # an unexpected fault must stop the run, not vanish
                self.error = exc
            self.on_progress()

    def _send(self, outcome: Outcome) -> None:
        item, label = outcome.item, item_label(outcome.item)
        try:
            if outcome.paid_only:
                self._paid(outcome)
                return
            if outcome.error is not None:
                self.qondor.set_as_failed(int(item["id"]), outcome.error)
                self.report.add("qondor", "failed")
            else:
                self.qondor.set_as_processed(int(item["id"]), str(outcome.xero_id))
                self.report.add("qondor", "processed")
                if outcome.paid_on:
                    self._paid(outcome)
        except self.systemic:
            raise
        except QondorError as exc:
            self.report.add("qondor", "refused")
            logger.warning("Qondor refused the acknowledgement of %s: %s", label, exc)
        self.report.items_done += 1

    def _paid(self, outcome: Outcome) -> None:
        """SetAsPaid for an item whose Xero invoice is PAID; a refusal is logged, not raised."""
        try:
            self.qondor.set_as_paid(int(outcome.item["id"]), str(outcome.paid_on))
            self.report.add("qondor", "paid")
        except self.systemic:
            raise
        except QondorError as exc:
            self.report.add("qondor", "refused")
            logger.warning("Qondor refused to mark %s Paid: %s", item_label(outcome.item), exc)


def acknowledger_for(run: SyncRun) -> Acknowledging:
    """The run's acknowledger: Qondor's, or the dry run's recorder."""
    if run.dry_run:
        return RecordingAcknowledger(run.report)
    return Acknowledger(run.qondor, run.report, SYSTEMIC, run.tick)
