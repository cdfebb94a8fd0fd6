"""Running one sync task, phase by phase, in checkpointed batches.

A full task runs: ``targeted`` (deals HubSpot's webhooks named), ``pull`` (deals changed since the
partner's watermark, through the CRM search sorted by ``hs_lastmodifieddate``; past search's
10,000-result cap the window moves to the last change seen), ``sweep`` (links whose lead was
deleted, moved or sold stop; links into a portal the partner left start over in the new one),
``push`` (every live lead of the partner: new ones become deals, changed ones are compared with
their deal as HubSpot holds it now), and ``drain`` (webhooks that arrived meanwhile). A webhook
task runs ``targeted`` only. After each batch the checkpoint is saved with the lease: a worker
killed mid-task is taken over from there.
"""
from __future__ import annotations

import logging
import time

from plugins.hubspot import services as hubspot_services
from pc_app.toolkit import Lead, config, utcnow, vocabulary

from ..models import DealLink, PartnerSyncState
from . import tasks
from .creating import DealCreator
from .deal_fields import modified_ms, pc_values
from .importing import DealImporter
from .links import (ensure_links, lead_left, leads_by_id, links_by_deal, links_by_key, rows, start_over_in_portal,
                    unlink)
from .pending import has_pending_deals, pop_pending_deals
from .portal_api import PortalApi
from .reconciling import Pair, Reconciler

log = logging.getLogger("plugins.sync")

FULL_PHASES = ("targeted", "pull", "sweep", "push", "drain")
SEARCH_RESULT_CAP = 10_000  # HubSpot answers no search result past this one, however it is paged
SWEEP_PAGE = 500


class TaskSuperseded(Exception):
    """Another worker took the task over (our lease ran out): stop without writing anything more."""


class TaskFailed(Exception):
    """The task cannot go on; ``reason`` is the sentence people read."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SyncRun:
    """One task in one worker: the partner's settings, counts, and the phases."""

    def __init__(self, task, owner: str):
        self.task, self.owner = task, owner
        self.task_id, self.partner_id = task.id, task.partner
        self.checkpoint = dict(task.checkpoint or {})
        self.counts = {name: int((task.counts or {}).get(name, 0)) for name in tasks.COUNT_NAMES}
        self.errors = list(task.errors or [])
        self.unlinked_leads = list(task.unlinked_leads or [])
        self.synced, self.total = int(task.synced or 0), int(task.total or 0)
        self.api = PortalApi(self.partner_id, heartbeat=self.heartbeat)
        self._beat_at = time.monotonic()
        self.today = utcnow().date().isoformat()
        self.portal = self.pipeline_id = None
        self.mapping: dict = {}
        self.reconciler = Reconciler(self)

    # --- what the phases share --------------------------------------------------------------------

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def error(self, message: str, lead_id=None, deal_id=None) -> None:
        self.count("errors")
        if len(self.errors) < tasks.KEPT_ITEMS:
            self.errors.append({"leadId": lead_id, "dealId": deal_id, "message": message[:300]})

    def unlink(self, link, reason: str) -> None:
        if unlink(link, reason):
            self.count("unlinked")
            if len(self.unlinked_leads) < tasks.KEPT_ITEMS:
                self.unlinked_leads.append({"leadId": link.lead, "dealId": link.deal_id, "reason": reason})
        link.status = "unlinked"

    def heartbeat(self) -> None:
        """Before each HubSpot call: keep the lease through a long batch (at most every third of it), and stop
        at once if another worker took the task over, so two workers never create the same deals."""
        lease = int(config("SYNC_LEASE_SECONDS"))
        if time.monotonic() - self._beat_at < min(5.0, lease / 3):
            return
        if not tasks.extend_lease(self.task_id, self.partner_id, self.owner):
            raise TaskSuperseded(self.task_id)
        self._beat_at = time.monotonic()

    def save_quietly(self) -> None:
        """Keep what a failing task counted (its last checkpoint is saved already)."""
        try:
            self.save()
        except TaskSuperseded:
            pass

    def save(self) -> None:
        if not tasks.save_progress(self.task, self.owner, checkpoint=self.checkpoint, counts=self.counts,
                                   synced=self.synced, total=max(self.total, self.synced), errors=self.errors,
                                   unlinked=self.unlinked_leads):
            raise TaskSuperseded(self.task_id)
        self._beat_at = time.monotonic()

    # --- the task ---------------------------------------------------------------------------------

    def run(self) -> None:
        self._prepare()
        phase = self.checkpoint.get("phase") or "targeted"
        while phase is not None:
            self.checkpoint["phase"] = phase
            self.save()
            getattr(self, f"_{phase}")()
            phase = self._next_phase(phase)

    def _next_phase(self, phase: str) -> str | None:
        if not tasks.is_full(self.task_id):
            return None
        index = FULL_PHASES.index(phase)
        return FULL_PHASES[index + 1] if index + 1 < len(FULL_PHASES) else None

    def _prepare(self) -> None:
        status = hubspot_services.connection_status(self.partner_id)
        if not status["connected"]:
            raise TaskFailed("HubSpot is not connected (or its token could not be refreshed); reconnect HubSpot.")
        self.portal = status["hubId"]
        if not status["pipelineId"] or not status["stageMapping"]:
            hubspot_services.ensure_pipeline(self.partner_id)
            status = hubspot_services.connection_status(self.partner_id)
        self.pipeline_id, self.mapping = status["pipelineId"], dict(status["stageMapping"] or {})
        unmapped = [name for name in vocabulary.DEAL_STATUSES if not self.mapping.get(name)]
        if unmapped:
            raise TaskFailed(f"The stage mapping names no HubSpot stage for {', '.join(unmapped)}; set it in the "
                             f"HubSpot settings (stage mapping) and sync again.")
        state = tasks.partner_state(self.partner_id)
        if state.portal != self.portal:  # another portal: its changes are pulled from the start
            PartnerSyncState.objects(id=state.id).update_one(set__portal=self.portal, set__watermark_ms=0,
                                                             set__updated_at=utcnow())
        if state.marker_ready_portal != self.portal:
            self.api.ensure_marker_property()
            PartnerSyncState.objects(id=state.id).update_one(set__marker_ready_portal=self.portal)
        if not self.total:
            self.total = tasks.count_live_leads(self.partner_id)

    # --- deals named by webhooks ------------------------------------------------------------------

    def _targeted(self) -> None:
        batch = min(int(config("SYNC_BATCH_SIZE")), 100)  # one batch read
        while True:
            deal_ids = list(self.checkpoint.get("targeted") or [])
            if not deal_ids:
                deal_ids = pop_pending_deals(self.partner_id, batch)
                if not deal_ids:
                    return
                self.checkpoint["targeted"] = deal_ids
                self.save()
            found, missing = self.api.read_deals(deal_ids)
            for link in links_by_deal(self.portal, missing).values():
                self.unlink(link, "deal_deleted")
            self._compare_deals(found)
            self.count("dealsRead", len(found))
            self.synced += len(deal_ids)
            self.total = max(self.total, self.synced)
            self.checkpoint["targeted"] = []
            self.save()

    def _drain(self) -> None:
        self._targeted()

    # --- deals changed in HubSpot -----------------------------------------------------------------

    def _pull(self) -> None:
        page_size = min(int(config("SYNC_PULL_PAGE_SIZE")), 200)
        state = tasks.partner_state(self.partner_id)
        window = self.checkpoint.get("pull") or {
            "from": max(int(state.watermark_ms or 0) - int(config("SYNC_PULL_OVERLAP_SECONDS")) * 1000, 0),
            "after": None, "read": 0, "tail": [int(state.watermark_ms or 0), []], "skip": []}
        self.checkpoint["pull"] = window
        while True:
            deals, next_after, total = self.api.search_modified_deals(self.pipeline_id, window["from"],
                                                                      window["after"], page_size)
            skip = set(window["skip"])
            fresh = {}
            for deal_id, properties in deals:
                changed = modified_ms(properties.get("hs_lastmodifieddate"))
                if changed == window["from"] and deal_id in skip:
                    continue  # seen at the end of the previous window
                fresh[deal_id] = properties
                tail_ms, tail_ids = window["tail"]
                if changed > tail_ms:
                    window["tail"] = [changed, [deal_id]]
                elif changed == tail_ms:
                    tail_ids.append(deal_id)
            self._compare_deals(fresh)
            self.count("dealsRead", len(fresh))
            window["read"] += len(deals)
            self.synced += len(fresh)
            self.total = max(self.total, self.synced)
            capped = (next_after is None and window["read"] < total) or \
                (next_after is not None and int(next_after) + page_size > SEARCH_RESULT_CAP)
            if capped:
                tail_ms, tail_ids = window["tail"]
                if tail_ms == window["from"] and len(tail_ids) >= SEARCH_RESULT_CAP:
                    raise TaskFailed("More than 10,000 deals changed in the same millisecond in HubSpot; the "
                                     "search cannot page through them.")
                # Past the search cap: a new window from the last change seen, skipping what was read at it.
                window.update({"from": tail_ms, "after": None, "read": 0, "skip": list(tail_ids)})
            elif next_after is None:
                break
            else:
                window["after"] = next_after
            self.save()
        watermark = max(int(window["tail"][0]), int(state.watermark_ms or 0))
        PartnerSyncState.objects(id=state.id).update_one(set__watermark_ms=watermark, set__updated_at=utcnow())
        self.checkpoint["pull"] = None

    def _compare_deals(self, deals: dict) -> None:
        """Deals as HubSpot holds them now: linked ones compared with their leads, new ones of our pipeline imported."""
        if not deals:
            return
        links = links_by_deal(self.portal, list(deals))
        leads = leads_by_id(link.lead for link in links.values())
        pairs = [Pair(link, leads.get(link.lead), deals[deal_id]) for deal_id, link in links.items()]
        self.reconciler.reconcile(pairs)
        unknown = {deal_id: props for deal_id, props in deals.items()
                   if deal_id not in links and str(props.get("pipeline") or "") == str(self.pipeline_id)}
        DealImporter(self, self.reconciler).import_deals(unknown)

    # --- links whose lead left ------------------------------------------------------------------

    def _sweep(self) -> None:
        while True:
            after = self.checkpoint.get("sweep_after") or ""
            links = rows(DealLink, {"partner": self.partner_id, "status": {"$in": ["pending", "linked", "paused"]},
                                    "_id": {"$gt": after}}, sort={"_id": 1}, limit=SWEEP_PAGE)
            if not links:
                self.checkpoint["sweep_after"] = None
                return
            leads = leads_by_id(link.lead for link in links)
            elsewhere = []
            for link in links:
                reason = lead_left(leads.get(link.lead), link)
                if reason:
                    self.unlink(link, reason)
                elif link.portal != self.portal:
                    elsewhere.append(link)
            if elsewhere:
                start_over_in_portal(elsewhere, self.portal)
            self.checkpoint["sweep_after"] = links[-1].id
            self.save()

    # --- every lead -------------------------------------------------------------------------------

    def _push(self) -> None:
        batch = int(config("SYNC_BATCH_SIZE"))
        creator = DealCreator(self)
        while True:
            after = self.checkpoint.get("push_after") or ""
            leads = rows(Lead, {"partner": self.partner_id, "is_deleted": False, "_id": {"$gt": after}},
                         sort={"_id": 1}, limit=batch)
            if not leads:
                self.checkpoint["push_after"] = None
                return
            self._push_batch(leads, creator)
            self.synced += len(leads)
            self.total = max(self.total, self.synced)
            self.checkpoint["push_after"] = leads[-1].id
            self.save()

    def _push_batch(self, leads: list, creator: DealCreator) -> None:
        links = links_by_key(self.partner_id, [lead.id for lead in leads])
        new, changed, unassociated = [], [], []
        for lead in leads:
            link = links.get(lead.id)
            if link is None or link.status == "pending":
                if getattr(lead, "read_only_reason", None) is None:
                    new.append(lead)
                continue
            if link.status != "linked":
                continue
            left = lead_left(lead, link)
            if left:
                self.unlink(link, left)
                continue
            if self._changed_in_pc(lead, link):
                changed.append((lead, link))
            elif link.contact_id and not link.associated:
                unassociated.append(link)
        if new:
            ensured, fresh = ensure_links(self.partner_id, self.portal, [lead.id for lead in new])
            links.update(ensured)
            creator.create(new, links, fresh)
        if changed:
            found, missing = self.api.read_deals([link.deal_id for _lead, link in changed])
            for _lead, link in changed:
                if link.deal_id in missing:
                    self.unlink(link, "deal_deleted")
            pairs = [Pair(link, lead, found[link.deal_id]) for lead, link in changed if link.deal_id in found]
            self.reconciler.reconcile(pairs)
            unassociated += [link for _lead, link in changed if link.deal_id in found and link.contact_id
                             and not link.associated]
        creator.associate(unassociated)

    def _changed_in_pc(self, lead, link) -> bool:
        """PC's side differs from the snapshot: only then is the deal read and compared."""
        snapshot = link.snapshot or {}
        return any(snapshot.get(name) != value for name, value in pc_values(lead, link, self.mapping).items())


def run_task(task_id: str) -> str | None:
    """Claim and run a task to its end; returns the partner id when webhooks wait for another task."""
    owner = tasks.owner_token()
    task = tasks.claim(task_id, owner)
    if task is None:
        return None  # done already, or another worker holds it
    run = SyncRun(task, owner)
    try:
        run.run()
    except TaskSuperseded:
        log.warning("sync task %s was taken over by another worker", task_id)
        return None
    except TaskFailed as failure:
        run.save_quietly()
        tasks.fail(task, owner, failure.reason)
        return None
    except hubspot_services.HubSpotError as failure:
        run.save_quietly()
        tasks.fail(task, owner, _failure_sentence(failure))
        return None
    tasks.finish(task, owner, run.counts)
    return task.partner if has_pending_deals(task.partner) else None


def _failure_sentence(failure) -> str:
    if isinstance(failure, hubspot_services.NotConnected):
        if failure.reason == "refresh_failed":
            return "HubSpot refused to refresh the connection's token; reconnect HubSpot. The sync resumes from here."
        return "HubSpot is no longer connected; reconnect it. The sync resumes from here."
    return f"{failure.message} The next sync resumes from here."
