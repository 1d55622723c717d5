import { template } from './support/helm';

// Values that make no sense stop `helm template` (and so `helm install`) with a message that
// names the value. The first group is checked by templates/_helpers.tpl, the second by
// values.schema.json.
describe('helm template refuses', () => {
  const cases: [string, string[], string][] = [
    [
      'HPA and KEDA both enabled',
      [
        'autoscaling.hpa.enabled=true',
        'autoscaling.keda.enabled=true',
        'autoscaling.keda.consumerGroup="g"',
      ],
      'autoscaling.hpa.enabled and autoscaling.keda.enabled are both true: KEDA creates its own HorizontalPodAutoscaler, so enable at most one of them',
    ],
    [
      'a grace period equal to the drain timeout',
      ['terminationGracePeriodSeconds=30', 'app.drainTimeoutMs=30000'],
      'terminationGracePeriodSeconds (30) must be greater than app.drainTimeoutMs / 1000 (30 s)',
    ],
    [
      'a grace period shorter than the drain timeout',
      ['terminationGracePeriodSeconds=45', 'app.drainTimeoutMs=60000'],
      'terminationGracePeriodSeconds (45) must be greater than app.drainTimeoutMs / 1000 (60 s)',
    ],
    [
      'an empty broker list',
      ['kafka.brokers=[]'],
      'kafka.brokers is empty: give at least one broker address as host:port',
    ],
    [
      'SASL without a Secret',
      ['kafka.sasl.enabled=true'],
      'kafka.sasl.existingSecret is empty while kafka.sasl.enabled is true',
    ],
    [
      'a client certificate without its key',
      ['kafka.tls.enabled=true', 'kafka.tls.existingSecret="s"', 'kafka.tls.certKey="tls.crt"'],
      'kafka.tls.certKey and kafka.tls.keyKey must be set together',
    ],
    [
      'KEDA without a consumer group (none set, none in the config)',
      ['autoscaling.keda.enabled=true', 'config.input.group_id=""'],
      'autoscaling.keda.consumerGroup is empty and config.input.group_id is not set, while autoscaling.keda.enabled is true',
    ],
    [
      'an HPA whose maximum is below its minimum',
      [
        'autoscaling.hpa.enabled=true',
        'autoscaling.hpa.minReplicas=4',
        'autoscaling.hpa.maxReplicas=2',
      ],
      'autoscaling.hpa.maxReplicas (2) is below autoscaling.hpa.minReplicas (4)',
    ],
    // values.schema.json
    ['no broker list at all', ['kafka.brokers=null'], "at '/kafka': missing property 'brokers'"],
    [
      'a blank broker address',
      ['kafka.brokers=[""]'],
      "at '/kafka/brokers/0': '' does not match pattern",
    ],
    [
      'a broker address without a port',
      ['kafka.brokers=["kafka"]'],
      "at '/kafka/brokers/0': 'kafka' does not match pattern",
    ],
    [
      'an unknown SASL mechanism',
      ['kafka.sasl.mechanism="gssapi"'],
      "at '/kafka/sasl/mechanism': value must be one of 'plain', 'scram-sha-256', 'scram-sha-512'",
    ],
    ['a misspelt value', ['replicas=3'], "at '': additional properties 'replicas' not allowed"],
    [
      'a misspelt nested value',
      ['kafka.sasl.secret="s"'],
      "at '/kafka/sasl': additional properties 'secret' not allowed",
    ],
    [
      'a drain timeout that is not a number',
      ['app.drainTimeoutMs="30s"'],
      "at '/app/drainTimeoutMs': got string, want integer",
    ],
  ];

  it.each(cases)('%s', (_name, setJson, message) => {
    const result = template([], setJson);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });

  it('every problem at once, one line each', () => {
    const result = template([], ['kafka.brokers=[]', 'terminationGracePeriodSeconds=5']);
    expect(result.stderr).toContain(
      'kafka-stages: invalid values:\n- terminationGracePeriodSeconds (5)',
    );
    expect(result.stderr).toContain('\n- kafka.brokers is empty');
  });

  it('but renders the same values once they make sense (the cases above are not failing for another reason)', () => {
    const result = template(
      [],
      [
        'autoscaling.keda.enabled=true',
        'autoscaling.keda.consumerGroup="g"',
        'terminationGracePeriodSeconds=61',
        'app.drainTimeoutMs=60000',
        'kafka.brokers=["kafka:9092"]',
        'kafka.sasl.enabled=true',
        'kafka.sasl.existingSecret="s"',
      ],
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
