/**
 * # platform/control: operator actions on a running pipeline
 *
 * Pause and resume a partition, a topic or the whole pipeline (fetching stops, the member
 * stays in the group), and change batch sizes and processor concurrency at run time. The
 * HTTP routes (`POST /control/pause|resume|set`, `platform/http`), the live page and
 * `kafka-stages ctl` all go through one {@link ControlCenter}, which checks the bearer token
 * (`CONTROL_TOKEN`; without it everything is read only), logs every action and counts it in
 * `kafka_stages_control_actions_total{pipeline,action}` (refusals in
 * `kafka_stages_control_refused_total{action,reason}`).
 *
 * ```ts
 * const control = createControlCenter({
 *   token: process.env.CONTROL_TOKEN,
 *   registry: telemetry.registry,
 *   targets: [controlPipeline(pipeline)],
 * });
 * await startHttpServer({ registry: telemetry.registry, topology: () => telemetry.topology(), control });
 * ```
 */
export { type PauseRequest, parsePauseBody, parseSetBody, type SetRequest } from './control-body';
export {
  type ActionRecord,
  type ActionResult,
  CONTROL_TOKEN_ENV,
  type ControlAction,
  type ControlCenter,
  type ControlCenterOptions,
  type ControlDescription,
  createControlCenter,
} from './control-center';
export {
  type BatcherSettings,
  type ControlCode,
  ControlError,
  type ControlErrorCode,
  type Controllable,
  type PauseOutcome,
  type PauseScope,
  type ProcessorSettings,
  type RuntimeSettings,
} from './controllable';
export { controlPipeline, type RuntimeTunable, type WithSource } from './pipeline-control';
