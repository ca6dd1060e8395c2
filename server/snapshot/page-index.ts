import type { Db } from '../db/open.js';
import { changesSince, lastEventId } from '../domain/write-path.js';
import { findIncidents, listedComponents, listRecent, type Incident } from '../domain/incidents/queries.js';
import { allCommunications, communicationsById, type Communication } from '../domain/subscribers/communications.js';

/** Whether an incident or a maintenance window is still going on: its page then shows its components' current status. */
export const isOngoing = (i: Incident) => !i.resolved_at && !i.cancelled_at && i.status !== 'completed';

/** An incident as last read, and its revision: a new one each time it is read again. */
export interface Indexed {
  incident: Incident;
  rev: number;
}

/** One incident read again: as it was (absent: new) and as it is (absent: deleted). */
export interface IncidentChange {
  id: string;
  before?: Indexed;
  after?: Indexed;
}

export interface IndexChanges {
  /** Everything was read (the first build, or the events table went back): every document is made again. */
  full: boolean;
  incidents: IncidentChange[];
  /** The notices (series) with a new version. */
  series: Set<string>;
}

/** SQLite's "no limit". */
const ALL = -1;

/**
 * What the documents of the history are made of, in memory: every incident and maintenance window with
 * its updates, and every notice. Read whole once; then, at each build, only what the changes committed
 * since name (the `events` rows' ids: an incident, a window, a notice) is read again, so that a write
 * costs the same with ten incidents or ten thousand. Components are compared as incidents list them:
 * a rename or a move reads again the incidents that list the component, a new status only the ones
 * still going on (a past incident's page lists its components without their status).
 */
export class PageIndex {
  readonly incidents = new Map<string, Indexed>();
  /** Each notice's versions, newest first. */
  readonly series = new Map<string, Communication[]>();
  private readonly byComponent = new Map<string, Set<string>>();
  /** Each component as incidents list it (`listed`: name and place) and as a going-on incident shows it (`shown`: all of it). */
  private components = new Map<string, { listed: string; shown: string }>();
  /** The last events row read (-1: nothing read yet). */
  private seen = -1;
  private rev = 0;

  sync(db: Db): IndexChanges {
    const last = lastEventId({ db });
    if (this.seen < 0 || last < this.seen) return this.load(db, last);
    const events = changesSince({ db }, this.seen);
    const ids = new Set<string>();
    for (const e of events) {
      this.seen = Math.max(this.seen, e.id);
      for (const id of e.ids) ids.add(id);
    }
    if (events.length === 0) return { full: false, incidents: [], series: new Set() };
    for (const id of this.componentsChanged(db)) ids.add(id);
    const wanted = [...ids];
    const found = new Map(findIncidents(db, wanted).map((i) => [i.id, i]));
    const incidents: IncidentChange[] = [];
    for (const id of wanted) {
      const before = this.incidents.get(id);
      const incident = found.get(id);
      if (!incident && !before) continue;
      const after = incident ? { incident, rev: ++this.rev } : undefined;
      this.set(id, before, after);
      incidents.push({ id, before, after });
    }
    const series = new Set<string>();
    for (const notice of communicationsById(db, wanted)) {
      const versions = (this.series.get(notice.series_id) ?? []).filter((v) => v.id !== notice.id);
      this.series.set(
        notice.series_id,
        [...versions, notice].sort((a, b) => b.version - a.version),
      );
      series.add(notice.series_id);
    }
    return { full: false, incidents, series };
  }

  /** The ids of the incidents that list a component whose listing changed, or show one whose status did. */
  private componentsChanged(db: Db): string[] {
    const now = new Map<string, { listed: string; shown: string }>();
    for (const row of listedComponents(db)) {
      now.set(row.id, { listed: JSON.stringify([row.name, row.group_id, row.group_position, row.position]), shown: JSON.stringify(row) });
    }
    const out: string[] = [];
    for (const id of new Set([...this.components.keys(), ...now.keys()])) {
      const [was, is] = [this.components.get(id), now.get(id)];
      if (was?.shown === is?.shown) continue;
      const ongoingOnly = was?.listed === is?.listed;
      for (const incidentId of this.byComponent.get(id) ?? []) {
        const indexed = this.incidents.get(incidentId);
        if (indexed && (!ongoingOnly || isOngoing(indexed.incident))) out.push(incidentId);
      }
    }
    this.components = now;
    return out;
  }

  private load(db: Db, last: number): IndexChanges {
    this.incidents.clear();
    this.byComponent.clear();
    this.series.clear();
    this.components = new Map();
    this.componentsChanged(db);
    for (const incident of listRecent(db, ALL, ['incident', 'maintenance'])) this.set(incident.id, undefined, { incident, rev: ++this.rev });
    for (const notice of allCommunications(db)) this.series.set(notice.series_id, [...(this.series.get(notice.series_id) ?? []), notice]);
    this.seen = last;
    return { full: true, incidents: [], series: new Set() };
  }

  private set(id: string, before: Indexed | undefined, after: Indexed | undefined): void {
    for (const c of before?.incident.components ?? []) this.byComponent.get(c.id)?.delete(id);
    if (!after) {
      this.incidents.delete(id);
      return;
    }
    this.incidents.set(id, after);
    for (const c of after.incident.components) {
      let set = this.byComponent.get(c.id);
      if (!set) this.byComponent.set(c.id, (set = new Set()));
      set.add(id);
    }
  }
}
