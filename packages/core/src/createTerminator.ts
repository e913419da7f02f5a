// The one place that picks implementations: options first, then the container, then defaults.
import 'reflect-metadata';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import { type Clock, systemClock } from './clock.js';
import { KeepAliveDrain } from './drain/KeepAliveDrain.js';
import { InvalidOptionTypeError } from './errors.js';
import { DestroyForce } from './force/DestroyForce.js';
import { type CreateTerminatorOptions, resolveConfig, type StrategyClass } from './options.js';
import { SocketRegistry } from './registry/SocketRegistry.js';
import { Terminator } from './Terminator.js';
import { TOKENS, type Token } from './tokens.js';

/**
 * Makes a terminator for one or more servers and starts tracking their connections.
 * Call it right after creating the server(s); connections opened earlier are still drained,
 * through the servers' own public methods.
 *
 * Each terminator resolves from its own child container (of `options.container`, or of
 * tsyringe's root container), so two terminators share nothing. A strategy given in the
 * options wins; otherwise one registered under `TOKENS.drain` / `TOKENS.force` on the
 * container; otherwise the default.
 *
 * @throws TypeError / RangeError naming the option and the value when an option is invalid.
 */
export function createTerminator(options: CreateTerminatorOptions): Terminator {
  const config = resolveConfig(options);
  const scope = (options.container ?? rootContainer).createChildContainer();
  scope.register(TOKENS.config, { useValue: config });
  scope.register(TOKENS.registry, { useValue: new SocketRegistry() });
  choose<Clock>(scope, TOKENS.clock, options.clock, systemClock);
  choose(scope, TOKENS.drain, options.drain, KeepAliveDrain);
  choose(scope, TOKENS.force, options.force, DestroyForce);
  build(scope, TOKENS.drain, 'drain', options.drain, 'begin');
  build(scope, TOKENS.force, 'force', options.force, 'force');
  return scope.resolve(Terminator);
}

/**
 * Builds this terminator's strategy now, so that a class tsyringe cannot construct (constructor
 * parameters without `@injectable()`) or one whose instances lack the strategy's method fails
 * here, naming the option, and not with tsyringe's own message or at the first shutdown. The
 * instance is then registered in this terminator's scope, so the terminator gets that one.
 */
function build<T extends object>(
  scope: DependencyContainer,
  token: Token<T>,
  option: 'drain' | 'force',
  chosen: T | StrategyClass<T> | undefined,
  method: string,
): void {
  // A strategy that came from the container is named by its token: the option was not given.
  const name = chosen === undefined ? `${option} (registered under TOKENS.${option})` : option;
  let instance: T;
  try {
    instance = scope.resolve(token);
  } catch (error) {
    // The user's own container registration failed to build: tsyringe's message names it.
    if (chosen === undefined) throw error;
    throw new InvalidOptionTypeError(
      'createTerminator',
      name,
      `a ${option} strategy class tsyringe can construct (no constructor parameters, or @injectable() ones)`,
      chosen,
      { cause: error },
    );
  }
  if (typeof (instance as Record<string, unknown>)[method] !== 'function') {
    throw new InvalidOptionTypeError(
      'createTerminator',
      name,
      `a ${option} strategy: an object with a ${method}() method`,
      instance,
    );
  }
  scope.register<T>(token, { useValue: instance });
}

function choose<T extends object>(
  scope: DependencyContainer,
  token: Token<T>,
  chosen: T | StrategyClass<T> | undefined,
  fallback: T | StrategyClass<T>,
): void {
  const pick = chosen ?? (scope.isRegistered(token, true) ? undefined : fallback);
  if (pick === undefined) return;
  if (typeof pick === 'function') scope.register<T>(token, { useClass: pick });
  else scope.register<T>(token, { useValue: pick });
}
