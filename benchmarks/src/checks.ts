// The shape of one target check and its helpers. A leaf module: the scenarios import it, and
// targets.ts (which imports the scenarios to gather their checks) imports it too, so no cycle.
export interface TargetCheck {
  /** Unique on the page; a scenario with several targets names them `<scenario>:<which>`. */
  readonly id: string;
  readonly title: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
  /** False for targets the smoke run only reports (CPU: too noisy for CI). */
  readonly gated: boolean;
  /** How far off, in the target's own unit, when missed. */
  readonly missBy: string | undefined;
  /**
   * True when a miss is a time, ratio or size bound only: everything was delivered and resolved.
   * Smoke measures such a scenario once more before it fails (scheduling noise); a miss of
   * correctness (a drop, a cut stream, a wrong close code, an unresolved terminate) fails at once.
   */
  readonly timingOnly: boolean;
  /** Set when this run could not measure the target (why): neither met nor missed, never gated. */
  readonly unmeasured?: string;
}

/** A check with the scenario that owns it: smoke re-measures that scenario, the page asks it why. */
export interface OwnedCheck extends TargetCheck {
  readonly scenario: string;
}

/** A target this run could not measure (why): shown as such, neither met nor missed, never gated. */
export function notMeasured(id: string, title: string, target: string, why: string): TargetCheck {
  return {
    id,
    title,
    target,
    measured: `not measured: ${why}`,
    met: false,
    gated: false,
    missBy: undefined,
    timingOnly: false,
    unmeasured: why,
  };
}

export function formatChecks(checks: readonly TargetCheck[]): string {
  return checks
    .map((check) => {
      const verdict = check.met
        ? 'met   '
        : check.unmeasured !== undefined
          ? 'not measured'
          : check.gated
            ? 'MISSED'
            : 'missed (reported, not gated)';
      return `${verdict} ${check.title}: ${check.measured} [target ${check.target}]`;
    })
    .join('\n');
}
