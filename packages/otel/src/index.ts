// @lastcall/otel public surface: one function, its options, and the coordinator shape it needs.
/**
 * OpenTelemetry for lastcall: the shutdown's phases and steps as spans, its reports as metrics,
 * and the SDK's flush as the shutdown's last step: `instrumentShutdown`.
 *
 * @packageDocumentation
 * @module @lastcall/otel
 */
export {
  instrumentShutdown,
  type ShutdownTelemetryOptions,
  type TelemetryCoordinator,
} from './instrumentShutdown.js';
