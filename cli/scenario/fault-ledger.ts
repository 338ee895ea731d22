/**
 * The fault ledger: applies fault actions through the stack's driver and
 * keeps the books — which fault windows are open (for the phase statistics)
 * and what is still broken (what rollback must heal): whole-service faults as
 * states, gray faults as the faults themselves (healed by the driver).
 */
import { describeGrayFault } from '../stack/faults/registry.js';
import type { FaultDriver, GrayFault } from '../stack/types.js';
import type { FaultWindow } from '../../reports/model.js';
import type { EngineEvents } from './events.js';
import { BREAKING, type FaultAction } from './format.js';
import { StepFailure } from './step-failure.js';

type Broken = 'down' | 'paused' | 'disconnected';

/** What each action does to a service's books: the state it breaks into, or the state it heals (closing windows of these actions). */
interface ActionEffect {
  run(driver: FaultDriver, service: string, signal?: string): Promise<void>;
  breaks?: Broken;
  heals?: { state: Broken; closes: readonly FaultAction[] };
  /** A restart is a whole outage: its own window, opened and closed by the action. */
  ownWindow?: boolean;
}

const DOWN_BY: readonly FaultAction[] = ['kill', 'stop'];

const EFFECTS: Record<FaultAction, ActionEffect> = {
  kill: { run: (d, s, signal) => d.kill(s, signal), breaks: 'down' },
  stop: { run: (d, s) => d.stop(s), breaks: 'down' },
  pause: { run: (d, s) => d.pause(s), breaks: 'paused' },
  disconnect: { run: (d, s) => d.disconnect(s), breaks: 'disconnected' },
  start: { run: (d, s) => d.start(s), heals: { state: 'down', closes: DOWN_BY } },
  restart: { run: (d, s) => d.restart(s), heals: { state: 'down', closes: DOWN_BY }, ownWindow: true },
  unpause: { run: (d, s) => d.unpause(s), heals: { state: 'paused', closes: ['pause'] } },
  reconnect: { run: (d, s) => d.reconnect(s), heals: { state: 'disconnected', closes: ['disconnect'] } },
};

/** The action that undoes each broken state, in the order rollback applies them. */
const UNDO: readonly [Broken, FaultAction][] = [
  ['disconnected', 'reconnect'],
  ['paused', 'unpause'],
  ['down', 'start'],
];

export class FaultLedger {
  readonly windows: FaultWindow[] = [];
  /** Every service a fault action touched (rollback waits for them to be healthy). */
  readonly touched = new Set<string>();
  private readonly broken = new Map<string, Set<Broken>>();
  /** Gray faults applied and not yet healed, with their window, by the step that applied them. */
  private readonly gray: { stepId: string; fault: GrayFault; window: FaultWindow }[] = [];

  constructor(
    private readonly driver: FaultDriver,
    private readonly events: EngineEvents,
    private readonly now: () => number,
  ) {}

  async apply(action: FaultAction, service: string, signal?: string): Promise<void> {
    const start = this.now();
    this.touched.add(service);
    const state = this.broken.get(service) ?? new Set<Broken>();
    this.broken.set(service, state);
    if (BREAKING.has(action)) this.windows.push({ service, action, startMs: start });
    const effect = EFFECTS[action];
    try {
      await effect.run(this.driver, service, signal);
    } catch (e) {
      throw new StepFailure(`${action} ${service}: ${(e as Error).message}`, true);
    }
    const end = this.now();
    if (effect.breaks) state.add(effect.breaks);
    if (effect.heals) {
      state.delete(effect.heals.state);
      for (const w of this.windows) {
        if (w.service === service && w.endMs === undefined && (effect.heals.closes as readonly string[]).includes(w.action)) this.close(w, end, action);
      }
    }
    if (effect.ownWindow) this.windows.push({ service, action, startMs: start, endMs: end, healedBy: action });
    this.events.emit({ type: 'fault-applied', action, service, breaking: BREAKING.has(action) });
  }

  /** Apply a gray fault (a service degraded, not dead); its window stays open until healGray or rollback. */
  async degrade(stepId: string, fault: GrayFault): Promise<void> {
    if (!this.driver.degrade) throw new StepFailure(`${describeGrayFault(fault)}: this stack's fault driver cannot apply gray faults`, true);
    this.touched.add(fault.service);
    const window: FaultWindow = { service: fault.service, action: fault.kind, startMs: this.now() };
    try {
      await this.driver.degrade(fault);
    } catch (e) {
      // the driver may have applied part of it (e.g. one chain of two): rollback heals it all the same
      this.gray.push({ stepId, fault, window: { ...window, endMs: window.startMs } });
      throw new StepFailure(`${describeGrayFault(fault)}: ${(e as Error).message}`, true);
    }
    this.windows.push(window);
    this.gray.push({ stepId, fault, window });
    this.events.emit({ type: 'fault-applied', action: fault.kind, service: fault.service, breaking: true });
  }

  /** Heal the gray faults a step applied (all of them when stepId is undefined); returns what was healed. */
  async healGray(stepId: string | undefined, by: string): Promise<GrayFault[]> {
    const entries = this.gray.filter((g) => stepId === undefined || g.stepId === stepId).reverse();
    const healed: GrayFault[] = [];
    for (const entry of entries) {
      try {
        await this.driver.heal?.(entry.fault);
      } catch (e) {
        throw new StepFailure(`healing ${describeGrayFault(entry.fault)}: ${(e as Error).message}`, true);
      }
      this.gray.splice(this.gray.indexOf(entry), 1);
      if (entry.window.endMs === undefined) this.close(entry.window, this.now(), by);
      healed.push(entry.fault);
    }
    return healed;
  }

  /** Gray faults still applied, oldest first (rollback heals them last-first). */
  pendingGray(): GrayFault[] {
    return this.gray.map((g) => g.fault);
  }

  /** Rollback healed these (healAndAwaitHealthy): close their windows. */
  markGrayHealed(faults: GrayFault[], by: string): void {
    for (const fault of faults) {
      const entry = this.gray.find((g) => g.fault === fault);
      if (!entry) continue;
      this.gray.splice(this.gray.indexOf(entry), 1);
      if (entry.window.endMs === undefined) this.close(entry.window, this.now(), by);
    }
  }

  /** Would this healing action undo something on the service? (Breaking actions in a rollback are never applied.) */
  needsHeal(action: FaultAction, service: string): boolean {
    const state = this.broken.get(service);
    const heals = EFFECTS[action].heals;
    return state !== undefined && heals !== undefined && state.has(heals.state);
  }

  /** What is still broken, as the actions that heal it. */
  pendingHeals(): [FaultAction, string][] {
    const heals: [FaultAction, string][] = [];
    for (const [service, state] of this.broken) for (const [broken, undo] of UNDO) if (state.has(broken)) heals.push([undo, service]);
    return heals;
  }

  /** Windows the steps never closed end when rollback finishes. */
  closeOpenWindows(by: string): void {
    const at = this.now();
    for (const w of this.windows) if (w.endMs === undefined) this.close(w, at, by);
  }

  private close(w: FaultWindow, at: number, by: string): void {
    Object.assign(w, { endMs: at, healedBy: by });
    this.events.emit({ type: 'fault-healed', window: w });
  }
}
