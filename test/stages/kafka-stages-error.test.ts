import {
  ERROR_CODES,
  HandlerError,
  InternalError,
  InvalidArgumentError,
  InvalidOptionError,
  KafkaStagesError,
  StageError,
} from '../../stages/index';

describe('KafkaStagesError, the base of every error', () => {
  it('carries a code of the closed set, retriable false unless said, its class name and its cause', () => {
    const cause = new Error('disk full');
    const error = new InternalError('AckTracker: release of a handle that is not held', { cause });
    expect(error).toBeInstanceOf(KafkaStagesError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('INTERNAL_ERROR');
    expect(error.code in ERROR_CODES).toBe(true);
    expect(error.retriable).toBe(false);
    expect(error.name).toBe('InternalError');
    expect(error.cause).toBe(cause);
    expect(new InvalidArgumentError('x').code).toBe('ARGUMENT_INVALID');
  });

  it('keeps the stages layer’s classes: instanceof their own base and KafkaStagesError', () => {
    const option = new InvalidOptionError("stage 'a'", 'bufferSize', -1, 'an integer >= 0');
    expect(option).toBeInstanceOf(StageError);
    expect(option).toBeInstanceOf(KafkaStagesError);
    expect(option.code).toBe('STAGE_INVALID_OPTION');
    expect(option.name).toBe('InvalidOptionError');
    const cause = new TypeError('nope');
    const handler = new HandlerError('a', 'handleDemand', cause);
    expect(handler).toBeInstanceOf(KafkaStagesError);
    expect(handler.cause).toBe(cause);
    expect(handler.code).toBe('STAGE_HANDLER_FAILED');
  });
});
