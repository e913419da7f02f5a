// The composition root: the one place that picks implementations (options first, then the
// container, then defaults) and composes a platform's drain with a service's.
import 'reflect-metadata';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import { type Clock, systemClock } from './clock.js';
import { combineDrains } from './drain/CombinedDrain.js';
import { type DrainStrategy, isWrappingDrain } from './drain/DrainStrategy.js';
import { KeepAliveDrain } from './drain/KeepAliveDrain.js';
import { InvalidOptionTypeError } from './errors.js';
import { DestroyForce } from './force/DestroyForce.js';
import type { ForceStrategy } from './force/ForceStrategy.js';
import { type CreateTerminatorOptions, type DrainOption, resolveConfig, type StrategyClass } from './options.js';
import { SocketRegistry } from './registry/SocketRegistry.js';
import { TerminatorImpl } from './Terminator.js';
import { INTERNAL_TOKENS, TOKENS, type Token } from './tokens.js';
import type { Terminator } from './types.js';
import { WARNING_CODES, warn } from './warnings.js';

/**
 * Makes a terminator for one or more servers and starts tracking their connections.
 * Call it right after creating the server(s); connections opened earlier are still drained.
 *
 * Each terminator resolves from its own child container (of `options.container`, or of
 * tsyringe's root container), so two terminators share nothing. The drain: the service's
 * `drain` option and a drain a platform registered under `TOKENS.drain` compose — a
 * registered wrapper (`DelayedCloseDrain`) runs the service's drain inside it; a registered
 * drain that is not a wrapper is replaced by the service's, with a warning. The force: the
 * option, else the container's `TOKENS.force`, else `DestroyForce`.
 *
 * @throws TypeError / RangeError naming the option and the value when an option is invalid.
 */
export function createTerminator(options: CreateTerminatorOptions): Terminator {
  const config = resolveConfig(options);
  const scope = (options.container ?? rootContainer).createChildContainer();
  scope.register(INTERNAL_TOKENS.config, { useValue: config });
  if (options.clock !== undefined || !scope.isRegistered(TOKENS.clock, true)) {
    scope.register<Clock>(TOKENS.clock, { useValue: options.clock ?? systemClock });
  }
  scope.register(INTERNAL_TOKENS.registry, { useValue: new SocketRegistry(scope.resolve<Clock>(TOKENS.clock)) });
  scope.register<DrainStrategy>(TOKENS.drain, { useValue: chooseDrain(scope, options.drain) });
  const force =
    options.force !== undefined
      ? build<ForceStrategy>(scope, 'force', options.force, 'force')
      : (fromContainer(scope, TOKENS.force, 'force', 'force') ?? new DestroyForce());
  scope.register<ForceStrategy>(TOKENS.force, { useValue: force });
  return scope.resolve(TerminatorImpl);
}

/**
 * A container for a platform team's registrations (`container.register(TOKENS.drain, ...)`),
 * to pass as `createTerminator`'s `container`: a child of tsyringe's root container. Made
 * here so that `reflect-metadata` is loaded before tsyringe whatever order the application
 * imports modules in, and so that a service needs no import of tsyringe of its own.
 */
export function createContainer(): DependencyContainer {
  return rootContainer.createChildContainer();
}

/** The service's drain, the platform's (the container's), and how the two compose. */
function chooseDrain(scope: DependencyContainer, option: CreateTerminatorOptions['drain']): DrainStrategy {
  const service = option === undefined ? undefined : serviceDrain(scope, option);
  const platform = fromContainer<DrainStrategy>(scope, TOKENS.drain, 'drain', 'begin');
  if (platform === undefined) return service ?? new KeepAliveDrain();
  if (service === undefined) return platform;
  if (isWrappingDrain(platform)) {
    if (isWrappingDrain(service)) {
      warn(
        WARNING_CODES.drainWrappedTwice,
        `the container's drain (${nameOf(platform)}) wraps the drain option (${nameOf(service)}), which is a wrapper too: their listener delays add up`,
      );
    }
    return platform.wrap(service);
  }
  warn(
    WARNING_CODES.drainReplaced,
    `the drain option (${nameOf(service)}) replaces the drain registered on the container (${nameOf(platform)}), which cannot wrap it; register a wrapper (such as DelayedCloseDrain) to keep the platform's part`,
  );
  return service;
}

function serviceDrain(scope: DependencyContainer, option: DrainOption | readonly DrainOption[]): DrainStrategy {
  if (!Array.isArray(option)) return build(scope, 'drain', option as DrainOption, 'begin');
  return combineDrains(...option.map((drain: DrainOption, index) => build(scope, `drain[${index}]`, drain, 'begin')));
}

/**
 * Builds a strategy given as an option now, so that a class tsyringe cannot construct
 * (constructor parameters without `@injectable()`) or one whose instances lack the strategy's
 * method fails here, naming the option, and not at the first shutdown.
 */
function build<T extends object>(
  scope: DependencyContainer,
  option: string,
  chosen: T | StrategyClass<T>,
  method: string,
): T {
  const kind = option.startsWith('drain') ? 'drain' : 'force';
  let instance: T;
  if (typeof chosen !== 'function') instance = chosen;
  else {
    try {
      instance = scope.resolve(chosen);
    } catch (error) {
      throw new InvalidOptionTypeError(
        'createTerminator',
        option,
        `a ${kind} strategy class tsyringe can construct (no constructor parameters, or @injectable() ones)`,
        chosen,
        { cause: error },
      );
    }
  }
  assertHas(option, kind, instance, method);
  return instance;
}

/** The strategy a platform registered on the container (or a parent of it), if any. */
function fromContainer<T extends object>(
  scope: DependencyContainer,
  token: Token<T>,
  kind: 'drain' | 'force',
  method: string,
): T | undefined {
  if (!scope.isRegistered(token, true)) return undefined;
  // The user's own registration: tsyringe's message names what it could not build.
  const instance = scope.resolve<T>(token);
  assertHas(`${kind} (registered under TOKENS.${kind})`, kind, instance, method);
  return instance;
}

function assertHas(option: string, kind: string, instance: object, method: string): void {
  if (typeof (instance as Record<string, unknown>)[method] !== 'function') {
    throw new InvalidOptionTypeError(
      'createTerminator',
      option,
      `a ${kind} strategy: an object with a ${method}() method`,
      instance,
    );
  }
}

const nameOf = (value: object): string => value.constructor?.name || 'anonymous drain';
