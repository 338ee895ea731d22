/** Why a run stopped early: `infra` = the toolkit or the stack failed (exit 3), otherwise the scenario did (exit 1). */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly infra: boolean,
  ) {
    super(message);
  }

  static from(e: unknown): StepFailure {
    return e instanceof StepFailure ? e : new StepFailure((e as Error).message, true);
  }
}
