/**
 * # remote-write: a pipeline sink for Prometheus remote-write 1.0
 *
 * Samples in, protobuf `WriteRequest` + snappy out, acknowledged only after the receiver
 * answered 2xx. See {@link RemoteWriteSink} for retries, splitting and guarantees.
 */
export {
  RemoteWriteError,
  type RemoteWriteErrorCode,
  RemoteWriteInvalidSampleError,
  RemoteWriteOptionsError,
  RemoteWriteRefusedError,
  RemoteWriteUnavailableError,
} from './errors';
export {
  type RemoteWriteOptions,
  type RemoteWriteOptionsInput,
  type RemoteWriteTelemetry,
  remoteWriteOptionsSchema,
  type SamplesOf,
  validateRemoteWriteOptions,
} from './options';
export {
  defaultSamplesOf,
  REMOTE_WRITE_REASONS,
  REMOTE_WRITE_VERSION,
  RemoteWriteSink,
} from './remote-write-sink';
export {
  encodeWriteRequest,
  type RemoteWriteSample,
  snappyCompress,
  WriteRequestType,
  writeRequestBody,
} from './write-request';
