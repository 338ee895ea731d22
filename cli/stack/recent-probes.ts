/**
 * Health checks we ran ourselves (docker exec) that passed, remembered briefly.
 * After a restart Docker says "starting" until its next interval (2 s), so each
 * "is it healthy?" runs the check in the container (~0.1 s a time); a run asks in
 * quick succession (rollback's wait, the steady state after it, the report's list of
 * services). A pass is reused for REUSE_MS — half of Docker's interval, fresher
 * than Docker's own "healthy", which is trusted as it is — and only for the same
 * container started at the same time. Any fault through the FaultDriver (on any
 * service: the others depend on it) and a failed check forget it.
 */
const REUSE_MS = 1_000;

export interface ProbedContainer {
  Id: string;
  State: { StartedAt?: string };
}

export class RecentProbes {
  private readonly passed = new Map<string, { startedAt: string | undefined; atMs: number }>();
  /** Bumped by forget(): a check that began before a fault says nothing after it. */
  private generation = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A pass of this container's check, in this life of it, less than REUSE_MS ago. */
  passedRecently(info: ProbedContainer): boolean {
    const p = this.passed.get(info.Id);
    return p !== undefined && p.startedAt === info.State.StartedAt && this.now() - p.atMs <= REUSE_MS;
  }

  /** Call before running a check; pass what it returns to record(). */
  begin(): { generation: number; atMs: number } {
    return { generation: this.generation, atMs: this.now() };
  }

  /** The check's result, dated from when it began. */
  record(info: ProbedContainer, healthy: boolean, began: { generation: number; atMs: number }): void {
    if (!healthy) this.passed.delete(info.Id);
    else if (began.generation === this.generation) this.passed.set(info.Id, { startedAt: info.State.StartedAt, atMs: began.atMs });
  }

  /** A fault on a service: its containers' passes no longer say anything. */
  forget(): void {
    this.generation++;
    this.passed.clear();
  }
}
