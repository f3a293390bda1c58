from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hearth.core.audit import ActorKind


class PeriodicRun(models.Model):
    """When the scheduler last enqueued each periodic task (one row per task path)."""

    task = models.CharField(_("task"), max_length=200, unique=True)
    last_enqueued_at = models.DateTimeField(_("last enqueued at"))

    class Meta:
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")

    def __str__(self) -> str:
        return self.task


class WorkerHeartbeat(models.Model):
    """A task worker's last sign of life (``manage.py db_worker`` beats every quarter lease).

    A running task whose worker stopped beating for a lease is run again by another worker
    (``hearth.core.workers.requeue_abandoned_tasks``)."""

    worker_id = models.CharField(_("worker ID"), max_length=64, unique=True)
    hostname = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process ID"), default=0)
    started_at = models.DateTimeField(_("started at"))
    beat_at = models.DateTimeField(_("last heartbeat at"), db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.worker_id


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("This record is append-only: records are never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("This record is append-only: records are never deleted.")


class AppendOnlyModel(models.Model):
    """A record that is written once and never changed or deleted (ledgers, audit trails).

    Only the retention task purges such rows when their time is up (``purge_due_holds`` calls
    the plain ``QuerySet.delete`` on purpose), never ``save`` or ``delete`` on the model.
    """

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("This record is append-only: it is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("This record is append-only: it is never deleted.")


class AuditEvent(AppendOnlyModel):
    """One audited action (``hearth.core.audit.record``). Append-only.

    Holds the actor, the action, the object's model label and primary key and the names of the
    fields touched, never their values: no personal data outlives its erasure here.
    """

    at = models.DateTimeField(_("when"), db_index=True)
    actor_kind = models.CharField(_("actor kind"), max_length=12, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    system_actor = models.CharField(_("system actor"), max_length=60, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object ID"), max_length=64)
    fields = models.JSONField(_("fields (names only)"), default=list, blank=True)

    class Meta:
        ordering = ("-at", "-id")
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=("object_type", "object_id"), name="core_audit_object")]

    def __str__(self) -> str:
        who = self.system_actor or (f"user #{self.actor_id}" if self.actor_id else self.actor_kind)
        return f"{who} {self.action} {self.object_type}#{self.object_id}"


class UnsentTask(models.Model):
    """A task the backend refused after its transaction committed (Redis down, say): kept here
    instead of lost, and enqueued again by the scheduler once the backend answers
    (``hearth.core.enqueue``). Staff see the rows in the back office."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    run_after = models.DateTimeField(_("run after"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=200)
    failed_at = models.DateTimeField(_("first failed at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=1)

    class Meta:
        verbose_name = _("unsent task")
        verbose_name_plural = _("unsent tasks")
        ordering = ["failed_at", "id"]

    def __str__(self) -> str:
        return self.task
